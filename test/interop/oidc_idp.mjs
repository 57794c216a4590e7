// Licensed under the Apache License, Version 2.0 (the "License"); you may not
// use this file except in compliance with the License.  You may obtain a copy
// of the License at http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
//
// oidc_idp.mjs: panva's oidc-provider as a real identity provider for
// test_oidc_provider.py, behind TLS on 127.0.0.1.
//
//   node oidc_idp.mjs PORT CERT KEY JWKS_FILE
//
// JWKS_FILE holds the provider's private signing keys ({"keys":[...]}, the
// first one signs).  The only client is "api-client" (secret
// "api-client-secret") with the client credentials grant; the resource
// indicator https://api.example/ (RFC 8707) gets JWT access tokens
// (RFC 9068, typ at+jwt) with aud = that resource and scope "read".
// Prints "ready ISSUER" on stdout once listening.

import fs from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const [port, certFile, keyFile, jwksFile] = process.argv.slice(2);
const issuer = `https://127.0.0.1:${port}`;
const RESOURCE = 'https://api.example/';

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'api-client',
    client_secret: 'api-client-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  }],
  jwks: JSON.parse(fs.readFileSync(jwksFile, 'utf8')),
  scopes: ['read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) {
          throw new Error('unknown resource');
        }
        return {
          scope: 'read',
          audience: RESOURCE,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
provider.on('server_error', (ctx, err) => {
  console.error('oidc-provider server_error:', err);
});

const server = https.createServer({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
}, provider.callback());
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
