// A webhook sent by the node verified by the SDK (and forgeries refused); OAuth client_credentials; a user's login.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  Switchboard, PermissionDeniedError, verifySimpleSignature, verifyWebhook, WebhookVerificationError,
} from "@switchboard/sdk";
import { baseUrl, countingFetch, env, unique, webhookReceiver } from "./support.mjs";

test("a delivery from the node verifies; a forged or replayed one is refused", async (t) => {
  const receiver = await webhookReceiver();
  t.after(receiver.close);
  const sb = new Switchboard({ apiKey: env("SWITCHBOARD_API_KEY") }, baseUrl());
  const endpoint = await sb.webhooks.create({ url: receiver.url, events: ["contact.created"], name: unique("sdk-hook") });
  t.after(() => sb.webhooks.delete(endpoint.id));
  assert.match(endpoint.secret, /^whsec_/);

  const contact = await sb.contacts.create({ firstName: "Hook", email: `${unique("hook")}@example.com` });
  const delivery = await receiver.waitFor((d) => d.body.toString().includes(contact.id), 30_000);

  const event = await verifyWebhook(endpoint.secret, delivery.headers, delivery.body);
  assert.equal(event.type, "contact.created");
  assert.equal(event.data.id, contact.id);
  assert.equal(event.id, delivery.headers["webhook-id"]);
  assert.equal((await verifySimpleSignature(endpoint.secret, delivery.headers, delivery.body)).data.id, contact.id);

  const refused = (reason) => (e) => e instanceof WebhookVerificationError && e.reason === reason;
  const forgedBody = Buffer.from(delivery.body.toString().replace(contact.id, "con_forged"));
  await assert.rejects(verifyWebhook(endpoint.secret, delivery.headers, forgedBody), refused("invalid_signature"));
  await assert.rejects(verifySimpleSignature(endpoint.secret, delivery.headers, forgedBody), refused("invalid_signature"));
  const otherSecret = `whsec_${crypto.randomBytes(32).toString("base64")}`;
  await assert.rejects(verifyWebhook(otherSecret, delivery.headers, delivery.body), refused("invalid_signature"));
  // The same delivery re-sent an hour later with a fresh timestamp: the signature covers the timestamp, so it fails.
  const later = String(Number(delivery.headers["webhook-timestamp"]) + 3600);
  await assert.rejects(verifyWebhook(endpoint.secret, { ...delivery.headers, "webhook-timestamp": later }, delivery.body, { now: Number(later) * 1000 }),
    refused("invalid_signature"));
  // ... and unchanged, it is too old once the tolerance has passed.
  await assert.rejects(verifyWebhook(endpoint.secret, delivery.headers, delivery.body, { now: Date.now() + 600_000 }), refused("timestamp_out_of_tolerance"));

  const deliveries = await sb.webhooks.listDeliveries(endpoint.id);
  assert.ok(deliveries.data.length >= 1);
});

test("OAuth client_credentials gives a token that works, fetched once and limited to the app's scopes", async () => {
  const counting = countingFetch();
  const sb = new Switchboard({
    oauth: { clientId: env("SWITCHBOARD_OAUTH_CLIENT_ID"), clientSecret: env("SWITCHBOARD_OAUTH_CLIENT_SECRET") },
    fetch: counting.fetch,
  }, baseUrl());
  const created = await sb.contacts.create({ firstName: "OAuth", email: `${unique("oauth")}@example.com` });
  assert.equal((await sb.contacts.get(created.id)).id, created.id);
  assert.equal(counting.urls.filter((u) => u.endsWith("/.well-known/oauth-authorization-server")).length, 1);
  assert.equal(counting.urls.filter((u) => new URL(u).pathname === "/oauth/token").length, 1, counting.urls.join("\n"));

  const denied = await sb.leads.list().catch((e) => e);
  assert.ok(denied instanceof PermissionDeniedError, String(denied));
  assert.equal(denied.code, "insufficient_scope");

  const wrong = new Switchboard({ oauth: { clientId: env("SWITCHBOARD_OAUTH_CLIENT_ID"), clientSecret: "sbs_wrong" } }, baseUrl());
  await assert.rejects(wrong.contacts.list(), (e) => e.name === "OAuthError" && e.error === "invalid_client");
});

test("a user signs in with auth.login and uses the access token", async () => {
  const anonymous = new Switchboard({}, baseUrl());
  const session = await anonymous.auth.login({ email: env("SWITCHBOARD_USER_EMAIL"), password: env("SWITCHBOARD_USER_PASSWORD") });
  assert.equal(session.tokenType, "Bearer");
  const me = await new Switchboard({ accessToken: session.accessToken }, baseUrl()).auth.me();
  assert.equal(me.user?.email, env("SWITCHBOARD_USER_EMAIL"));
});
