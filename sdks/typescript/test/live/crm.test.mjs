// CRUD, pagination and typed errors against a live node.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Switchboard, NotFoundError, PreconditionFailedError, ValidationError, responseOf,
} from "@switchboard/sdk";
import { baseUrl, countingFetch, env, unique } from "./support.mjs";

const client = () => new Switchboard({ apiKey: env("SWITCHBOARD_API_KEY") }, baseUrl());

test("contacts: create, get, update with If-Match, delete", async () => {
  const sb = client();
  const email = `${unique("ada")}@example.com`;
  const created = await sb.contacts.create({ firstName: "Ada", lastName: "Lovelace", email, company: "Analytical Engines" });
  assert.match(created.id, /^con_/);
  assert.equal(responseOf(created).status, 201);
  assert.match(responseOf(created).requestId, /^req_/);

  const read = await sb.contacts.get(created.id);
  assert.equal(read.email, email);
  const etag = responseOf(read).etag;
  assert.ok(etag, "a read carries an ETag");

  const updated = await sb.contacts.update(created.id, { lastName: "King" }, { ifMatch: etag });
  assert.equal(updated.lastName, "King");
  assert.equal(updated.firstName, "Ada", "PATCH changes only what it names");
  await assert.rejects(sb.contacts.update(created.id, { lastName: "Byron" }, { ifMatch: etag }), PreconditionFailedError);

  const filtered = await sb.contacts.list({ email });
  assert.deepEqual(filtered.data.map((c) => c.id), [created.id]);

  assert.equal(await sb.contacts.delete(created.id), undefined);
  const gone = await sb.contacts.get(created.id).catch((e) => e);
  assert.ok(gone instanceof NotFoundError, String(gone));
  assert.equal(gone.code, "not_found");
});

test("leads: create, filter by status, update, convert into a contact and a deal, delete", async () => {
  const sb = client();
  const email = `${unique("grace")}@example.com`;
  const lead = await sb.leads.create({ name: "Grace Hopper", email, source: "website", status: "new", score: 40 });
  assert.match(lead.id, /^lead_/);
  assert.equal(lead.status, "new");
  const fresh = await sb.leads.list({ status: "new", email, limit: 100 });
  assert.ok(fresh.data.some((l) => l.id === lead.id));

  const qualified = await sb.leads.update(lead.id, { status: "qualified", score: 80 });
  assert.equal(qualified.status, "qualified");
  assert.equal(qualified.score, 80);

  const conversion = await sb.leads.convert(lead.id, { createDeal: true, dealName: "Hopper compilers", amount: 1200, currency: "USD" });
  assert.equal(conversion.lead.status, "converted");
  assert.equal(conversion.contact.email, email);
  assert.equal(conversion.deal?.name, "Hopper compilers");
  assert.equal((await sb.leads.get(lead.id)).status, "converted");

  await sb.leads.delete(lead.id);
  await assert.rejects(sb.leads.get(lead.id), NotFoundError);
});

test("listAll pages through every record with the cursor, a page at a time", async () => {
  const company = unique("paging");
  const sb = client();
  const ids = [];
  for (let i = 0; i < 7; i++) ids.push((await sb.contacts.create({ firstName: `P${i}`, lastName: "Page", company })).id);
  const counting = countingFetch();
  const paged = new Switchboard({ apiKey: env("SWITCHBOARD_API_KEY"), fetch: counting.fetch }, baseUrl());
  const seen = [];
  for await (const contact of paged.contacts.listAll({ company, limit: 3, sort: "createdAt" })) seen.push(contact.id);
  assert.deepEqual(seen, ids, "every record once, in the order asked for");
  assert.equal(counting.urls.length, 3, counting.urls.join("\n"));
  assert.ok(counting.urls.slice(1).every((u) => new URL(u).searchParams.has("cursor")));

  const firstPage = await sb.contacts.list({ company, limit: 3 });
  assert.equal(firstPage.hasMore, true);
  assert.ok(firstPage.nextCursor);
});

test("bad input gives typed errors with the fields' messages", async () => {
  const sb = client();
  const invalid = await sb.contacts.create({ firstName: "X", email: "not an email" }).catch((e) => e);
  assert.ok(invalid instanceof ValidationError, String(invalid));
  assert.equal(invalid.status, 400);
  assert.equal(invalid.code, "validation_failed");
  assert.match(invalid.requestId, /^req_/);
  assert.equal(invalid.requestId, invalid.headers.get("x-request-id"));
  assert.ok(invalid.fieldErrors.email?.length > 0, JSON.stringify(invalid.body));

  const badStatus = await sb.leads.create({ name: "Bad", status: "bogus" }).catch((e) => e);
  assert.ok(badStatus instanceof ValidationError, String(badStatus));
  assert.ok(badStatus.fieldErrors.status?.length > 0, JSON.stringify(badStatus.body));

  const badFilter = await sb.contacts.list({ limit: 1000 }).catch((e) => e);
  assert.ok(badFilter instanceof ValidationError, String(badFilter));
  assert.ok(badFilter.fieldErrors.limit?.length > 0, JSON.stringify(badFilter.body));
});

test("other resources answer through their methods", async () => {
  const sb = client();
  const types = await sb.webhooks.listEventTypes();
  assert.ok(JSON.stringify(types).includes("contact.created"));
  const providers = await sb.integrations.listProviders();
  assert.ok(providers.data.length > 0);
  const icon = await sb.integrations.getProviderIcon(providers.data[0].key);
  assert.match(icon, /<svg/);
  const deal = await sb.deals.create({ name: unique("deal"), amount: 10.5, currency: "EUR", stage: "proposal" });
  assert.equal(deal.amount, 10.5);
  await sb.deals.delete(deal.id);
  const summary = await sb.analytics.summary();
  assert.equal(typeof summary, "object");
});
