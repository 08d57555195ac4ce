// An OAuth 2.0 client nobody at Switchboard wrote (oauth4webapi, https://github.com/panva/oauth4webapi) run against a
// running node. The .NET interop tests (tests/Switchboard.Tests/OAuth/Interop) start the node, register the apps and
// the user, and run one scenario of this script:
//
//   node client.mjs <scenario> <config.json>
//
// Each step prints one JSON line {"step": name, ...facts}; a failed assertion or an unexpected error ends the run with a
// {"failed": ...} line and exit code 1. With "pages": "external" the script prints {"authorize": url} and waits for a
// browser (driven by the .NET test) to come back to its loopback receiver; with "pages": "forms" it goes through the
// sign-in and consent pages itself, as a browser without JavaScript would: cookies kept, the pages' forms (CSRF tokens
// and all) parsed and posted.
//
// Only 127.0.0.1 is contacted: the node under test and this script's own receiver.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import * as oauth from 'oauth4webapi';

const [scenario, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuerUrl = new URL(config.issuer);
const insecure = { [oauth.allowInsecureRequests]: true }; // the test node serves plain http on 127.0.0.1

function report(step, facts = {}) {
  process.stdout.write(JSON.stringify({ step, ...facts }) + '\n');
}

// ---------------------------------------------------------------------------------------------------------------------
// The loopback receiver of the authorization response (RFC 8252 §7.3: a port picked at run time).
function startReceiver() {
  let waiting = [];
  let received = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${server.address().port}`);
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    received.push(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>Done</title><h1 id="done">The app received the answer. You can close this window.</h1>');
    for (const w of waiting) w(url);
    waiting = [];
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const redirectUri = `http://127.0.0.1:${server.address().port}/callback`;
      resolve({
        redirectUri,
        next(timeoutMs = 90_000) {
          if (received.length) return Promise.resolve(received.shift());
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no callback at ${redirectUri} within ${timeoutMs} ms`)), timeoutMs);
            waiting.push((url) => { clearTimeout(timer); received.shift(); resolve(url); });
          });
        },
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// A browser reduced to HTTP: a cookie jar for the node's origin, no automatic redirects, and the pages' forms.
class FormBrowser {
  cookies = new Map();
  pages = [];

  async request(url, { method = 'GET', form } = {}) {
    const headers = { accept: 'text/html' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a) || /^\s*expires\s*=.*1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /// Follows the authorization request through the node's pages until the node redirects to the app's receiver.
  async authorize(authorizationUrl, receiver, credentials) {
    let url = new URL(authorizationUrl);
    let options = {};
    const seen = [];
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.request(url, options);
      seen.push(`${options.method ?? 'GET'} ${url.pathname} -> ${response.status}`);
      if (response.status >= 300 && response.status < 400) {
        // RFC 9700 §4.12: after a POST only 303 is acceptable (307 would resend the form with the password).
        if (options.method === 'POST') assert.equal(response.status, 303, `a POST to ${url.pathname} answered ${response.status}, not 303`);
        const location = new URL(response.headers.get('location'), url);
        if (location.href.startsWith(receiver.redirectUri)) {
          await fetch(location); // the browser lands on the app's receiver
          return { callback: await receiver.next(), hops: seen };
        }
        assert.equal(location.origin, issuerUrl.origin, `redirected to another origin: ${location.href}`);
        url = location;
        options = {};
        continue;
      }
      const html = await response.text();
      assert.equal(response.status, 200, `${url.pathname} answered ${response.status}:\n${html.slice(0, 2000)}`);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      this.pages.push({ path: url.pathname, html });
      const forms = parseForms(html, url);
      const signIn = forms.find((f) => f.fields.some((i) => i.type === 'password'));
      if (signIn) {
        const form = formValues(signIn);
        form.email = credentials.email;
        form.password = credentials.password;
        url = new URL(signIn.action);
        options = { method: 'POST', form };
        continue;
      }
      const consent = forms.map((f) => ({ f, button: f.buttons.find((b) => /^(allow|approve|authori[sz]e|accept|grant)/i.test(`${b.value} ${b.text}`.trim()) || /^(allow|approve|authori[sz]e|accept|grant)/i.test(b.text)) }))
        .find((x) => x.button);
      assert.ok(consent, `no sign-in or consent form on ${url.pathname}:\n${html.slice(0, 3000)}`);
      const form = formValues(consent.f);
      if (consent.button.name) form[consent.button.name] = consent.button.value ?? '';
      url = new URL(consent.f.action);
      options = { method: 'POST', form };
    }
    assert.fail(`no redirect to the app after 20 hops: ${seen.join(', ')}`);
  }
}

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (m, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function attributes(source) {
  const result = {};
  for (const m of source.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g))
    result[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  return result;
}

/// The forms of a page: action, fields (input, select with its chosen option) and submit buttons.
function parseForms(html, base) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1]);
    const inner = m[2];
    const fields = [];
    const buttons = [];
    for (const t of inner.matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(t[1]);
      const type = (a.type ?? 'text').toLowerCase();
      if (type === 'submit') buttons.push({ name: a.name, value: a.value, text: a.value ?? '' });
      else fields.push({ type, name: a.name, value: a.value ?? '', checked: 'checked' in a });
    }
    for (const s of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      const a = attributes(s[1]);
      const options = [...s[2].matchAll(/<option\b([^>]*)>/gi)].map((o) => attributes(o[1]));
      const chosen = options.find((o) => 'selected' in o) ?? options[0];
      fields.push({ type: 'select', name: a.name, value: chosen?.value ?? '' });
    }
    for (const b of inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const a = attributes(b[1]);
      if ((a.type ?? 'submit').toLowerCase() === 'submit')
        buttons.push({ name: a.name, value: a.value, text: decodeEntities(b[2].replace(/<[^>]*>/g, '')).trim() });
    }
    forms.push({ action: new URL(attrs.action ?? '', base).href, method: (attrs.method ?? 'get').toLowerCase(), fields, buttons });
  }
  return forms;
}

/// What a browser submits for a form's fields: text and hidden fields, checked radios and checkboxes, selects.
function formValues(form) {
  const values = {};
  const radios = new Set();
  for (const f of form.fields) {
    if (!f.name) continue;
    if (f.type === 'radio') {
      if (f.checked) values[f.name] = f.value;
      else if (!radios.has(f.name) && !(f.name in values)) values[f.name] = f.value; // the first, if none is checked
      radios.add(f.name);
    } else if (f.type === 'checkbox') {
      if (f.checked) values[f.name] = f.value || 'on';
    } else values[f.name] = f.value;
  }
  return values;
}

// ---------------------------------------------------------------------------------------------------------------------
// Helpers around oauth4webapi.

async function discover() {
  const response = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...insecure });
  const as = await oauth.processDiscoveryResponse(issuerUrl, response);
  return as;
}

/// An error response of the authorization server as oauth4webapi reports it (RFC 6749 §5.2).
async function expectOAuthError(promise, expectedError, what) {
  try {
    await promise;
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      assert.equal(err.error, expectedError, `${what}: expected ${expectedError}, got ${err.error} (${err.error_description})`);
      return err;
    }
    // A 401 with a WWW-Authenticate challenge (RFC 6749 §5.2: invalid_client after HTTP Basic); the body still has the error.
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      const body = await err.response.json();
      assert.equal(body.error, expectedError, `${what}: expected ${expectedError}, got ${err.status} ${JSON.stringify(body)}`);
      assert.ok(err.cause.some((c) => c.scheme === 'basic'), `${what}: the challenge is not Basic: ${JSON.stringify(err.cause)}`);
      return err;
    }
    throw err;
  }
  assert.fail(`${what}: expected the error ${expectedError}, but it succeeded`);
}

async function callApi(token, { dpop, scheme } = {}) {
  const url = new URL(config.api.url);
  if (dpop) {
    let response;
    try {
      response = await oauth.protectedResourceRequest(token, 'GET', url, new Headers(), null, { DPoP: dpop, ...insecure });
    } catch (err) {
      // oauth4webapi raises a 401 with a WWW-Authenticate challenge instead of answering it.
      if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err;
      response = err.response;
    }
    return { status: response.status, body: await response.text(), wwwAuthenticate: response.headers.get('www-authenticate') };
  }
  const response = await fetch(url, { headers: { authorization: `${scheme ?? 'Bearer'} ${token}` } });
  return { status: response.status, body: await response.text(), wwwAuthenticate: response.headers.get('www-authenticate') };
}

async function expectApiOk(token, options, what) {
  const r = await callApi(token, options);
  assert.equal(r.status, 200, `${what}: the API answered ${r.status}: ${r.body}`);
  assert.equal(JSON.parse(r.body).id, config.api.expectId, `${what}: another record came back`);
  return r;
}

/// The API refuses the token (401), now or within the node's invalidation poll interval.
async function expectApiRefused(token, options, what, withinMs = 0) {
  const started = Date.now();
  let r;
  for (;;) {
    r = await callApi(token, options);
    if (r.status !== 200 || Date.now() - started >= withinMs) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(r.status, 401, `${what}: expected 401, the API answered ${r.status}: ${r.body}`);
  return { ...r, afterMs: Date.now() - started };
}

/// RFC 9068: the access token checked as a resource server checks it, by oauth4webapi's own validator (signature by the
/// JWKS at jwks_uri, typ at+jwt, iss, aud, exp, and the required claims; with DPoP, the proof and the cnf binding).
async function validateAtResourceServer(as, request, options = {}) {
  return await oauth.validateJwtAccessToken(as, request, config.audience, { ...insecure, ...options });
}

/// Sends a protected-resource request with oauth4webapi's DPoP handle and keeps a copy of what was sent.
async function dpopRequestCapturingProof(token, dpop) {
  let sent;
  const customFetch = async (url, init) => {
    sent = { url, method: init.method, headers: new Headers(init.headers) };
    return fetch(url, init);
  };
  const response = await oauth.protectedResourceRequest(token, 'GET', new URL(config.api.url), new Headers(), null,
    { DPoP: dpop, [oauth.customFetch]: customFetch, ...insecure });
  return { response, sent };
}

async function authorizationCode(as, client, receiver, parameters, what) {
  const appName = [config.confidential, config.public].find((a) => a.clientId === client.client_id)?.name;
  const authorizationUrl = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries(parameters)) authorizationUrl.searchParams.set(k, v);
  if (config.pages === 'external') {
    process.stdout.write(JSON.stringify({ authorize: authorizationUrl.href, what }) + '\n');
    return { callback: await receiver.next(), hops: ['(browser)'] };
  }
  const browser = new FormBrowser();
  const result = await browser.authorize(authorizationUrl, receiver, config.user);
  const consentPage = browser.pages.find((p) => p.path === '/oauth/consent');
  if (consentPage) assert.ok(consentPage.html.includes(appName), `the consent page does not name the app (${appName})`);
  return { ...result, pages: browser.pages.map((p) => p.path) };
}

async function pkce() {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
}

function claimsOf(jwt) {
  const [header, payload] = jwt.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
  return { header, payload };
}

// ---------------------------------------------------------------------------------------------------------------------
// Scenarios.

const scenarios = {
  /// RFC 8414 discovery; code + PKCE through the pages; iss (RFC 9207); exchange; the token at a resource server and
  /// on the API; introspection; refresh rotation; reuse of the rotated refresh token revokes the grant.
  async code(as) {
    const client = { client_id: config.confidential.clientId };
    const auth = oauth.ClientSecretBasic(config.confidential.clientSecret);
    const receiver = await startReceiver();
    try {
      const { verifier, challenge } = await pkce();
      const state = oauth.generateRandomState();
      const { callback, hops, pages } = await authorizationCode(as, client, receiver, {
        client_id: client.client_id, redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
        code_challenge: challenge, code_challenge_method: 'S256', state,
      }, 'code');
      assert.equal(callback.searchParams.get('iss'), as.issuer, 'RFC 9207: iss in the authorization response');
      // A response with another issuer (a mix-up attack, RFC 9207 §2.4) must be refused by the client.
      const mixedUp = new URL(callback);
      mixedUp.searchParams.set('iss', 'https://attacker.example');
      assert.throws(() => oauth.validateAuthResponse(as, client, mixedUp, state), /iss/);
      const params = oauth.validateAuthResponse(as, client, callback, state);
      report('authorization_response', { iss: callback.searchParams.get('iss'), hops, pages });

      const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, receiver.redirectUri, verifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
      assert.equal(tokens.token_type, 'bearer');
      assert.ok(tokens.refresh_token, 'a refresh token is issued with the code');
      assert.equal(typeof tokens.expires_in, 'number');
      const { header, payload } = claimsOf(tokens.access_token);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(header.alg, 'ES256');
      assert.equal(payload.sub, config.user.id);
      assert.equal(payload.client_id, client.client_id);
      report('token_exchange', { scope: tokens.scope, expiresIn: tokens.expires_in, claims: payload });

      const claims = await validateAtResourceServer(as, new Request(config.api.url, { headers: { authorization: `Bearer ${tokens.access_token}` } }));
      assert.equal(claims.iss, as.issuer);
      report('resource_server_validation', { aud: claims.aud });
      await expectApiOk(tokens.access_token, {}, 'the access token on the API');
      // The token is limited to its scopes: contacts:read and contacts:write, nothing of another resource.
      const other = await fetch(new URL('/api/v1/deals', as.issuer), { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(other.status, 403, `a contacts token listing deals answered ${other.status}`);
      report('api_call');

      // Scope escalation in the authorization request: a scope the app was not registered for is refused, with the
      // error sent back to the app (RFC 6749 §4.1.2.1) and iss (RFC 9207); no page is shown.
      const escalation = oauth.generateRandomState();
      const { callback: escalated } = await authorizationCode(as, client, receiver, {
        client_id: client.client_id, redirect_uri: receiver.redirectUri, response_type: 'code', scope: `${config.scope} admin`,
        code_challenge: (await pkce()).challenge, code_challenge_method: 'S256', state: escalation,
      }, 'scope escalation');
      assert.throws(() => oauth.validateAuthResponse(as, client, escalated, escalation),
        (err) => err instanceof oauth.AuthorizationResponseError && err.error === 'invalid_scope');
      report('scope_escalation_refused');

      // The same code again: refused, and what it issued is revoked (RFC 6749 §4.1.2, RFC 9700 §4.2.4 ... §2.1.1).
      await expectOAuthError(
        oauth.authorizationCodeGrantRequest(as, client, auth, params, receiver.redirectUri, verifier, insecure)
          .then((r) => oauth.processAuthorizationCodeResponse(as, client, r)),
        'invalid_grant', 'a code redeemed twice');
      const replayRevoked = await expectApiRefused(tokens.access_token, {}, 'the access token of a replayed code', 5_000);
      report('code_replay_revokes', { afterMs: replayRevoked.afterMs });

      // A fresh authorization (the grant above was revoked; this one is consented anew through the pages).
      const second = await pkce();
      const state2 = oauth.generateRandomState();
      const again = await authorizationCode(as, client, receiver, {
        client_id: client.client_id, redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
        code_challenge: second.challenge, code_challenge_method: 'S256', state: state2,
      }, 'code, second authorization');
      const params2 = oauth.validateAuthResponse(as, client, again.callback, state2);
      // A wrong verifier is refused (RFC 7636 §4.6).
      await expectOAuthError(
        oauth.authorizationCodeGrantRequest(as, client, auth, params2, receiver.redirectUri, verifier, insecure)
          .then((r) => oauth.processAuthorizationCodeResponse(as, client, r)),
        'invalid_grant', 'a code with another verifier');
      report('pkce_wrong_verifier_refused');
      const third = await pkce();
      const state3 = oauth.generateRandomState();
      const once = await authorizationCode(as, client, receiver, {
        client_id: client.client_id, redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
        code_challenge: third.challenge, code_challenge_method: 'S256', state: state3,
      }, 'code, third authorization');
      const params3 = oauth.validateAuthResponse(as, client, once.callback, state3);
      const first = await oauth.processAuthorizationCodeResponse(as, client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, params3, receiver.redirectUri, third.verifier, insecure));
      await expectApiOk(first.access_token, {}, 'the access token of the third authorization');

      // Introspection (RFC 7662) of the access and refresh tokens.
      const introspected = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, auth, first.access_token, insecure));
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, client.client_id);
      assert.equal(introspected.sub, config.user.id);
      assert.ok(typeof introspected.exp === 'number' && introspected.exp * 1000 > Date.now());
      const introspectedRefresh = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, auth, first.refresh_token, { ...insecure, additionalParameters: { token_type_hint: 'refresh_token' } }));
      assert.equal(introspectedRefresh.active, true);
      report('introspection', { access: introspected, refreshActive: introspectedRefresh.active });

      // Refresh rotation: a new refresh token each time; the old one is spent.
      const rotated = await oauth.processRefreshTokenResponse(as, client,
        await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token, insecure));
      assert.ok(rotated.refresh_token && rotated.refresh_token !== first.refresh_token, 'the refresh token rotates');
      assert.notEqual(rotated.access_token, first.access_token);
      await expectApiOk(rotated.access_token, {}, 'the access token from the refresh');
      // RFC 6749 §6: a refresh may not widen the scope.
      await expectOAuthError(
        oauth.refreshTokenGrantRequest(as, client, auth, rotated.refresh_token, { ...insecure, additionalParameters: { scope: `${config.scope} deals:read` } })
          .then((r) => oauth.processRefreshTokenResponse(as, client, r)),
        'invalid_scope', 'a refresh asking for more scope');
      report('refresh_rotation');

      // Reuse of the rotated refresh token: refused, and the whole grant is revoked (RFC 9700 §4.14.2): the new tokens
      // stop working too, on the API and at the token endpoint.
      await expectOAuthError(
        oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token, insecure).then((r) => oauth.processRefreshTokenResponse(as, client, r)),
        'invalid_grant', 'the rotated refresh token presented again');
      const refused = await expectApiRefused(rotated.access_token, {}, 'the newest access token after the reuse', 5_000);
      await expectOAuthError(
        oauth.refreshTokenGrantRequest(as, client, auth, rotated.refresh_token, insecure).then((r) => oauth.processRefreshTokenResponse(as, client, r)),
        'invalid_grant', 'the newest refresh token after the reuse');
      const inactive = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, auth, rotated.access_token, insecure));
      assert.equal(inactive.active, false, 'introspection still calls the revoked access token active');
      report('refresh_reuse_revokes_grant', { afterMs: refused.afterMs });
    } finally {
      await receiver.close();
    }
  },

  /// client_credentials (client_secret_basic and client_secret_post), the token on the API, introspection, revocation
  /// of the access token (RFC 7009), and a wrong secret refused.
  async clientCredentials(as) {
    const client = { client_id: config.confidential.clientId };
    const auth = oauth.ClientSecretBasic(config.confidential.clientSecret);
    const tokens = await oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: config.clientScope }, insecure));
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.refresh_token, undefined, 'client_credentials issues no refresh token (RFC 6749 §4.4.3)');
    assert.equal(tokens.scope, config.clientScope);
    const { header, payload } = claimsOf(tokens.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(payload.sub, client.client_id, 'RFC 9068 §2.2: with no resource owner the subject is the client');
    report('client_credentials', { claims: payload });

    const claims = await validateAtResourceServer(as, new Request(config.api.url, { headers: { authorization: `Bearer ${tokens.access_token}` } }));
    assert.equal(claims.client_id, client.client_id);
    await expectApiOk(tokens.access_token, {}, 'the client_credentials token on the API');
    report('api_call');

    const post = await oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(config.confidential.clientSecret), { scope: config.clientScope }, insecure));
    await expectApiOk(post.access_token, {}, 'a token got with client_secret_post');
    report('client_secret_post');

    await expectOAuthError(
      oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(config.confidential.clientSecret + 'x'), {}, insecure)
        .then((r) => oauth.processClientCredentialsResponse(as, client, r)),
      'invalid_client', 'a wrong client secret');
    report('wrong_secret_refused');

    await expectOAuthError(
      oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'contacts:read deals:read' }, insecure)
        .then((r) => oauth.processClientCredentialsResponse(as, client, r)),
      'invalid_scope', 'client_credentials asking for a scope the app was not registered for');
    report('scope_escalation_refused');

    const introspected = await oauth.processIntrospectionResponse(as, client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(introspected.active, true);
    assert.equal(introspected.client_id, client.client_id);
    assert.equal(introspected.scope, config.clientScope);
    report('introspection', { active: introspected });

    // RFC 7009: the access token revoked; the API then refuses it (within the poll interval) and introspection says inactive.
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
    const refused = await expectApiRefused(tokens.access_token, {}, 'a revoked access token', 5_000);
    const after = await oauth.processIntrospectionResponse(as, client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(after.active, false);
    await expectApiOk(post.access_token, {}, 'another token of the same client after one was revoked');
    // RFC 7009 §2.2: an unknown or invalid token is answered 200 too.
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, 'not-a-token', insecure));
    report('revocation', { afterMs: refused.afterMs });
  },

  /// RFC 7009 on a refresh token: revoking it ends the grant's access tokens as well (RFC 7009 §2.1 "SHOULD").
  async revokeRefresh(as) {
    const client = { client_id: config.confidential.clientId };
    const auth = oauth.ClientSecretBasic(config.confidential.clientSecret);
    const receiver = await startReceiver();
    try {
      const { verifier, challenge } = await pkce();
      const state = oauth.generateRandomState();
      const { callback } = await authorizationCode(as, client, receiver, {
        client_id: client.client_id, redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
        code_challenge: challenge, code_challenge_method: 'S256', state,
      }, 'revoke');
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, params, receiver.redirectUri, verifier, insecure));
      await expectApiOk(tokens.access_token, {}, 'the access token before revocation');
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.refresh_token,
        { ...insecure, additionalParameters: { token_type_hint: 'refresh_token' } }));
      await expectOAuthError(
        oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, insecure).then((r) => oauth.processRefreshTokenResponse(as, client, r)),
        'invalid_grant', 'a revoked refresh token');
      const refused = await expectApiRefused(tokens.access_token, {}, 'the access token of a revoked refresh token', 5_000);
      const intro = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, auth, tokens.refresh_token, insecure));
      assert.equal(intro.active, false);
      report('refresh_revocation', { afterMs: refused.afterMs });

      // Another client may not revoke (or learn about) this client's tokens (RFC 7009 §2.1, RFC 7662 §2.2).
      const other = { client_id: config.other.clientId };
      const otherAuth = oauth.ClientSecretBasic(config.other.clientSecret);
      const { verifier: v2, challenge: c2 } = await pkce();
      const s2 = oauth.generateRandomState();
      const { callback: cb2 } = await authorizationCode(as, client, receiver, {
        client_id: client.client_id, redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
        code_challenge: c2, code_challenge_method: 'S256', state: s2,
      }, 'revoke, second');
      const p2 = oauth.validateAuthResponse(as, client, cb2, s2);
      const mine = await oauth.processAuthorizationCodeResponse(as, client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, p2, receiver.redirectUri, v2, insecure));
      const theirs = await oauth.processIntrospectionResponse(as, other,
        await oauth.introspectionRequest(as, other, otherAuth, mine.access_token, insecure));
      assert.equal(theirs.active, false, "another client's introspection must not describe this client's token");
      await oauth.revocationRequest(as, other, otherAuth, mine.refresh_token, insecure).then((r) => r.status < 500 || assert.fail(`revoke answered ${r.status}`));
      await new Promise((r) => setTimeout(r, 500));
      await expectApiOk(mine.access_token, {}, "a token another client tried to revoke");
      const still = await oauth.processRefreshTokenResponse(as, client,
        await oauth.refreshTokenGrantRequest(as, client, auth, mine.refresh_token, insecure));
      assert.ok(still.access_token);
      report('other_client_cannot_revoke');
    } finally {
      await receiver.close();
    }
  },

  /// RFC 9126: the request pushed to the PAR endpoint, then only client_id and request_uri on the front channel; a
  /// request_uri is single use.
  async par(as) {
    assert.ok(as.pushed_authorization_request_endpoint, 'the metadata names no pushed_authorization_request_endpoint');
    const client = { client_id: config.confidential.clientId };
    const auth = oauth.ClientSecretBasic(config.confidential.clientSecret);
    const receiver = await startReceiver();
    try {
      const { verifier, challenge } = await pkce();
      const state = oauth.generateRandomState();
      const pushed = await oauth.processPushedAuthorizationResponse(as, client,
        await oauth.pushedAuthorizationRequest(as, client, auth, {
          redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
          code_challenge: challenge, code_challenge_method: 'S256', state,
        }, insecure));
      assert.match(pushed.request_uri, /^urn:ietf:params:oauth:request_uri:/);
      assert.ok(pushed.expires_in > 0 && pushed.expires_in <= 600);
      report('pushed', { expiresIn: pushed.expires_in });
      const { callback } = await authorizationCode(as, client, receiver, { client_id: client.client_id, request_uri: pushed.request_uri }, 'par');
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, params, receiver.redirectUri, verifier, insecure));
      await expectApiOk(tokens.access_token, {}, 'a token from a pushed request');
      report('par_code_flow');

      // Used once: the same request_uri again is refused on the server's own page (not redirected).
      const again = new URL(as.authorization_endpoint);
      again.searchParams.set('client_id', client.client_id);
      again.searchParams.set('request_uri', pushed.request_uri);
      const reused = await fetch(again, { redirect: 'manual' });
      assert.equal(reused.status, 400, `a used request_uri answered ${reused.status}`);
      // Without client authentication the PAR endpoint refuses a confidential client (RFC 9126 §2).
      await expectOAuthError(
        oauth.pushedAuthorizationRequest(as, client, oauth.None(), {
          redirect_uri: receiver.redirectUri, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256',
        }, insecure).then((r) => oauth.processPushedAuthorizationResponse(as, client, r)),
        'invalid_client', 'PAR without the client secret');
      report('par_refusals');
    } finally {
      await receiver.close();
    }
  },

  /// RFC 9449: a public client with a DPoP key: PAR with a proof, the code redeemed with a proof, DPoP-bound tokens used
  /// with proofs; the bound token sent as Bearer, without a proof, with a replayed proof, or with another key's proof is
  /// refused; refresh tokens of a public client are bound too. client_credentials with DPoP for the confidential app.
  async dpop(as) {
    assert.ok(as.dpop_signing_alg_values_supported?.includes('ES256'), 'the metadata does not list ES256 under dpop_signing_alg_values_supported');
    const client = { client_id: config.public.clientId };
    const auth = oauth.None();
    const keys = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(client, keys);
    const receiver = await startReceiver();
    try {
      const { verifier, challenge } = await pkce();
      const state = oauth.generateRandomState();
      // RFC 9449 §10: dpop_jkt binds the code to the key (sent here with a proof of the same key in the DPoP header, §10.1).
      const jkt = await thumbprint(keys.publicKey);
      const pushed = await oauth.processPushedAuthorizationResponse(as, client,
        await oauth.pushedAuthorizationRequest(as, client, auth, {
          redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
          code_challenge: challenge, code_challenge_method: 'S256', state, dpop_jkt: jkt,
        }, { DPoP: dpop, ...insecure }));
      const { callback } = await authorizationCode(as, client, receiver, { client_id: client.client_id, request_uri: pushed.request_uri }, 'dpop');
      const params = oauth.validateAuthResponse(as, client, callback, state);

      // RFC 9449 §10: a code whose request was pushed with a proof can be redeemed only with that key.
      const otherKeys = await oauth.generateKeyPair('ES256');
      await expectOAuthError(
        oauth.authorizationCodeGrantRequest(as, client, auth, params, receiver.redirectUri, verifier, { DPoP: oauth.DPoP(client, otherKeys), ...insecure })
          .then((r) => oauth.processAuthorizationCodeResponse(as, client, r)),
        'invalid_dpop_proof', 'the code redeemed with another DPoP key');
      report('code_bound_to_dpop_key');
      // The refused attempt spent nothing? It may have: a fresh authorization is not needed when it did not.
      let tokens;
      try {
        tokens = await oauth.processAuthorizationCodeResponse(as, client,
          await oauth.authorizationCodeGrantRequest(as, client, auth, params, receiver.redirectUri, verifier, { DPoP: dpop, ...insecure }));
      } catch (err) {
        throw new Error(`the code was refused with the right DPoP key after a refusal with another key: ${err.error ?? ''} ${err.error_description ?? err.message}`);
      }
      assert.equal(tokens.token_type, 'dpop', 'RFC 9449 §5: token_type DPoP');
      const { payload } = claimsOf(tokens.access_token);
      assert.equal(payload.cnf?.jkt, jkt, 'RFC 9449 §6.1: cnf.jkt is the thumbprint of the proof key');
      report('dpop_token', { cnf: payload.cnf });

      const { response, sent } = await dpopRequestCapturingProof(tokens.access_token, dpop);
      assert.equal(response.status, 200, `a DPoP-bound token with its proof: ${response.status} ${await response.text()}`);
      const claims = await validateAtResourceServer(as, new Request(sent.url, { method: sent.method, headers: sent.headers }), { requireDPoP: true });
      assert.equal(claims.cnf.jkt, jkt);
      report('dpop_api_call');

      const asBearer = await expectApiRefused(tokens.access_token, {}, 'a DPoP-bound token sent as Bearer');
      const noProof = await expectApiRefused(tokens.access_token, { scheme: 'DPoP' }, 'a DPoP-bound token without a proof');
      const replay = await fetch(sent.url, { headers: sent.headers });
      assert.equal(replay.status, 401, `a replayed DPoP proof (same jti) answered ${replay.status}`);
      const foreign = await callApi(tokens.access_token, { dpop: oauth.DPoP(client, otherKeys) });
      assert.equal(foreign.status, 401, `a proof by another key answered ${foreign.status}`);
      report('dpop_refusals', { bearer: asBearer.wwwAuthenticate, noProof: noProof.wwwAuthenticate });

      // Refresh: the public client's refresh token is bound to the key (RFC 9449 §5): without a proof it is refused.
      await expectOAuthError(
        oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, insecure).then((r) => oauth.processRefreshTokenResponse(as, client, r)),
        'invalid_dpop_proof', 'a bound refresh token without a proof');
      const refreshed = await oauth.processRefreshTokenResponse(as, client,
        await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, { DPoP: dpop, ...insecure }));
      assert.equal(refreshed.token_type, 'dpop');
      assert.equal(claimsOf(refreshed.access_token).payload.cnf?.jkt, jkt);
      await expectApiOk(refreshed.access_token, { dpop }, 'the refreshed DPoP-bound token with its proof');
      report('dpop_refresh');

      // client_credentials with a proof (the confidential app).
      const cc = { client_id: config.confidential.clientId };
      const ccDpop = oauth.DPoP(cc, keys);
      const ccTokens = await oauth.processClientCredentialsResponse(as, cc,
        await oauth.clientCredentialsGrantRequest(as, cc, oauth.ClientSecretBasic(config.confidential.clientSecret), { scope: config.clientScope }, { DPoP: ccDpop, ...insecure }));
      assert.equal(ccTokens.token_type, 'dpop');
      await expectApiOk(ccTokens.access_token, { dpop: ccDpop }, 'a DPoP-bound client_credentials token with its proof');
      await expectApiRefused(ccTokens.access_token, {}, 'a DPoP-bound client_credentials token sent as Bearer');
      report('dpop_client_credentials');
    } finally {
      await receiver.close();
    }
  },

  /// RFC 9449 §10.1: a DPoP proof in the header of a PAR request binds the code to its key as dpop_jkt would ("It MUST
  /// further behave as if the contained public key's thumbprint was provided using dpop_jkt"): redeeming the code with a
  /// proof of another key, or with none, is refused.
  async dpopPar(as) {
    const client = { client_id: config.public.clientId };
    const auth = oauth.None();
    const keys = await oauth.generateKeyPair('ES256');
    const receiver = await startReceiver();
    try {
      const { verifier, challenge } = await pkce();
      const state = oauth.generateRandomState();
      const pushed = await oauth.processPushedAuthorizationResponse(as, client,
        await oauth.pushedAuthorizationRequest(as, client, auth, {
          redirect_uri: receiver.redirectUri, response_type: 'code', scope: config.scope,
          code_challenge: challenge, code_challenge_method: 'S256', state,
        }, { DPoP: oauth.DPoP(client, keys), ...insecure }));
      const { callback } = await authorizationCode(as, client, receiver, { client_id: client.client_id, request_uri: pushed.request_uri }, 'dpop par');
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const otherKeys = await oauth.generateKeyPair('ES256');
      await expectOAuthError(
        oauth.authorizationCodeGrantRequest(as, client, auth, params, receiver.redirectUri, verifier, { DPoP: oauth.DPoP(client, otherKeys), ...insecure })
          .then((r) => oauth.processAuthorizationCodeResponse(as, client, r)),
        'invalid_dpop_proof', 'a code pushed with a DPoP proof, redeemed with a proof of another key');
      report('par_dpop_header_binds_code');
    } finally {
      await receiver.close();
    }
  },
};

/// RFC 7638 thumbprint of an EC P-256 public key.
async function thumbprint(publicKey) {
  const jwk = await crypto.subtle.exportKey('jwk', publicKey);
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))).toString('base64url');
}

try {
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`);
  const as = await discover();
  for (const field of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'jwks_uri'])
    assert.ok(as[field], `the metadata has no ${field}`);
  assert.ok(as.code_challenge_methods_supported?.includes('S256'), 'the metadata does not list S256 (RFC 8414 §2)');
  assert.equal(as.authorization_response_iss_parameter_supported, true, 'RFC 9207 §3: authorization_response_iss_parameter_supported');
  report('discovery', { issuer: as.issuer });
  await run(as);
  report('done');
  process.exit(0);
} catch (err) {
  const detail = err instanceof oauth.ResponseBodyError
    ? { error: err.error, error_description: err.error_description, status: err.status }
    : err?.cause ? { cause: String(err.cause?.message ?? err.cause) } : {};
  process.stdout.write(JSON.stringify({ failed: String(err?.stack ?? err), code: err?.code, ...detail }) + '\n');
  process.exit(1);
}
