#!/usr/bin/python3
# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
#
# make-corpus.py: how the seed corpora in corpus/<target>/ were made.  They
# were generated ONCE and committed; `make check` replays the files, it never
# runs this script.  Running it again rewrites corpus/{jws,jwe,jwk,b64}/seed-*
# (signatures, RSA padding, CEKs and epks are random, so the bytes change;
# files not named seed-* -- reproducers of fixed bugs -- are left alone).
#
# Sources: tokens made here with python3-jwcrypto (an implementation
# independent of ours) and the unit-test key fixtures in test/unit/keys, the
# RFC 7515/7516/7519/7520/8037 compact examples and Wycheproof's JOSE inputs
# from test/vectors, and hand-made malformed variants.  Inputs with NUL
# bytes use the targets' structured forms (see fuzz_jws.c and fuzz_jwe.c).
#
# Needs Debian's /usr/bin/python3 with python3-jwcrypto.

import base64
import glob
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
KEYS = os.path.join(TOP, 'test', 'unit', 'keys')
VECTORS = os.path.join(TOP, 'test', 'vectors')
CORPUS = os.path.join(HERE, 'corpus')

NOW = 1700000600          # FZ_NOW in fuzz_common.h
ISSUER = 'https://issuer.example'
CLAIMS = {
    'iss': ISSUER, 'sub': 'alice', 'aud': 'api', 'exp': 4102444800,
    'iat': 1700000000, 'nbf': 1700000000, 'jti': 'seed-1',
    'scope': 'read write', 'realm_access': {'roles': ['admin', 'user']},
    'preferred_username': 'alice',
}
# the same fixed keys as fuzz_common.c
A128KW_KEY = b'fuzz-A128KW-key!'
DIR_KEY = b'fuzz-dir-A128CBC-HS256-A256GCM!!'
PBES2_PASSWORD = 'entrap_o\u2013peter_long\u2013credit_tun'.encode()


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def js(obj):
    return json.dumps(obj, separators=(',', ':'))


def read(path, mode='r'):
    with open(path, mode) as f:
        return f.read()


def vector(rel):
    return json.loads(read(os.path.join(VECTORS, rel)))


