// The client's transport against a scripted local server: retries and their delays, Retry-After in both forms,
// Idempotency-Key reuse across retries, timeouts, abort signals, typed errors, and OAuth token handling.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import {
  ClientCredentials, NotFoundError, OAuthError, RateLimitError, RefreshingTokens, Switchboard, SwitchboardConnectionError,
  SwitchboardTimeoutError, ValidationError, InternalServerError, responseOf,
} from "@switchboard/sdk";

/** A server that answers each request with the next scripted answer (a function of the request) and records them. */
async function scripted(...answers) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      answer(req, res, body);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, requests, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}
const json = (status, body, headers = {}) => (req, res) => {
  res.writeHead(status, { "content-type": status >= 400 ? "application/problem+json" : "application/json", "x-request-id": "req_test", ...headers });
  res.end(JSON.stringify(body));
};
const problem = (status, code, extra = {}, headers = {}) => json(status, { type: "about:blank", title: "t", status, code, requestId: "req_p", ...extra }, headers);
const contact = { id: "con_1", firstName: "Ada", createdAt: "2026-12-04T00:00:00Z", updatedAt: "2026-12-04T00:00:00Z" };

test("503 then 429 (Retry-After as seconds and as an HTTP-date) are retried, keeping one Idempotency-Key", async (t) => {
  const server = await scripted(
    problem(503, "service_unavailable"),
    problem(429, "rate_limited", {}, { "retry-after": "1" }),
    (req, res) => problem(503, "service_unavailable", {}, { "retry-after": new Date(Date.now() + 2500).toUTCString() })(req, res),
    json(201, contact, { etag: '"v1"', "idempotent-replayed": "true" }));
  t.after(server.close);
  const retries = [];
  const client = new Switchboard({ apiKey: "sbk_k", baseUrl: server.url, retryBaseDelayMs: 10, onRetry: (i) => retries.push(i) });
  const created = await client.contacts.create({ firstName: "Ada" });
  assert.equal(created.id, "con_1");
  assert.equal(server.requests.length, 4);
  const keys = new Set(server.requests.map((r) => r.headers["idempotency-key"]));
  assert.equal(keys.size, 1, "every attempt carries the same Idempotency-Key");
  assert.match([...keys][0], /^[0-9a-f-]{36}$/);
  assert.deepEqual(new Set(server.requests.map((r) => r.body)).size, 1, "every attempt sends the same bytes");
  assert.deepEqual(retries.map((r) => [r.status, r.retryAfter]), [[503, false], [429, true], [503, true]]);
  assert.ok(retries[0].delayMs <= 10, "the first backoff is at most the base delay (full jitter)");
  assert.ok(server.requests[2].at - server.requests[1].at >= 950, "waited the 1 s of Retry-After");
  assert.ok(retries[2].delayMs >= 500 && retries[2].delayMs <= 2500, `an HTTP-date Retry-After is a delay from now (${retries[2].delayMs})`);
  assert.equal(server.requests[0].headers.authorization, "Bearer sbk_k");
  const meta = responseOf(created);
  assert.equal(meta.etag, '"v1"');
  assert.equal(meta.replayed, true);
  assert.equal(meta.requestId, "req_test");
});

test("a caller's Idempotency-Key wins; GETs carry none", async (t) => {
  const server = await scripted(json(201, contact), json(200, contact));
  t.after(server.close);
  const client = new Switchboard({ apiKey: "sbk_k", baseUrl: server.url });
  await client.contacts.create({ firstName: "Ada" }, { idempotencyKey: "mine-1" });
  await client.contacts.get("con_1");
  assert.equal(server.requests[0].headers["idempotency-key"], "mine-1");
  assert.equal(server.requests[1].headers["idempotency-key"], undefined);
});

test("after maxRetries the last error is thrown, typed", async (t) => {
  const server = await scripted(problem(429, "rate_limited", { policy: { name: "api_key" } }, { "retry-after": "0" }));
  t.after(server.close);
  const client = new Switchboard({ apiKey: "sbk_k", baseUrl: server.url, maxRetries: 2 });
  const error = await client.contacts.list().catch((e) => e);
  assert.ok(error instanceof RateLimitError, String(error));
  assert.equal(error.status, 429);
  assert.equal(error.code, "rate_limited");
  assert.equal(error.requestId, "req_p");
  assert.equal(error.retryAfterSeconds, 0);
  assert.equal(server.requests.length, 3);
});

test("a Retry-After longer than maxRetryAfterMs is not waited for", async (t) => {
  const server = await scripted(problem(429, "rate_limited", {}, { "retry-after": "3600" }));
  t.after(server.close);
  const started = Date.now();
  await assert.rejects(new Switchboard({ apiKey: "k", baseUrl: server.url }).contacts.list(), RateLimitError);
  assert.ok(Date.now() - started < 1000);
  assert.equal(server.requests.length, 1);
});

