// Retries against a live node: a real 429 from a key with a tiny rate limit, 503s from a fault-injecting proxy in front
// of the node, and a POST whose answer is lost (or whose connection drops) replayed by its Idempotency-Key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Switchboard, RateLimitError, responseOf } from "@switchboard/sdk";
import { baseUrl, env, faultyProxy, unique } from "./support.mjs";

test("a 429 from the node is retried after its Retry-After, then succeeds", async () => {
  // SWITCHBOARD_LIMITED_API_KEY allows 1 request per 5 seconds: the first request spends it, the next is refused.
  const retries = [];
  const sb = new Switchboard({ apiKey: env("SWITCHBOARD_LIMITED_API_KEY"), onRetry: (r) => retries.push(r) }, baseUrl());
  const noRetry = new Switchboard({ apiKey: env("SWITCHBOARD_LIMITED_API_KEY"), maxRetries: 0 }, baseUrl());
  await noRetry.contacts.list({ limit: 1 }).catch(() => {});
  const refused = await noRetry.contacts.list({ limit: 1 }).catch((e) => e);
  assert.ok(refused instanceof RateLimitError, String(refused));
  assert.equal(refused.code, "rate_limited");
  assert.ok(refused.retryAfterSeconds >= 1, `Retry-After ${refused.headers.get("retry-after")}`);

  const started = Date.now();
  const page = await sb.contacts.list({ limit: 1 });
  const elapsed = Date.now() - started;
  assert.ok(Array.isArray(page.data));
  assert.ok(retries.length >= 1, "the client met a 429");
  assert.ok(retries.every((r) => r.status === 429 && r.retryAfter), JSON.stringify(retries));
  const waited = retries.reduce((sum, r) => sum + r.delayMs, 0);
  assert.ok(waited >= 1000, `waited ${waited} ms, as Retry-After said`);
  assert.ok(elapsed >= waited, `${elapsed} ms elapsed`);
});

test("503s are retried with backoff until the request gets through", async (t) => {
  const proxy = await faultyProxy(baseUrl(), (req, n) => (n <= 2 ? "503" : "forward"));
  t.after(proxy.close);
  const retries = [];
  const sb = new Switchboard({ apiKey: env("SWITCHBOARD_API_KEY"), retryBaseDelayMs: 50, onRetry: (r) => retries.push(r) }, proxy.url);
  const page = await sb.contacts.list({ limit: 2 });
  assert.ok(Array.isArray(page.data));
  assert.deepEqual(proxy.seen.map((s) => s.fate), ["503", "503", "forward"]);
  assert.deepEqual(retries.map((r) => r.status), [503, 503]);
  assert.equal(proxy.seen[2].upstream.status, 200);
});

for (const fate of ["lose-answer", "reset-after-forward"]) {
  test(`a POST whose answer is lost (${fate}) is retried with the same Idempotency-Key and replayed, not duplicated`, async (t) => {
    const proxy = await faultyProxy(baseUrl(), (req, n) => (n === 1 ? fate : "forward"));
    t.after(proxy.close);
    const sb = new Switchboard({ apiKey: env("SWITCHBOARD_API_KEY"), retryBaseDelayMs: 50 }, proxy.url);
    const email = `${unique("once")}@example.com`;
    const created = await sb.contacts.create({ firstName: "Once", email });

    assert.equal(proxy.seen.length, 2);
    assert.equal(proxy.seen[0].upstream.status, 201, "the first attempt reached the node and created the contact");
    assert.equal(proxy.seen[0].idempotencyKey, proxy.seen[1].idempotencyKey);
    assert.ok(proxy.seen[0].idempotencyKey);
    assert.equal(proxy.seen[1].upstream.replayed, "true");
    assert.equal(responseOf(created).replayed, true);
    assert.equal(created.id, JSON.parse(proxy.seen[0].upstream.body).id);

    const direct = new Switchboard({ apiKey: env("SWITCHBOARD_API_KEY") }, baseUrl());
    const matches = await direct.contacts.list({ email });
    assert.deepEqual(matches.data.map((c) => c.id), [created.id], "one contact, not two");
  });
}