def pem_key(name):
    data = read(os.path.join(KEYS, name), 'rb')
    if name.startswith('x25519'):
        k = serialization.load_pem_private_key(data, None)
        raw = serialization.Encoding.Raw
        d = k.private_bytes(raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
        x = k.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
        return jwk.JWK(kty='OKP', crv='X25519', x=b64(x), d=b64(d))
    return jwk.JWK.from_pem(data)


def oct_key(secret):
    return jwk.JWK(kty='oct', k=b64(secret))


def secret(name):
    return read(os.path.join(KEYS, name), 'rb')


def sign(key, header, claims):
    """A compact JWS with HEADER (dict or exact text) over CLAIMS."""
    protected = header if isinstance(header, str) else json_encode(header)
    payload = claims if isinstance(claims, (str, bytes)) else js(claims)
    s = jws.JWS(payload.encode() if isinstance(payload, str) else payload)
    s.add_signature(key, None, protected)
    return s.serialize(compact=True)


def hs256(header, payload, key=None):
    """Byte-exact HS256: raw header and payload texts, signed here."""
    key = key if key is not None else secret('hs256.secret')
    h = header if isinstance(header, str) else js(header)
    p = payload if isinstance(payload, str) else js(payload)
    si = b64(h) + '.' + b64(p)
    mac = hmac.new(key, si.encode(), hashlib.sha256).digest()
    return si + '.' + b64(mac)


def encrypt(key, header, plaintext):
    if isinstance(plaintext, str):
        plaintext = plaintext.encode()
    e = jwe.JWE(plaintext, json_encode(header),
                algs=[header['alg'], header['enc']])
    e.add_recipient(key)
    return e.serialize(compact=True)


class Corpus:
    def __init__(self, target):
        self.dir = os.path.join(CORPUS, target)
        os.makedirs(self.dir, exist_ok=True)
        for old in glob.glob(os.path.join(self.dir, 'seed-*')):
            os.unlink(old)
        self.names = set()
        self.seen = set()

    def add(self, name, data):
        name = 'seed-' + name.replace('/', '_').replace(' ', '_')
        assert name not in self.names, name
        if isinstance(data, str):
            data = data.encode()
        if data in self.seen:
            return
        self.seen.add(data)
        self.names.add(name)
        with open(os.path.join(self.dir, name), 'wb') as f:
            f.write(data)

    def parts(self, name, *parts):
        """A structured input: the parts joined by NUL bytes."""
        self.add(name, b'\0'.join(p.encode() if isinstance(p, str) else p
                                  for p in parts))


def malformed(c, prefix, tok):
    """The F3/F4/F1 shapes of one good token."""
    segs = tok.split('.')
    c.add(prefix + '-trunc-half', tok[:len(tok) // 2])
    c.add(prefix + '-trunc-1', tok[:-1])
    c.add(prefix + '-extra-dot', tok + '.')
    c.add(prefix + '-lead-dot', '.' + tok)
    c.add(prefix + '-padded', '.'.join(s + '=' * (-len(s) % 4)
                                       for s in segs))
    c.add(prefix + '-std-alphabet', tok.replace('-', '+').replace('_', '/'))
    c.add(prefix + '-space', segs[0] + ' .' + '.'.join(segs[1:]))
    c.add(prefix + '-no-sig', '.'.join(segs[:-1]) + '.')
    c.add(prefix + '-empty-header', '.' + '.'.join(segs[1:]))


# ------------------------------------------------------------------ JWS --

def make_jws():
    c = Corpus('jws')
    keys = {n: pem_key(n) for n in (
        'rsa2048.key.pem', 'rsa3072.key.pem', 'ec-p256.key.pem',
        'ec-p384.key.pem', 'ec-p521.key.pem', 'ec-secp256k1.key.pem',
        'ed25519.key.pem', 'ed448.key.pem')}
    hs = {n: oct_key(secret('hs%d.secret' % n)) for n in (256, 384, 512)}
    # every algorithm with the fixture key and kid that fuzz_common.c loads
    table = [
        ('HS256', hs[256], 'hs256'), ('HS384', hs[384], None),
        ('HS512', hs[512], 'hs512'),
        ('RS256', keys['rsa2048.key.pem'], None),
        ('RS384', keys['rsa2048.key.pem'], None),
        ('RS512', keys['rsa2048.key.pem'], None),
        ('PS256', keys['rsa2048.key.pem'], None),
        ('PS384', keys['rsa3072.key.pem'], 'rsa3072'),
        ('PS512', keys['rsa2048.key.pem'], None),
        ('ES256', keys['ec-p256.key.pem'], 'ec-p256'),
        ('ES384', keys['ec-p384.key.pem'], None),
        ('ES512', keys['ec-p521.key.pem'], 'ec-p521'),
        ('ES256K', keys['ec-secp256k1.key.pem'], 'es256k'),
        ('EdDSA', keys['ed25519.key.pem'], 'ed25519'),
        ('EdDSA', keys['ed448.key.pem'], None),
    ]
    good = {}
    for alg, key, kid in table:
        h = {'alg': alg, 'typ': 'JWT'}
        if kid:
            h['kid'] = kid
        name = '%s-%s' % (alg.lower(), kid or 'nokid')
        good[name] = sign(key, h, CLAIMS)
        c.add(name, good[name])
    # the same token under every alg's wrong key (A2, A3 confusion)
    c.add('rs256-as-hs256', hs256({'alg': 'HS256', 'kid': 'hs256'}, CLAIMS,
                                  read(os.path.join(KEYS, 'rsa2048.pub.pem'),
                                       'rb')))
    c.add('es256-wrong-kid', sign(pem_key('ec-p256-other.key.pem'),
                                  {'alg': 'ES256', 'kid': 'ec-p256'}, CLAIMS))
    c.add('eddsa-ed448-kid-ed25519', sign(keys['ed448.key.pem'],
                                          {'alg': 'EdDSA', 'kid': 'ed25519'},
                                          CLAIMS))
    malformed(c, 'hs256', good['hs256-hs256'])
    malformed(c, 'es256', good['es256-ec-p256'])

    # claims and header members, byte-exact, HS256 with kid hs256
    k = {'alg': 'HS256', 'kid': 'hs256'}
    variants = {
        'aud-array': dict(CLAIMS, aud=['x', 'api']),
        'aud-empty-array': dict(CLAIMS, aud=[]),
        'aud-number': dict(CLAIMS, aud=1),
        'expired': dict(CLAIMS, exp=NOW - 100),
        'exp-in-leeway': dict(CLAIMS, exp=NOW - 10),
        'exp-real': dict(CLAIMS, exp=4102444800.5),
        'exp-string': dict(CLAIMS, exp='4102444800'),
        'exp-negative': dict(CLAIMS, exp=-1),
        'exp-huge': dict(CLAIMS, exp=1e300),
        'exp-year-10000': dict(CLAIMS, exp=253402300800),
        'exp-bool': dict(CLAIMS, exp=True),
        'no-exp': {k2: v for k2, v in CLAIMS.items() if k2 != 'exp'},
        'nbf-future': dict(CLAIMS, nbf=NOW + 1000),
        'iat-future': dict(CLAIMS, iat=NOW + 1000),
        'iss-other': dict(CLAIMS, iss='https://evil.example'),
        'iss-number': dict(CLAIMS, iss=1),
        'sub-object': dict(CLAIMS, sub={'a': 1}),
        'jti-null': dict(CLAIMS, jti=None),
        'scope-array': dict(CLAIMS, scope=['read', 'write', 'admin']),
        'scope-spaces': dict(CLAIMS, scope='  read   write  '),
        'scp': dict({k2: v for k2, v in CLAIMS.items() if k2 != 'scope'},
                    scp=['read', 'write']),
        'roles-nested': dict(CLAIMS, resource_access={'api': {'roles': [
            'admin']}}, a={'b': {'c': {'d': {'e': {'f': {'g': 1}}}}}}),
        'dotted-member': dict(CLAIMS, **{'a.b': 'x', 'realm_access.roles':
                                         'top'}),
        'numbers': dict(CLAIMS, n=1.5, i=-7, big=1e308, t=True, f=False,
                        z=None, l=[1, 'a', None]),
        'user-control': dict(CLAIMS, preferred_username='al\u0007ice'),
        'user-empty': dict(CLAIMS, preferred_username=''),
        'unicode': dict(CLAIMS, sub='\u00e9l\u00e8ve \u2603 \U0001F600'),
        'deep': json.loads('{"exp":4102444800,"aud":"api","d":' + '[' * 60
                           + ']' * 60 + '}'),
    }
    for name, claims in variants.items():
        c.add('claims-' + name, hs256(k, claims))
    raw_payloads = {
        'payload-dup-member': '{"exp":4102444800,"aud":"api","sub":"a",'
                              '"sub":"b"}',
        'payload-array': '[1,2,3]',
        'payload-string': '"claims"',
        'payload-null': 'null',
        'payload-empty-object': '{}',
        'payload-trailing': '{"exp":4102444800,"aud":"api"} x',
        'payload-nul-escape': '{"exp":4102444800,"aud":"api",'
                              '"sub":"a\\u0000b"}',
        'payload-empty': '',
        'payload-not-json': 'It\u2019s a dangerous business',
    }
    for name, p in raw_payloads.items():
        c.add(name, hs256(k, p))
    headers = {
        'hdr-typ-at-jwt': {'alg': 'HS256', 'kid': 'hs256',
                           'typ': 'application/at+jwt'},
        'hdr-typ-number': {'alg': 'HS256', 'kid': 'hs256', 'typ': 1},
        'hdr-cty-jwt': {'alg': 'HS256', 'kid': 'hs256', 'cty': 'JWT'},
        'hdr-crit': {'alg': 'HS256', 'kid': 'hs256', 'crit': ['exp'],
                     'exp': 1},
        'hdr-crit-empty': {'alg': 'HS256', 'kid': 'hs256', 'crit': []},
        'hdr-b64-false': {'alg': 'HS256', 'kid': 'hs256', 'b64': False,
                          'crit': ['b64']},
        'hdr-zip': {'alg': 'HS256', 'kid': 'hs256', 'zip': 'DEF'},
        'hdr-enc': {'alg': 'HS256', 'kid': 'hs256', 'enc': 'A128GCM'},
        'hdr-jku-jwk': {'alg': 'HS256', 'kid': 'hs256',
                        'jku': 'https://evil.example/jwks',
                        'jwk': {'kty': 'oct', 'k': 'AAAA'},
                        'x5u': 'https://evil.example/x', 'x5c': ['AAAA']},
        'hdr-kid-long': {'alg': 'HS256', 'kid': 'k' * 257},
        'hdr-kid-number': {'alg': 'HS256', 'kid': 7},
        'hdr-kid-empty': {'alg': 'HS256', 'kid': ''},
        'hdr-alg-none': {'alg': 'none'},
        'hdr-alg-None': {'alg': 'nOnE'},
        'hdr-alg-missing': {'kid': 'hs256'},
        'hdr-alg-array': {'alg': ['HS256']},
        'hdr-alg-jwe': {'alg': 'dir', 'kid': 'hs256'},
        'hdr-alg-lower': {'alg': 'hs256', 'kid': 'hs256'},
    }
    for name, h in headers.items():
        c.add(name, hs256(h, CLAIMS))
    raw_headers = {
        'hdr-dup-alg': '{"alg":"none","alg":"HS256","kid":"hs256"}',
        'hdr-array': '["HS256"]',
        'hdr-whitespace': ' {"alg" : "HS256", "kid":"hs256"} ',
        'hdr-bom': '\ufeff{"alg":"HS256","kid":"hs256"}',
        'hdr-nul': '{"alg":"HS256\\u0000x","kid":"hs256"}',
    }
    for name, h in raw_headers.items():
        c.add(name, hs256(h, CLAIMS))
    # F3: dots and sizes
    c.add('dots-2', '..')
    c.add('dots-4', '....')
    c.add('dots-many', '.' * 3000)
    c.add('segments-4', good['hs256-hs256'] + '.' + 'AAAA')
    c.add('oversize', good['hs256-hs256'][:-43] + 'A' * 9000)
    c.add('header-huge', hs256({'alg': 'HS256', 'kid': 'hs256',
                                'x': 'A' * 5000}, CLAIMS))
    c.add('sig-huge', '.'.join(good['es256-ec-p256'].split('.')[:2]) + '.'
          + 'A' * 2000)
    # B2/B3: an ECDSA signature in DER instead of R||S
    r_s = unb64(good['es256-ec-p256'].split('.')[2])
    der = (b'\x30\x46\x02\x21\x00' + r_s[:32] + b'\x02\x21\x00' + r_s[32:])
    c.add('es256-der-sig', '.'.join(good['es256-ec-p256'].split('.')[:2])
          + '.' + b64(der))

    # structured: HEADER \0 PAYLOAD (signed by the target), \0 SIG (as is)
    cl = js(CLAIMS)
    for alg, kid in (('HS256', 'hs256'), ('HS384', None), ('RS256', None),
                     ('PS384', 'rsa3072'), ('ES256', 'ec-p256'),
                     ('ES512', 'ec-p521'), ('ES256K', 'es256k'),
                     ('EdDSA', 'ed25519'), ('EdDSA', None)):
        h = {'alg': alg, 'typ': 'JWT'}
        if kid:
            h['kid'] = kid
        c.parts('st-%s-%s' % (alg.lower(), kid or 'nokid'), js(h), cl)
    c.parts('st-hs512-iss-bound', js({'alg': 'HS512', 'kid': 'hs512'}),
            js(dict(CLAIMS, iss=ISSUER)))
    c.parts('st-hs512-iss-other', js({'alg': 'HS512', 'kid': 'hs512'}),
            js(dict(CLAIMS, iss='joe')))
    c.parts('st-claims-types', js({'alg': 'HS256', 'kid': 'hs256'}),
            js(dict(CLAIMS, exp=4102444800.9, nbf=0, iat=NOW,
                    aud=['api', 'https://api.example'])))
    c.parts('st-es256-zero-sig', js({'alg': 'ES256', 'kid': 'ec-p256'}), cl,
            b'\0' * 64)
    c.parts('st-eddsa-short-sig', js({'alg': 'EdDSA', 'kid': 'ed25519'}),
            cl, b'\1' * 63)
    c.parts('st-rs256-sig-1', js({'alg': 'RS256'}), cl, b'\1')

    # the RFC examples and jwcrypto's tokens
    for f in sorted(glob.glob(os.path.join(VECTORS, 'rfc7520', 'jws',
                                           '*.json'))):
        c.add('rfc7520-' + os.path.basename(f).split('.')[0],
              json.loads(read(f))['output']['compact'])
    c.add('rfc7520-6-inner', vector('rfc7520/6.nesting_signatures_and_'
                                    'encryption.json')['sign']['output']
          ['compact'])
    c.add('rfc8037-a4', vector('rfc/rfc8037_appendix_A.json')['A.4_compact'])
    for f in sorted(glob.glob(os.path.join(VECTORS, 'rfc', 'latchset-jose',
                                           '*.jwsc'))):
        c.add(os.path.basename(f).replace('.', '-'), read(f).strip())
    c.add('rfc7797-b64-false', vector('rfc7520/rfc7797/hmac-sha2_b64_'
                                      'false.json')['output']['compact'])
    for t in json.loads(read(os.path.join(KEYS, 'jwcrypto-tokens.json'))
                        )['tokens']:
        c.add('jwcrypto-' + t['alg'].lower() + '-' +
              t['verify_with'].split(':')[-1].split('.')[0], t['token'])
    wycheproof(c, 'json_web_signature_test.json', 'jws', 4)
    return len(c.names)


def wycheproof(c, name, member, per_group):
    """Wycheproof inputs: per group the valid ones first, then others, one
    per comment, at most PER_GROUP."""
    seen = set()
    for g in vector('wycheproof/' + name)['testGroups']:
        tests = sorted(g['tests'], key=lambda t: t['result'] != 'valid')
        n = 0
        for t in tests:
            if (not isinstance(t[member], str) or t['comment'] in seen
                    or n >= per_group):
                continue
            seen.add(t['comment'])
            n += 1
            c.add('wycheproof-%d' % t['tcId'], t[member])


# ------------------------------------------------------------------ JWE --

def make_jwe():
    c = Corpus('jwe')
    rsa = pem_key('rsa2048.key.pem')
    p256 = pem_key('ec-p256.key.pem')
    x25519 = pem_key('x25519.key.pem')
    a128 = oct_key(A128KW_KEY)
    dkey = oct_key(DIR_KEY)
    pbes2 = oct_key(PBES2_PASSWORD)
    inner = sign(pem_key('ec-p256.key.pem'), {'alg': 'ES256', 'kid':
                                              'ec-p256', 'typ': 'JWT'},
                 CLAIMS)
    inner_hs = hs256({'alg': 'HS256', 'kid': 'hs256'}, CLAIMS)
    claims = js(CLAIMS)
    # one RSA key per algorithm in fuzz_common.c (only the first fitting
    # RSA/ECDH/PBES2 key is tried): RFC 7520 6's for RSA-OAEP, RFC 7516
    # A.2's for RSA1_5, the fixture for RSA-OAEP-256
    samwise = jwk.JWK(**vector('rfc7520/6.nesting_signatures_and_'
                               'encryption.json')['encrypt']['input']['key'])
    a2 = jwk.JWK(**vector('rfc/rfc7516_appendix_A.json')['examples'][1]
                 ['jwk'])
    made = [
        ('rsa-oaep-a256gcm', samwise, {'alg': 'RSA-OAEP', 'enc': 'A256GCM',
                                       'cty': 'JWT'}, inner),
        ('rsa-oaep-256-a128cbc', rsa, {'alg': 'RSA-OAEP-256',
                                       'enc': 'A128CBC-HS256', 'cty': 'JWT'},
         inner_hs),
        ('rsa1_5-a128cbc', a2, {'alg': 'RSA1_5', 'enc': 'A128CBC-HS256'},
         inner_hs),
        ('a128kw-a128gcm', a128, {'alg': 'A128KW', 'enc': 'A128GCM',
                                  'kid': 'a128kw', 'cty': 'JWT'}, inner),
        ('a128kw-unsigned', a128, {'alg': 'A128KW', 'enc': 'A256GCM',
                                   'kid': 'a128kw'}, claims),
        ('a128gcmkw-a192cbc', a128, {'alg': 'A128GCMKW',
                                     'enc': 'A192CBC-HS384',
                                     'kid': 'a128kw'}, inner_hs),
        ('dir-a128cbc', dkey, {'alg': 'dir', 'enc': 'A128CBC-HS256',
                               'kid': 'dir', 'cty': 'JWT'}, inner),
        ('dir-a256gcm-unsigned', dkey, {'alg': 'dir', 'enc': 'A256GCM',
                                        'kid': 'dir'}, claims),
        ('ecdh-es-p256', p256, {'alg': 'ECDH-ES', 'enc': 'A128GCM'}, inner),
        ('ecdh-es-p256-kid', p256, {'alg': 'ECDH-ES', 'enc': 'A192GCM',
                                    'kid': 'ec-p256'}, inner_hs),
        ('ecdh-es-a128kw-p256', p256, {'alg': 'ECDH-ES+A128KW',
                                       'enc': 'A256CBC-HS512'}, inner_hs),
        ('ecdh-es-a256kw-p256', p256, {'alg': 'ECDH-ES+A256KW',
                                       'enc': 'A256GCM', 'apu': b64('Alice'),
                                       'apv': b64('Bob')}, inner),
        ('ecdh-es-x25519', x25519, {'alg': 'ECDH-ES', 'enc': 'A256GCM',
                                    'kid': 'x25519', 'cty': 'JWT'}, inner),
        ('ecdh-es-a192kw-x25519', x25519, {'alg': 'ECDH-ES+A192KW',
                                           'enc': 'A128GCM',
                                           'kid': 'x25519'}, inner_hs),
        ('pbes2-hs256', pbes2, {'alg': 'PBES2-HS256+A128KW',
                                'enc': 'A128GCM', 'cty': 'JWT'}, inner),
        ('pbes2-hs512', pbes2, {'alg': 'PBES2-HS512+A256KW',
                                'enc': 'A256CBC-HS512'}, inner_hs),
    ]
    good = {}
    for name, key, hdr, pt in made:
        good[name] = encrypt(key, hdr, pt)
        c.add(name, good[name])
    # nested too deep, JWS as plaintext without cty, non-JWS plaintexts
    c.add('nested-jwe-in-jwe', encrypt(dkey, {'alg': 'dir', 'enc': 'A256GCM',
                                              'kid': 'dir', 'cty': 'JWT'},
                                       good['a128kw-a128gcm']))
    c.add('dir-plaintext-text', encrypt(dkey, {'alg': 'dir',
                                               'enc': 'A128CBC-HS256',
                                               'kid': 'dir'}, 'hello'))
    c.add('rsa-oaep-unsigned', encrypt(rsa, {'alg': 'RSA-OAEP-256',
                                             'enc': 'A128GCM'}, claims))
    c.add('dir-inner-alg-none', encrypt(dkey, {'alg': 'dir', 'enc': 'A256GCM',
                                               'kid': 'dir', 'cty': 'JWT'},
                                        b64('{"alg":"none"}') + '.'
                                        + b64(claims) + '.'))
    malformed(c, 'a128kw', good['a128kw-a128gcm'])
    segs = good['dir-a128cbc'].split('.')
    c.add('dir-with-ek', '.'.join([segs[0], 'AAAAAAAAAAAAAAAAAAAAAA'] +
                                  segs[2:]))
    c.add('segments-6', good['dir-a128cbc'] + '.AAAA')
    c.add('empty-iv', '.'.join(segs[:2] + [''] + segs[3:]))
    c.add('empty-tag', '.'.join(segs[:4] + ['']))
    c.add('short-tag', '.'.join(segs[:4] + [segs[4][:-4]]))

    # structured: HEADER \0 PLAINTEXT (encrypted by the target) and
    # HEADER \0 EK \0 IV \0 CIPHERTEXT \0 TAG (as given)
    def st(name, hdr, pt=inner):
        c.parts('st-' + name, hdr if isinstance(hdr, str) else js(hdr), pt)

    st('dir-a128cbc', {'alg': 'dir', 'enc': 'A128CBC-HS256', 'kid': 'dir',
                       'cty': 'JWT'})
    st('dir-a256gcm-claims', {'alg': 'dir', 'enc': 'A256GCM', 'kid': 'dir'},
       claims)
    st('a128kw-a128gcm', {'alg': 'A128KW', 'enc': 'A128GCM',
                          'kid': 'a128kw'})
    st('a128kw-a256cbc-claims', {'alg': 'A128KW', 'enc': 'A256CBC-HS512',
                                 'kid': 'a128kw'}, claims)
    st('rsa-oaep-256', {'alg': 'RSA-OAEP-256', 'enc': 'A192GCM',
                        'cty': 'JWT'})
    st('rsa1_5', {'alg': 'RSA1_5', 'enc': 'A128CBC-HS256'})
    st('pbes2-p2c-1000', {'alg': 'PBES2-HS256+A128KW', 'enc': 'A128GCM',
                          'p2c': 1000, 'p2s': b64('saltsalt')})
    st('pbes2-p2c-0', {'alg': 'PBES2-HS384+A192KW', 'enc': 'A128GCM',
                       'p2c': 0, 'p2s': b64('saltsalt')})
    st('pbes2-p2c-huge', {'alg': 'PBES2-HS512+A256KW', 'enc': 'A128GCM',
                          'p2c': 2 ** 31, 'p2s': b64('saltsalt')})
    st('pbes2-p2c-real', {'alg': 'PBES2-HS256+A128KW', 'enc': 'A128GCM',
                          'p2c': 1000.5, 'p2s': b64('saltsalt')})
    st('pbes2-p2s-short', {'alg': 'PBES2-HS256+A128KW', 'enc': 'A128GCM',
                           'p2c': 1000, 'p2s': b64('salt')})
    st('zip', {'alg': 'dir', 'enc': 'A256GCM', 'kid': 'dir', 'zip': 'DEF'})
    st('crit', {'alg': 'dir', 'enc': 'A256GCM', 'kid': 'dir',
                'crit': ['x'], 'x': 1})
    st('enc-unknown', {'alg': 'dir', 'enc': 'A128CTR', 'kid': 'dir'})
    st('alg-jws', {'alg': 'HS256', 'enc': 'A256GCM', 'kid': 'dir'})
    st('kid-wrong', {'alg': 'A128KW', 'enc': 'A128GCM', 'kid': 'nope'})
    st('gcmkw-iv-tag', {'alg': 'A128GCMKW', 'enc': 'A128GCM',
                        'kid': 'a128kw', 'iv': b64(b'\0' * 12),
                        'tag': b64(b'\0' * 16)})
    st('gcmkw-iv-short', {'alg': 'A128GCMKW', 'enc': 'A128GCM',
                          'kid': 'a128kw', 'iv': b64(b'\0' * 8),
                          'tag': b64(b'\0' * 16)})
    epk = json.loads(p256.export_public())
    st('ecdh-epk-p256', {'alg': 'ECDH-ES', 'enc': 'A128GCM',
                         'epk': {'kty': 'EC', 'crv': 'P-256',
                                 'x': epk['x'], 'y': epk['y']}})
    st('ecdh-epk-off-curve', {'alg': 'ECDH-ES+A128KW', 'enc': 'A128GCM',
                              'epk': {'kty': 'EC', 'crv': 'P-256',
                                      'x': epk['x'], 'y': epk['x']}})
    st('ecdh-epk-zero', {'alg': 'ECDH-ES', 'enc': 'A128GCM',
                         'epk': {'kty': 'EC', 'crv': 'P-256',
                                 'x': b64(b'\0' * 32), 'y': b64(b'\0' * 32)}})
    st('ecdh-epk-p384', {'alg': 'ECDH-ES', 'enc': 'A128GCM',
                         'epk': {'kty': 'EC', 'crv': 'P-384',
                                 'x': b64(b'\1' * 48), 'y': b64(b'\1' * 48)}})
    st('ecdh-epk-private', {'alg': 'ECDH-ES', 'enc': 'A128GCM',
                            'epk': json.loads(p256.export_private())})
    st('ecdh-x25519-low-order', {'alg': 'ECDH-ES', 'enc': 'A128GCM',
                                 'kid': 'x25519',
                                 'epk': {'kty': 'OKP', 'crv': 'X25519',
                                         'x': b64(b'\0' * 32)}})
    st('ecdh-x25519-ed-crv', {'alg': 'ECDH-ES', 'enc': 'A128GCM',
                              'kid': 'x25519',
                              'epk': {'kty': 'OKP', 'crv': 'Ed25519',
                                      'x': b64(b'\9' * 32)}})
    st('ecdh-epk-string', {'alg': 'ECDH-ES+A256KW', 'enc': 'A128GCM',
                           'epk': 'x', 'apu': 7})
    st('hdr-dup', '{"alg":"dir","alg":"dir","enc":"A256GCM","kid":"dir"}')
    st('hdr-not-object', '[]')
    c.parts('raw-dir', js({'alg': 'dir', 'enc': 'A128GCM', 'kid': 'dir'}),
            b'', b'\0' * 12, b'x', b'\0' * 16)
    c.parts('raw-a128kw-ek-short', js({'alg': 'A128KW', 'enc': 'A128GCM',
                                       'kid': 'a128kw'}),
            b'\1' * 16, b'\0' * 12, b'x', b'\0' * 16)
    c.parts('raw-cbc-ct-unaligned', js({'alg': 'dir', 'enc': 'A128CBC-HS256',
                                        'kid': 'dir'}),
            b'', b'\0' * 16, b'x' * 17, b'\0' * 16)
    c.parts('raw-rsa-ek-long', js({'alg': 'RSA-OAEP', 'enc': 'A128GCM'}),
            b'\xff' * 257, b'\0' * 12, b'x', b'\0' * 16)

    # the RFC examples
    for f in sorted(glob.glob(os.path.join(VECTORS, 'rfc7520', 'jwe',
                                           '*.json'))):
        out = json.loads(read(f)).get('output', {})
        if 'compact' in out:
            c.add('rfc7520-' + os.path.basename(f).split('.')[0],
                  out['compact'])
    c.add('rfc7520-6-nested', vector('rfc7520/6.nesting_signatures_and_'
                                     'encryption.json')['encrypt']['output']
          ['compact'])
    c.add('rfc7520-x25519', vector('rfc7520/curve25519/ecdh-es.json')
          ['output']['compact'])
    for i, ex in enumerate(vector('rfc/rfc7516_appendix_A.json')['examples']):
        c.add('rfc7516-' + ex['section'], ex['compact'])
    c.add('rfc7519-a2-nested', vector('rfc/rfc7519_A.2_nested_jwt.json')
          ['compact'])
    wycheproof(c, 'json_web_encryption_test.json', 'jwe', 2)
    return len(c.names)


# ------------------------------------------------------------------ JWK --

def make_jwk():
    c = Corpus('jwk')
    for f in sorted(glob.glob(os.path.join(KEYS, '*.jwk'))
                    + glob.glob(os.path.join(KEYS, '*.jwks'))):
        c.add('fixture-' + os.path.basename(f), read(f))
    for f in sorted(glob.glob(os.path.join(VECTORS, 'rfc', 'latchset-jose',
                                           '*.jwk*'))):
        c.add(os.path.basename(f), read(f))
    for f in sorted(glob.glob(os.path.join(VECTORS, 'rfc7520', 'jw*',
                                           '*.json'))):
        key = json.loads(read(f))['input'].get('key')
        if isinstance(key, dict):
            c.add('rfc7520-' + os.path.basename(f).split('.')[0],
                  json.dumps(key))
    r8037 = vector('rfc/rfc8037_appendix_A.json')
    c.add('rfc8037-a1', json.dumps(r8037['A.1_ed25519_private_jwk']))
    c.add('rfc8037-a7-x448', json.dumps(r8037['A.7_x448']
                                        ['recipient_public_jwk']))
    c.add('rfc7516-a1', json.dumps(vector('rfc/rfc7516_appendix_A.json')
                                   ['examples'][0]['jwk']))
    wp = vector('wycheproof/json_web_key_test.json')
    for g in wp['testGroups']:
        member = 'private' if 'private' in g else 'public'
        c.add('wycheproof-%d-%s' % (g['tests'][0]['tcId'], member),
              json.dumps(g[member]))
    # every kind of key jwcrypto makes, private and public, and as sets
    kinds = [('EC', 'P-256'), ('EC', 'P-384'), ('EC', 'P-521'),
             ('EC', 'secp256k1'), ('OKP', 'Ed25519'), ('OKP', 'Ed448'),
             ('OKP', 'X25519'), ('OKP', 'X448')]
    made = []
    for kty, crv in kinds:
        k = jwk.JWK.generate(kty=kty, crv=crv, kid=crv.lower())
        made.append(k)
        c.add('gen-%s-private' % crv, k.export_private())
    k = jwk.JWK.generate(kty='RSA', size=2048, kid='rsa', alg='PS256',
                         use='sig')
    c.add('gen-rsa-private', k.export_private())
    c.add('gen-rsa-public', k.export_public())
    for n in (16, 48, 31):
        c.add('gen-oct-%d' % n, json.dumps({'kty': 'oct',
                                            'k': b64(os.urandom(n))}))
    c.add('gen-set-public', json.dumps({'keys': [json.loads(
        k2.export_public()) for k2 in made]}))
    c.add('gen-set-enc', json.dumps({'keys': [
        dict(json.loads(made[0].export_private()), use='enc',
             alg='ECDH-ES+A128KW'),
        dict(json.loads(made[6].export_private()), use='enc'),
        {'kty': 'oct', 'k': b64(A128KW_KEY), 'alg': 'A128KW', 'kid': 'a'},
        {'kty': 'oct', 'k': b64(DIR_KEY), 'alg': 'A128CBC-HS256',
         'kid': 'd'},
        {'kty': 'oct', 'k': b64(PBES2_PASSWORD),
         'alg': 'PBES2-HS256+A128KW', 'kid': 'p'}]}))
    # what the loader must refuse or skip (doc/attacks.md A6, B4, G)
    pub = json.loads(made[0].export_public())
    rsa = json.loads(read(os.path.join(KEYS, 'rsa2048.pub.jwk')))
    bad = {
        'ec-off-curve': dict(pub, y=pub['x']),
        'ec-crv-mismatch': dict(pub, crv='P-384'),
        'ec-alg-mismatch': dict(pub, alg='ES384'),
        'ec-short-x': dict(pub, x=pub['x'][:-2]),
        'ec-padded-x': dict(pub, x=pub['x'] + '='),
        'ec-no-y': {k2: v for k2, v in pub.items() if k2 != 'y'},
        'ec-use-enc-ops-sign': dict(pub, use='enc', key_ops=['sign']),
        'ec-key-ops-bad': dict(pub, key_ops='verify'),
        'ec-kid-number': dict(pub, kid=1),
        'ec-alg-es521': dict(pub, alg='ES521'),
        'rsa-e-1': dict(rsa, e='AQ'),
        'rsa-e-0': dict(rsa, e='AA'),
        'rsa-n-small': dict(rsa, n=rsa['n'][:170]),
        'rsa-n-leading-zero': dict(rsa, n='AA' + rsa['n']),
        'rsa-alg-hs256': dict(rsa, alg='HS256'),
        'rsa-x5c': dict(rsa, x5c=['MIIB'], x5t='x'),
        'rsa-oth': dict(rsa, d='AQAB', p='AQAB', q='AQAB', dp='AQAB',
                        dq='AQAB', qi='AQAB', oth=[{'r': 'AQAB'}]),
        'oct-empty': {'kty': 'oct', 'k': ''},
        'oct-alg-rs256': {'kty': 'oct', 'k': b64(os.urandom(32)),
                          'alg': 'RS256'},
        'oct-dir-wrong-len': {'kty': 'oct', 'k': b64(os.urandom(20)),
                              'alg': 'A128GCM'},
        'okp-x25519-as-sig': dict(json.loads(made[6].export_public()),
                                  alg='EdDSA'),
        'kty-unknown': {'kty': 'XYZ', 'x': 'AA'},
        'kty-missing': {'x': 'AA'},
        'set-empty': {'keys': []},
        'set-not-array': {'keys': {}},
        'set-dup-kid': {'keys': [dict(pub, kid='a'), dict(rsa, kid='a')]},
        'set-mixed': {'keys': [json.loads(made[1].export_private()),
                               json.loads(made[2].export_public())]},
        'set-101': {'keys': [dict(pub, kid=str(i)) for i in range(101)]},
        'set-all-skipped': {'keys': [dict(pub, use='enc'),
                                     {'kty': 'XYZ'}]},
    }
    for name, obj in bad.items():
        c.add('bad-' + name, json.dumps(obj))
    c.add('bad-dup-member', '{"kty":"oct","kty":"RSA","k":"AAAA"}')
    c.add('bad-not-object', '[{"kty":"oct"}]')
    c.add('bad-nul', '{"kty":"oct","k":"AAAA","kid":"a\\u0000b"}')
    return len(c.names)


# ------------------------------------------------------------------ b64 --

def make_b64():
    c = Corpus('b64')
    samples = {
        'empty': b'', 'A': b'A', 'AA': b'AA', 'AB': b'AB', 'AAA': b'AAA',
        'AAB': b'AAB', 'AAAA': b'AAAA', 'url-chars': b'-_-_',
        'std-chars': b'+/+/', 'padded': b'QQ==', 'pad-only': b'====',
        'space': b'QU FB', 'newline': b'QUFB\n', 'nul': b'QU\0FB',
        'high-bytes': bytes(range(128, 256)),
        'alphabet': b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                    b'0123456789-_',
        'header': b'eyJhbGciOiJIUzI1NiIsImtpZCI6ImhzMjU2In0',
        'all-bytes': bytes(range(256)),
        'long': b'QUFB' * 1000 + b'QQ',
        'unused-bits-2': b'QR', 'unused-bits-3': b'QUG',
    }
    for name, data in samples.items():
        c.add(name, data)
    return len(c.names)


def main():
    counts = {'jws': make_jws(), 'jwe': make_jwe(), 'jwk': make_jwk(),
              'b64': make_b64()}
    for t, n in counts.items():
        print('%s: %d seeds' % (t, n))
    print('total: %d' % sum(counts.values()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
