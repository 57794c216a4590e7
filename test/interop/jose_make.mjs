// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License.  You may obtain a
// copy of the License at http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
//
// Token maker for test/interop: node's `jose` signs a JWT (RFC 7515/7519)
// and, when asked, encrypts it into a nested JWE (RFC 7516, RFC 7519
// section 5.2: cty "JWT").  stdin:
//   {"jobs": [{"id": "...",
//              "sign": {"alg": "ES256", "key": JWK, "payload": {...}},
//              "encrypt": {"alg": "RSA-OAEP", "enc": "A128GCM",
//                          "key": JWK, "header": {...},
//                          "kmp": {"apu": b64u, "apv": b64u}}}]}
// (encrypt, header and kmp optional)
// stdout: {"<id>": {"token": "..."} | {"error": "..."}}

import { CompactEncrypt, SignJWT, base64url } from 'jose';
import { keyFor, runJobs } from './jose_common.mjs';

await runJobs(async (job) => {
    const s = job.sign;
    const signKey = await keyFor(s.key, s.alg);
    let token = await new SignJWT(s.payload)
        .setProtectedHeader({ alg: s.alg, typ: 'JWT', ...(s.header || {}) })
        .sign(signKey);
    if (job.encrypt) {
        const e = job.encrypt;
        const encKey = await keyFor(e.key, e.alg);
        const jwe = new CompactEncrypt(new TextEncoder().encode(token))
            .setProtectedHeader({ alg: e.alg, enc: e.enc, cty: 'JWT',
                                  ...(e.header || {}) });
        if (e.kmp) {
            // ECDH-ES PartyUInfo/PartyVInfo: jose writes them to the
            // header and feeds them to the Concat KDF (RFC 7518 4.6.2)
            jwe.setKeyManagementParameters({
                apu: base64url.decode(e.kmp.apu),
                apv: base64url.decode(e.kmp.apv),
            });
        }
        token = await jwe.encrypt(encKey);
    }
    return { token };
});
