# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A local HTTPS identity provider for the remote-key tests.

LocalCA makes a certificate authority per run (and a second, untrusted one)
and issues server certificates: for 127.0.0.1, or for another host name.
JwksServer serves, over TLS on 127.0.0.1 only:
  /jwks.json                              the key set (KEYS, a list of JWKs)
  /.well-known/openid-configuration       a discovery document
  /.well-known/oauth-authorization-server the RFC 8414 one
and can be told to misbehave (MODE): "ok", "500", "hang" (answer nothing
for HANG seconds), "big" (a 10 MB body), "redirect", "invalid" (not JSON),
"empty" ({"keys":[]}), "nokeys" (no keys member).  stop() takes it off the
network and start() brings it back on the same port.  It counts the
requests per path, keeps the last User-Agent, and answers If-None-Match
with 304 when the set did not change.
"""

import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import socketserver
import ssl
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BIG = 10 * 1024 * 1024
DRIP = 64 * 1024


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class LocalCA:
    """A CA made for this run; certificates it signs for the servers."""

    def __init__(self, directory, cn="mod_authn_jwt test CA"):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        self.key = ec.generate_private_key(ec.SECP256R1())
        t = datetime.datetime.utcnow()
        self.cert = (x509.CertificateBuilder().subject_name(_name(cn))
                     .issuer_name(_name(cn)).public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(t - datetime.timedelta(days=1))
                     .not_valid_after(t + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True,
                                                          path_length=None),
                                    critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = self._write(cn.replace(" ", "_") + ".crt",
                                   self.cert.public_bytes(
                                       serialization.Encoding.PEM))

    def _write(self, name, data):
        p = os.path.join(self.dir, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o644)
        return p

    def issue(self, name, ip="127.0.0.1", dns=("localhost",)):
        """(cert path, key path) of a server certificate for IP and DNS."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.DNSName(d) for d in dns]
        if ip:
            sans.append(x509.IPAddress(ipaddress.ip_address(ip)))
        t = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder().subject_name(_name(name))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(t - datetime.timedelta(days=1))
                .not_valid_after(t + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(sans),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        c = self._write(name + ".crt",
                        cert.public_bytes(serialization.Encoding.PEM))
        k = self._write(name + ".key", key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        return c, k


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class JwksServer:
    def __init__(self, port, cert, key, keys=()):
        self.port = port
        self.cert, self.key = cert, key
        self.keys = list(keys)
        self.mode = "ok"
        self.hang = 10.0
        self.issuer = None          # None: the URL's own (correct) issuer
        self.max_age = None         # Cache-Control: max-age=N when set
        self.counts = {}
        self.not_modified = 0
        self.user_agent = None
        self.lock = threading.Lock()
        self.httpd = None
        self.thread = None

    @property
    def base(self):
        return "https://127.0.0.1:%d" % self.port

    @property
    def jwks_url(self):
        return self.base + "/jwks.json"

    @property
    def oidc_url(self):
        return self.base + "/.well-known/openid-configuration"

    def count(self, path="/jwks.json"):
        with self.lock:
            return self.counts.get(path, 0)

    def wait_count(self, n, path="/jwks.json", timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            if self.count(path) >= n:
                return True
            time.sleep(0.05)
        return False

    def body(self):
        return json.dumps({"keys": self.keys}).encode()

    def etag(self):
        return '"%s"' % hashlib.sha256(self.body()).hexdigest()[:16]

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, status, body, ctype="application/json",
                      headers=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?")[0]
                with outer.lock:
                    outer.counts[path] = outer.counts.get(path, 0) + 1
                    outer.user_agent = self.headers.get("User-Agent")
                    mode = outer.mode
                if mode == "hang":
                    time.sleep(outer.hang)
                    self.close_connection = True
                    return
                if mode == "500":
                    return self._send(500, b"oops", "text/plain")
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", outer.base + path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path.startswith("/.well-known/"):
                    iss = outer.issuer or outer.base
                    doc = {"issuer": iss, "jwks_uri": outer.jwks_url,
                           "token_endpoint": outer.base + "/token"}
                    return self._send(200, json.dumps(doc).encode())
                if path != "/jwks.json":
                    return self._send(404, b"not here", "text/plain")
                if mode == "big":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(BIG))
                    self.end_headers()
                    chunk = b" " * 65536
                    try:
                        for _ in range(BIG // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if mode == "drip":
                    # a key set that trickles in, 16 bytes a millisecond:
                    # the fetching thread is inside TLS all the while
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(DRIP))
                    self.end_headers()
                    try:
                        for _ in range(DRIP // 16):
                            self.wfile.write(b" " * 16)
                            self.wfile.flush()
                            time.sleep(0.001)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if mode == "invalid":
                    return self._send(200, b'{"keys": [')
                if mode == "empty":
                    return self._send(200, b'{"keys": []}')
                if mode == "nokeys":
                    return self._send(200, b'{"issuer": "x"}')
                etag = outer.etag()
                if self.headers.get("If-None-Match") == etag:
                    with outer.lock:
                        outer.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                hdrs = [("ETag", etag)]
                if outer.max_age is not None:
                    hdrs.append(("Cache-Control",
                                 "public, max-age=%d" % outer.max_age))
                return self._send(200, outer.body(), headers=hdrs)

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        self.httpd = _Server(("127.0.0.1", self.port), Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