test("4xx other than 429 are not retried, and carry their field errors", async (t) => {
  const server = await scripted(
    problem(400, "validation_failed", { detail: "One or more fields are invalid.", errors: { email: ["Must be an email address."] } }),
    problem(404, "not_found"), problem(500, "internal_error"));
  t.after(server.close);
  const client = new Switchboard({ apiKey: "k", baseUrl: server.url });
  const invalid = await client.contacts.create({ email: "nope" }).catch((e) => e);
  assert.ok(invalid instanceof ValidationError);
  assert.deepEqual(invalid.fieldErrors, { email: ["Must be an email address."] });
  assert.match(invalid.message, /email: Must be an email address/);
  assert.ok((await client.contacts.get("con_x").catch((e) => e)) instanceof NotFoundError);
  assert.ok((await client.contacts.get("con_y").catch((e) => e)) instanceof InternalServerError, "500 is not retried");
  assert.equal(server.requests.length, 3);
  assert.equal(server.requests[1].url, "/api/v1/contacts/con_x");
});

test("path parameters are encoded and query values serialized", async (t) => {
  const server = await scripted(json(200, { data: [], hasMore: false, nextCursor: null }));
  t.after(server.close);
  const client = new Switchboard({ apiKey: "k", baseUrl: server.url + "/" });
  await client.webhooks.listDeliveries("wh/1 ?", { limit: 5, status: undefined });
  await client.leads.list({ createdAfter: new Date("2026-01-01T00:00:00Z"), status: "new" });
  assert.equal(server.requests[0].url, "/api/v1/webhooks/wh%2F1%20%3F/deliveries?limit=5");
  assert.equal(server.requests[1].url, "/api/v1/leads?createdAfter=2026-01-01T00%3A00%3A00.000Z&status=new");
});

test("a timeout abandons the attempt and retries; after the last it throws SwitchboardTimeoutError", async (t) => {
  const server = await scripted(() => {}, json(200, contact)); // the first request is never answered
  t.after(server.close);
  const client = new Switchboard({ apiKey: "k", baseUrl: server.url, timeoutMs: 1000, retryBaseDelayMs: 1 });
  assert.equal((await client.contacts.get("con_1")).id, "con_1");
  const slow = await scripted(() => {});
  t.after(slow.close);
  const error = await new Switchboard({ apiKey: "k", baseUrl: slow.url, timeoutMs: 100, maxRetries: 1, retryBaseDelayMs: 1 }).contacts.get("con_1").catch((e) => e);
  assert.ok(error instanceof SwitchboardTimeoutError, String(error));
  assert.equal(slow.requests.length, 2);
});

test("a network error is retried; a refused connection ends as SwitchboardConnectionError", async (t) => {
  const server = await scripted((req) => req.socket.destroy(), json(200, contact));
  t.after(server.close);
  const client = new Switchboard({ apiKey: "k", baseUrl: server.url, retryBaseDelayMs: 1 });
  assert.equal((await client.contacts.get("con_1")).id, "con_1");
  assert.equal(server.requests.length, 2);
  const closed = await scripted(json(200, {}));
  await closed.close();
  const error = await new Switchboard({ apiKey: "k", baseUrl: closed.url, maxRetries: 1, retryBaseDelayMs: 1 }).contacts.list().catch((e) => e);
  assert.ok(error instanceof SwitchboardConnectionError, String(error));
});

test("an abort signal stops the request and the waits between retries", async (t) => {
  const server = await scripted(problem(503, "service_unavailable", {}, { "retry-after": "30" }));
  t.after(server.close);
  const client = new Switchboard({ apiKey: "k", baseUrl: server.url });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 200);
  const started = Date.now();
  await assert.rejects(client.contacts.list({}, { signal: controller.signal }), /stop/);
  assert.ok(Date.now() - started < 2000);
  assert.equal(server.requests.length, 1);
  await assert.rejects(client.contacts.list({}, { signal: AbortSignal.abort() }));
  assert.equal(server.requests.length, 1, "an aborted signal sends nothing");
});

test("listAll follows nextCursor across pages with the same filters", async (t) => {
  const server = await scripted(
    json(200, { data: [{ id: "a" }, { id: "b" }], hasMore: true, nextCursor: "c1" }),
    json(200, { data: [{ id: "c" }], hasMore: true, nextCursor: "c2" }),
    json(200, { data: [{ id: "d" }], hasMore: false, nextCursor: null }));
  t.after(server.close);
  const ids = [];
  for await (const c of new Switchboard({ apiKey: "k", baseUrl: server.url }).contacts.listAll({ limit: 2, company: "X" })) ids.push(c.id);
  assert.deepEqual(ids, ["a", "b", "c", "d"]);
  assert.deepEqual(server.requests.map((r) => r.url), [
    "/api/v1/contacts?limit=2&company=X", "/api/v1/contacts?limit=2&company=X&cursor=c1", "/api/v1/contacts?limit=2&company=X&cursor=c2"]);
});

