// The built ES module package (dist/esm, served at /sdk/) in Chromium: CRUD, pagination, typed errors, and webhook
// signing and verification with the browser's WebCrypto. Writes what happened as JSON into #result.
import { Switchboard, ValidationError, NotFoundError, responseOf, signWebhook, verifyWebhook, WebhookVerificationError } from "/sdk/index.js";

const result = {};
try {
  const apiKey = new URLSearchParams(location.hash.slice(1)).get("apiKey");
  const sb = new Switchboard({ apiKey }, location.origin);
  const tag = `browser-${Date.now()}`;

  const created = await sb.contacts.create({ firstName: "Browser", lastName: "User", email: `${tag}@example.com`, company: tag });
  result.created = created.id;
  result.status = responseOf(created)?.status;
  result.updated = (await sb.contacts.update(created.id, { lastName: "Updated" })).lastName;
  for (let i = 0; i < 2; i++) await sb.contacts.create({ firstName: `B${i}`, company: tag });
  const all = [];
  for await (const c of sb.contacts.listAll({ company: tag, limit: 1 })) all.push(c.id);
  result.paged = all.length;

  try { await sb.contacts.create({ email: "not an email" }); } catch (e) { result.validation = e instanceof ValidationError ? Object.keys(e.fieldErrors) : String(e); }
  await sb.contacts.delete(created.id);
  try { await sb.contacts.get(created.id); } catch (e) { result.notFound = e instanceof NotFoundError && e.code; }

  const key = crypto.getRandomValues(new Uint8Array(32));
  const secret = `whsec_${btoa(String.fromCharCode(...key))}`;
  const body = JSON.stringify({ id: "evt_browser", type: "contact.created", timestamp: new Date().toISOString(), data: { id: created.id } });
  const headers = await signWebhook(secret, "evt_browser", Math.floor(Date.now() / 1000), body);
  result.verified = (await verifyWebhook(secret, new Headers(headers), new TextEncoder().encode(body))).data.id;
  try { await verifyWebhook(secret, new Headers(headers), body.replace("evt_browser", "evt_forged")); } catch (e) { result.forged = e instanceof WebhookVerificationError && e.reason; }
  result.done = true;
} catch (error) {
  result.error = `${error?.name}: ${error?.message}\n${error?.stack}`;
}
document.getElementById("result").textContent = JSON.stringify(result);
