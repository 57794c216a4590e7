// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License.  You may obtain a
// copy of the License at http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
//
// Shared by jose_make.mjs and jose_check.mjs: read one JSON document from
// stdin, run every job through node's `jose` package, write one JSON object
// {id: result} to stdout.  A job that throws becomes {error: "Name: text"}
// so that one failing algorithm never hides the others.  Keys travel as
// JWKs (RFC 7517); an "oct" JWK becomes the raw bytes, which is what jose
// takes for HMAC, AES key wrap, dir and PBES2 passwords.

import { base64url, importJWK } from 'jose';

export async function readStdin() {
    const chunks = [];
    for await (const c of process.stdin) {
        chunks.push(c);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function keyFor(jwk, alg) {
    if (jwk.kty === 'oct') {
        return base64url.decode(jwk.k);
    }
    return importJWK(jwk, alg);
}

export async function runJobs(run) {
    const input = await readStdin();
    const out = {};
    for (const job of input.jobs) {
        try {
            out[job.id] = await run(job);
        }
        catch (e) {
            out[job.id] = { error: `${e.code || e.name}: ${e.message}` };
        }
    }
    process.stdout.write(JSON.stringify(out));
}
