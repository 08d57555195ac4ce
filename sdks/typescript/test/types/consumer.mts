// Compiled, not run (`npm run test:types`): what a TypeScript user of the built package (ESM) may and may not write.
// Each @ts-expect-error fails the compilation if the line it marks ever stops being an error.
import {
  Switchboard, ValidationError, responseOf, verifyWebhook, type Contact, type Lead, type Schemas,
} from "@switchboard/sdk";

const sb = new Switchboard({ apiKey: "sbk_x" }, "http://127.0.0.1:5080");

export async function typed(): Promise<void> {
  const contact: Contact = await sb.contacts.create({ firstName: "Ada", email: "ada@example.com" });
  const read: Contact = await sb.contacts.get(contact.id, { fields: "email" });
  const page = await sb.contacts.list({ limit: 10, sort: "-createdAt", email: "ada@example.com" });
  const first: Contact | undefined = page.data[0];
  const lead: Lead = await sb.leads.update("lead_1", { status: "qualified" }, { ifMatch: responseOf(read)?.etag });
  for await (const l of sb.leads.listAll({ status: "new" })) { const s: Lead["status"] = l.status; void s; }
  for await (const d of sb.webhooks.listAllDeliveries("wh_1", { limit: 50 })) void d.id;
  const conversion = await sb.leads.convert(lead.id, { createDeal: true });
  const dealName: string | undefined = conversion.deal?.name;
  const icon: string = await sb.integrations.getProviderIcon("slack");
  const nothing: void = await sb.contacts.delete(contact.id);
  const input: Schemas["WebhookInput"] = { url: "https://example.com/hook", events: ["contact.created"] };
  const hook = await sb.webhooks.create(input);
  await verifyWebhook<Contact>(hook.secret ?? "", new Headers(), "{}");
  void [first, dealName, icon, nothing];

  // @ts-expect-error an id is a string
  await sb.contacts.get(42);
  // @ts-expect-error lead.status is an enumeration
  await sb.leads.create({ name: "x", status: "bogus" });
  // @ts-expect-error contacts have no `stage` filter
  await sb.contacts.list({ stage: "won" });
  // @ts-expect-error update needs the id first
  await sb.contacts.update({ firstName: "x" });
  // @ts-expect-error no such resource
  void sb.unicorns;
  // @ts-expect-error listAll exists only on paginated lists
  void sb.contacts.getAll;
}

export function errors(error: unknown): string[] {
  return error instanceof ValidationError ? Object.keys(error.fieldErrors) : [];
}

new Switchboard({ oauth: { clientId: "sbc_x", clientSecret: "sbs_y", scope: "contacts:read" } });
new Switchboard({ oauth: { clientId: "sbc_x", refreshToken: "rt", onTokens: (t) => void t.refreshToken } });
new Switchboard({ accessToken: async () => "token", maxRetries: 5, timeoutMs: 10_000 });
// @ts-expect-error one kind of credential at a time
new Switchboard({ apiKey: "sbk_x", accessToken: "t" });
