// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License.  You may obtain a
// copy of the License at http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
//
// Token checker for test/interop: node's `jose` decrypts a nested JWE
// (RFC 7516, only the alg/enc the job names are allowed) and verifies the
// JWT inside (RFC 7515/7519, only the algorithms the job names), with a
// key or with the JWKS the module published (createLocalJWKSet: selection
// by kid and alg, RFC 7517 section 4.5).  stdin:
//   {"jobs": [{"id": "...", "token": "...",
//              "decrypt": {"alg": "...", "enc": "...", "key": JWK},
//              "verify": {"algs": ["ES256"], "key": JWK | "jwks": {...}}}]}
// stdout: {"<id>": {"jwe_header": {...}|null, "header": {...},
//                   "payload": {...}} | {"error": "..."}}

import { compactDecrypt, createLocalJWKSet, jwtVerify } from 'jose';
import { keyFor, runJobs } from './jose_common.mjs';

await runJobs(async (job) => {
    let jws = job.token;
    let jweHeader = null;
    if (job.decrypt) {
        const d = job.decrypt;
        const key = await keyFor(d.key, d.alg);
        const r = await compactDecrypt(job.token, key, {
            keyManagementAlgorithms: [d.alg],
            contentEncryptionAlgorithms: [d.enc],
        });
        jweHeader = r.protectedHeader;
        jws = new TextDecoder().decode(r.plaintext);
    }
    const v = job.verify;
    const key = v.jwks ? createLocalJWKSet(v.jwks)
        : await keyFor(v.key, v.algs[0]);
    const r = await jwtVerify(jws, key, { algorithms: v.algs });
    return { jwe_header: jweHeader, header: r.protectedHeader,
             payload: r.payload };
});