test("client_credentials: metadata discovery, Basic client authentication, one token for concurrent calls, renewal after invalid_token", async (t) => {
  let issued = 0;
  const server = await scripted((req, res, body) => {
    if (req.url === "/.well-known/oauth-authorization-server") return json(200, { token_endpoint: `http://127.0.0.1:${req.socket.localPort}/oauth/token` })(req, res);
    if (req.url === "/oauth/token") return json(200, { access_token: `tok${++issued}`, token_type: "Bearer", expires_in: 900 })(req, res);
    if (req.headers.authorization === "Bearer tok1" && req.url.endsWith("revoked")) return problem(401, "invalid_token")(req, res);
    return json(200, contact)(req, res);
  });
  t.after(server.close);
  const client = new Switchboard({ oauth: { clientId: "sbc_a b", clientSecret: "sbs_x:y", scope: "contacts:read" }, baseUrl: server.url });
  await Promise.all([client.contacts.get("c1"), client.contacts.get("c2"), client.contacts.get("c3")]);
  const tokenRequests = server.requests.filter((r) => r.url === "/oauth/token");
  assert.equal(tokenRequests.length, 1, "concurrent calls share one token request");
  assert.equal(tokenRequests[0].headers.authorization, `Basic ${Buffer.from("sbc_a+b:sbs_x%3Ay").toString("base64")}`);
  assert.equal(tokenRequests[0].body, "grant_type=client_credentials&scope=contacts%3Aread");
  assert.ok(server.requests.filter((r) => r.url.startsWith("/api/")).every((r) => r.headers.authorization === "Bearer tok1"));
  assert.equal((await client.contacts.get("revoked")).id, "con_1");
  assert.equal(server.requests.at(-1).headers.authorization, "Bearer tok2", "a refused token is replaced once");
});

test("the token endpoint's refusal is an OAuthError", async (t) => {
  const server = await scripted(json(401, { error: "invalid_client", error_description: "Client authentication failed." }));
  t.after(server.close);
  const source = new ClientCredentials({ clientId: "a", clientSecret: "b", tokenEndpoint: `${server.url}/oauth/token` });
  await assert.rejects(source.getToken(), (e) => e instanceof OAuthError && e.error === "invalid_client" && e.status === 401);
});

test("refresh_token: an expired token is refreshed once, the rotated refresh token is kept and reported", async (t) => {
  let n = 0;
  const server = await scripted((req, res, body) => {
    if (req.url === "/oauth/token") { n++; return json(200, { access_token: `at${n}`, refresh_token: `rt${n}`, token_type: "Bearer", expires_in: 900 })(req, res); }
    return json(200, contact)(req, res);
  });
  t.after(server.close);
  const saved = [];
  const tokens = new RefreshingTokens({ clientId: "sbc_pub", refreshToken: "rt0", accessToken: "old", expiresAt: Date.now() - 1,
    tokenEndpoint: `${server.url}/oauth/token`, onTokens: (t) => saved.push(t.refreshToken) });
  const client = new Switchboard({ oauth: tokens, baseUrl: server.url });
  await Promise.all([client.contacts.get("a"), client.contacts.get("b")]);
  await tokens.refresh();
  const grants = server.requests.filter((r) => r.url === "/oauth/token").map((r) => Object.fromEntries(new URLSearchParams(r.body)));
  assert.deepEqual(grants, [
    { grant_type: "refresh_token", refresh_token: "rt0", client_id: "sbc_pub" },
    { grant_type: "refresh_token", refresh_token: "rt1", client_id: "sbc_pub" }]);
  assert.deepEqual(saved, ["rt1", "rt2"]);
  assert.ok(server.requests.filter((r) => r.url.startsWith("/api/")).every((r) => r.headers.authorization === "Bearer at1"));
});

test("anonymous operations send no credential or Idempotency-Key; operator operations send X-Admin-Token", async (t) => {
  const server = await scripted(json(200, { accessToken: "a" }), json(200, { plan: "pro" }));
  t.after(server.close);
  const client = new Switchboard({ apiKey: "sbk_k", adminToken: "admin-secret", baseUrl: server.url });
  await client.auth.login({ email: "a@example.com", password: "p" });
  await client.admin.setOrganizationPlan("org_1", { plan: "pro" });
  assert.equal(server.requests[0].headers.authorization, undefined);
  assert.equal(server.requests[0].headers["idempotency-key"], undefined);
  assert.equal(server.requests[1].url, "/api/v1/admin/organizations/org_1/plan");
  assert.equal(server.requests[1].method, "PUT");
  assert.equal(server.requests[1].headers["x-admin-token"], "admin-secret");
  assert.equal(server.requests[1].headers.authorization, undefined, "the operator token is not mixed with the API key");
  await assert.rejects(new Switchboard({ apiKey: "k", baseUrl: server.url }).admin.setOrganizationPlan("org_1", { plan: "pro" }), /adminToken/);
});
