'use strict';

const { baseUrl, api } = require('./client');

// The connection test and label: GET /api/v1/me names the user (OAuth) or the key's organization (API key).
const test = async (z) => {
  const response = await z.request({ url: api('/me') });
  return response.data;
};
const connectionLabel = (z, bundle) => {
  const me = bundle.inputData || {};
  if (me.user && me.user.email) return `${me.user.name || me.user.email} (${me.user.email})`;
  return `API key ${me.apiKeyId || ''} · organization ${me.organizationId || ''}`.trim();
};

// Scopes the app asks for: what its triggers, actions and searches use.
const SCOPE = 'leads:write contacts:write deals:read calls:read payments:read tasks:write chat:write webhooks:write';

const tokenRequest = async (z, bundle, form) => {
  const response = await z.request({
    url: `${baseUrl()}/oauth/token`,
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: { ...form, client_id: process.env.CLIENT_ID, client_secret: process.env.CLIENT_SECRET },
    skipThrowForStatus: true,
  });
  if (response.status !== 200) {
    // RFC 6749 errors: {error, error_description}
    let detail = `HTTP ${response.status}`;
    try {
      detail = response.json.error_description || response.json.error || detail;
    } catch (e) {
      // keep the status
    }
    throw new z.errors.Error(`Switchboard refused the token request: ${detail}`, 'oauth_token', response.status);
  }
  const token = response.data;
  return { access_token: token.access_token, refresh_token: token.refresh_token };
};

// OAuth 2.0 authorization code with PKCE (Zapier makes the verifier and adds code_challenge to the authorize URL when
// enablePkce is on, then hands the verifier to getAccessToken as bundle.inputData.code_verifier).
// CLIENT_ID and CLIENT_SECRET: the confidential OAuth app registered in Switchboard with Zapier's redirect URL.
const oauth2 = {
  type: 'oauth2',
  test,
  connectionLabel,
  oauth2Config: {
    authorizeUrl: (z, bundle) => {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: process.env.CLIENT_ID || '',
        redirect_uri: bundle.inputData.redirect_uri,
        state: bundle.inputData.state,
        scope: SCOPE,
      });
      return `${baseUrl()}/oauth/authorize?${query}`;
    },
    getAccessToken: (z, bundle) =>
      tokenRequest(z, bundle, {
        grant_type: 'authorization_code',
        code: bundle.inputData.code,
        redirect_uri: bundle.inputData.redirect_uri,
        code_verifier: bundle.inputData.code_verifier,
      }),
    refreshAccessToken: (z, bundle) =>
      tokenRequest(z, bundle, { grant_type: 'refresh_token', refresh_token: bundle.authData.refresh_token }),
    scope: SCOPE,
    autoRefresh: true,
    enablePkce: true,
  },
};

// API key (custom auth): a key made in Switchboard (Settings → API keys) with the scopes above.
const apiKey = {
  type: 'custom',
  test,
  connectionLabel,
  fields: [
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText: 'A Switchboard API key (sk_live_…) from Settings → API keys, with the scopes leads:write, contacts:write, deals:read, calls:read, payments:read, tasks:write, chat:write and webhooks:write.',
    },
  ],
};

// Zapier gives one integration one authentication scheme: SWITCHBOARD_AUTH picks it (oauth2, the default, or api_key).
const chosen = () => {
  const kind = (process.env.SWITCHBOARD_AUTH || 'oauth2').trim();
  if (kind === 'oauth2') return oauth2;
  if (kind === 'api_key') return apiKey;
  throw new Error(`SWITCHBOARD_AUTH must be oauth2 or api_key, not ${JSON.stringify(kind)}.`);
};

module.exports = { oauth2, apiKey, chosen, SCOPE };
