// node-oidc-provider 9, set up as Switchboard's token endpoint is, for bench/oauth.sh to measure side by side:
// one confidential client authenticating with client_secret_basic, the client_credentials, authorization_code (PKCE
// S256 required) and refresh_token grants, and access tokens that are JWTs (RFC 9068, via resource indicators with
// accessTokenFormat 'jwt') signed with ES256, 15 minutes, for one resource server with the scopes contacts:read and
// contacts:write. A refresh token is issued with each code, as Switchboard does. Storage is a plain in-process Map (the
// adapter below): the codes, grants and refresh tokens never leave memory, the cheapest storage oidc-provider can
// have. Its own development adapter is an LRU of 1,000 entries, which drops a grant and its codes long before a
// benchmark's few thousand codes are redeemed; a production deployment plugs in Redis or a database instead.
//
//   node oidc-provider-server.mjs <port> <mint-port> <client-id> <client-secret>
//
// Both servers bind to 127.0.0.1 only. The second one is the benchmark's back door: GET /mint?n=N mints N authorization
// codes in process under one grant (each with its own PKCE verifier) and answers them as lines "code verifier", so the
// token endpoint's exchange can be measured alone.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const [port, mintPort, clientId, clientSecret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const resource = `${issuer}/api`;
const redirectUri = 'https://app.example.com/callback';
const scope = 'contacts:read contacts:write';

/// oidc-provider's adapter interface (https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js) over
/// one Map; expired entries are not returned and are swept every 10 s.
const store = new Map();
const grants = new Map();
class MapAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.grantId) {
      if (!grants.has(payload.grantId)) grants.set(payload.grantId, new Set());
      grants.get(payload.grantId).add(key);
    }
  }
  async find(id) {
    const entry = store.get(this.key(id));
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  }
  async findByUid(uid) {
    for (const { payload } of store.values()) if (payload.uid === uid) return payload;
    return undefined;
  }
  async findByUserCode() { return undefined; }
  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const key of grants.get(grantId) ?? []) store.delete(key);
    grants.delete(grantId);
  }
}
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) if (entry.expiresAt <= now) store.delete(key);
}, 10_000).unref();

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256', // the only key is an ES256 one (no id tokens are issued here)
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    scope,
  }],
  adapter: MapAdapter,
  jwks: { keys: [jwk] },
  scopes: ['contacts:read', 'contacts:write'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope,
        audience: resource,
        accessTokenTTL: 900,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  issueRefreshToken: () => true,
  findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
  ttl: { AccessToken: 900, ClientCredentials: 900, AuthorizationCode: 60, RefreshToken: 2_592_000, Grant: 2_592_000 },
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

http.createServer(provider.callback()).listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider on ${issuer}`));

async function mint(n) {
  const client = await provider.Client.find(clientId);
  const grant = new provider.Grant({ accountId: 'bench-user', clientId });
  grant.addResourceScope(resource, scope);
  const grantId = await grant.save();
  const lines = [];
  for (let i = 0; i < n; i++) {
    const verifier = randomBytes(32).toString('base64url');
    const code = new provider.AuthorizationCode({
      accountId: 'bench-user', client, grantId, scope, resource, redirectUri,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'), codeChallengeMethod: 'S256',
    });
    lines.push(`${await code.save()} ${verifier}`);
  }
  return lines.join('\n') + '\n';
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname !== '/mint') return res.writeHead(404).end();
  try {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(await mint(Number(url.searchParams.get('n') ?? '1')));
  } catch (err) {
    res.writeHead(500).end(String(err?.stack ?? err));
  }
}).listen(Number(mintPort), '127.0.0.1');
