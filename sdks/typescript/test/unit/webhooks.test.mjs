// Webhook verification against signatures made independently with node:crypto (as docs/webhooks.md shows), not only
// with the SDK's own signWebhook.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { signWebhook, verifySimpleSignature, verifyWebhook, WebhookVerificationError } from "@switchboard/sdk";

const key = crypto.randomBytes(32);
const secret = `whsec_${key.toString("base64")}`;
const body = JSON.stringify({ id: "evt_1", type: "contact.created", timestamp: "2026-12-04T12:00:00Z", data: { id: "con_1", firstName: "Ada" } });
const now = Math.floor(Date.now() / 1000);

function nodeSigned(id, timestamp, raw, k = key) {
  const v1 = crypto.createHmac("sha256", k).update(`${id}.${timestamp}.`).update(raw).digest("base64");
  const simple = crypto.createHmac("sha256", k).update(raw).digest("hex");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${v1}`, "x-webhook-signature": `sha256=${simple}` };
}

async function refused(promise, reason) {
  await assert.rejects(promise, (e) => e instanceof WebhookVerificationError && e.reason === reason);
}

test("a delivery signed as the server signs it verifies and is parsed", async () => {
  const event = await verifyWebhook(secret, nodeSigned("evt_1", now, body), body);
  assert.equal(event.type, "contact.created");
  assert.equal(event.data.firstName, "Ada");
});

test("the body may be bytes, and the headers a Headers object with any case", async () => {
  const headers = new Headers(Object.fromEntries(Object.entries(nodeSigned("evt_1", now, body)).map(([k, v]) => [k.toUpperCase(), v])));
  assert.equal((await verifyWebhook(secret, headers, new TextEncoder().encode(body))).id, "evt_1");
  assert.equal((await verifyWebhook(secret, { "Webhook-Id": "evt_1", "Webhook-Timestamp": String(now), "Webhook-Signature": nodeSigned("evt_1", now, body)["webhook-signature"] }, Buffer.from(body))).id, "evt_1");
});

test("any of several signatures may match (a secret rotation)", async () => {
  const old = nodeSigned("evt_1", now, body, crypto.randomBytes(32))["webhook-signature"];
  const headers = { ...nodeSigned("evt_1", now, body) };
  headers["webhook-signature"] = `${old} ${headers["webhook-signature"]}`;
  assert.equal((await verifyWebhook(secret, headers, body)).id, "evt_1");
});

test("a changed body, another secret, another id or a stale timestamp are refused", async () => {
  const headers = nodeSigned("evt_1", now, body);
  await refused(verifyWebhook(secret, headers, body.replace("Ada", "Eve")), "invalid_signature");
  await refused(verifyWebhook(`whsec_${crypto.randomBytes(32).toString("base64")}`, headers, body), "invalid_signature");
  await refused(verifyWebhook(secret, { ...headers, "webhook-id": "evt_2" }, body), "invalid_signature");
  await refused(verifyWebhook(secret, { ...headers, "webhook-signature": "v2," + headers["webhook-signature"].slice(3) }, body), "invalid_signature");
  const stale = nodeSigned("evt_1", now - 310, body);
  await refused(verifyWebhook(secret, stale, body), "timestamp_out_of_tolerance");
  assert.equal((await verifyWebhook(secret, stale, body, { toleranceSeconds: 600 })).id, "evt_1");
  await refused(verifyWebhook(secret, nodeSigned("evt_1", now + 310, body), body), "timestamp_out_of_tolerance");
  await refused(verifyWebhook(secret, { "webhook-id": "evt_1" }, body), "missing_headers");
  await refused(verifyWebhook("whsec_!!not base64!!", headers, body), "invalid_secret");
});

test("the simple X-Webhook-Signature form verifies and refuses like the other", async () => {
  const headers = nodeSigned("evt_1", now, body);
  assert.equal((await verifySimpleSignature(secret, headers, body)).id, "evt_1");
  await refused(verifySimpleSignature(secret, headers, body + " "), "invalid_signature");
  await refused(verifySimpleSignature(secret, { "x-webhook-signature": "sha256=00" }, body), "invalid_signature");
  await refused(verifySimpleSignature(secret, {}, body), "missing_headers");
});

test("signWebhook makes what node:crypto makes", async () => {
  assert.deepEqual(await signWebhook(secret, "evt_9", now, body), nodeSigned("evt_9", now, body));
});
