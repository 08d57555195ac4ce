'use strict';

// Against a live Switchboard node (tests/Switchboard.Tests/Sdks/ZapierAppTests.cs starts one and prepares the world):
// zapier-platform-core's createAppTester runs the app's operations as Zapier would. A loopback HTTP server stands in
// for Zapier's hook URL and captures each delivery's raw request. Skipped without SWITCHBOARD_BASE_URL; the xunit
// harness fails when anything is skipped.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const zapier = require('zapier-platform-core');
const { buildApp } = require('../lib/app');
const auth = require('../lib/authentication');

const env = process.env;
const live = Boolean(env.SWITCHBOARD_BASE_URL);
const options = { skip: live ? false : 'SWITCHBOARD_BASE_URL is not set' };
const keyDefinition = buildApp(auth.apiKey);
const oauthDefinition = buildApp(auth.oauth2);
const keyTester = live ? zapier.createAppTester(keyDefinition) : null;
const oauthTester = live ? zapier.createAppTester(oauthDefinition) : null;
// createAppTester finds an operation by the function itself; these take the operation's path in the definition.
const at = (definition, method) => (typeof method === 'string' ? method.split('.').reduce((o, k) => o[k], definition) : method);
const apiKeyApp = (method, bundle) => keyTester(at(keyDefinition, method), bundle);
const oauthApp = (method, bundle) => oauthTester(at(oauthDefinition, method), bundle);
const authData = { apiKey: env.SWITCHBOARD_TEST_API_KEY };
const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;

const api = async (method, path, body) => {
  const response = await fetch(`${env.SWITCHBOARD_BASE_URL}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${env.SWITCHBOARD_TEST_API_KEY}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
};

// Zapier's hook URL, played by a loopback server: every delivery is kept as Zapier would hand it to perform.
const startReceiver = async () => {
  const deliveries = [];
  const waiters = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      const content = Buffer.concat(chunks).toString('utf8');
      const delivery = { headers: request.headers, content, method: request.method, querystring: '' };
      deliveries.push(delivery);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"success"}');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const next = async (predicate, timeoutMs = 30000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = deliveries.find((d) => predicate(JSON.parse(d.content)));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching delivery within ${timeoutMs} ms; got ${deliveries.map((d) => d.content).join('\n')}`);
      await new Promise((resolve) => { waiters.push(resolve); setTimeout(resolve, 250); });
    }
  };
  return { url: `http://127.0.0.1:${server.address().port}/hooks/${unique}`, next, close: () => new Promise((r) => server.close(r)) };
};

const bundleFor = (subscribeData, delivery) => ({
  authData,
  subscribeData,
  cleanedRequest: JSON.parse(delivery.content),
  rawRequest: delivery,
});

// First: the authorization code the harness obtained lives a short while.
test('OAuth 2.0: the authorize URL, the PKCE code exchange, the connection test and a refresh', {
  skip: live && env.SWITCHBOARD_TEST_OAUTH_CODE ? false : 'no OAuth code from the harness',
}, async () => {
  const config = buildApp(auth.oauth2).authentication.oauth2Config;
  const url = new URL(await oauthApp(config.authorizeUrl, { inputData: { state: 'st4te', redirect_uri: env.SWITCHBOARD_TEST_OAUTH_REDIRECT_URI } }));
  assert.equal(`${url.origin}${url.pathname}`, `${env.SWITCHBOARD_BASE_URL}/oauth/authorize`);
  assert.equal(url.searchParams.get('client_id'), env.CLIENT_ID);
  assert.equal(url.searchParams.get('state'), 'st4te');
  assert.equal(url.searchParams.get('scope'), auth.SCOPE);

  const tokens = await oauthApp(config.getAccessToken, {
    inputData: { code: env.SWITCHBOARD_TEST_OAUTH_CODE, redirect_uri: env.SWITCHBOARD_TEST_OAUTH_REDIRECT_URI, code_verifier: env.SWITCHBOARD_TEST_OAUTH_VERIFIER },
  });
  assert.ok(tokens.access_token && tokens.refresh_token);
  const me = await oauthApp(buildApp(auth.oauth2).authentication.test, { authData: tokens });
  assert.equal(me.user.email, env.SWITCHBOARD_TEST_EMAIL);
  assert.equal(auth.oauth2.connectionLabel({}, { inputData: me }), `${me.user.name} (${me.user.email})`);

  // A user token reaches the triggers too: the samples are the organization's real leads.
  const lead = (await api('POST', '/leads', { name: `OAuth Sample ${unique}` })).json;
  const samples = await oauthApp('triggers.new_lead.operation.performList', { authData: tokens });
  assert.ok(samples.some((s) => s.id === lead.id), JSON.stringify(samples));

  const renewed = await oauthApp(config.refreshAccessToken, { authData: tokens });
  assert.ok(renewed.access_token && renewed.access_token !== tokens.access_token);
  assert.notEqual(renewed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
  // The code was single-use.
  await assert.rejects(oauthApp(config.getAccessToken, {
    inputData: { code: env.SWITCHBOARD_TEST_OAUTH_CODE, redirect_uri: env.SWITCHBOARD_TEST_OAUTH_REDIRECT_URI, code_verifier: env.SWITCHBOARD_TEST_OAUTH_VERIFIER },
  }), /refused the token request/);
});

test('the connection test answers /me through the API key', options, async () => {
  const me = await apiKeyApp(buildApp(auth.apiKey).authentication.test, { authData });
  assert.equal(me.kind, 'api_key');
  assert.ok(me.organizationId);
  const label = auth.apiKey.connectionLabel({}, { inputData: me });
  assert.match(label, new RegExp(me.organizationId));
});

test('a wrong API key fails the connection test with the problem detail', options, async () => {
  await assert.rejects(
    apiKeyApp(buildApp(auth.apiKey).authentication.test, { authData: { apiKey: 'sk_live_not_a_real_key_000000000000' } }),
    (error) => /401|key/i.test(error.message) && /request/.test(error.message),
  );
});

test('new lead: subscribe, a lead created through the API arrives, perform turns it into the output, unsubscribe', options, async () => {
  const receiver = await startReceiver();
  try {
    const subscribeData = await apiKeyApp('triggers.new_lead.operation.performSubscribe', { authData, targetUrl: receiver.url });
    assert.ok(subscribeData.id);
    assert.deepEqual(subscribeData.events, ['lead.created']);
    assert.match(subscribeData.secret, /^whsec_/);

    const created = await api('POST', '/leads', { name: `Zap Lead ${unique}`, email: `zap-${unique}@example.com`, source: 'zapier-test' });
    assert.equal(created.status, 201);
    const delivery = await receiver.next((e) => e.type === 'lead.created' && e.data.id === created.json.id);

    const output = await apiKeyApp('triggers.new_lead.operation.perform', bundleFor(subscribeData, delivery));
    assert.equal(output.length, 1);
    assert.equal(output[0].id, created.json.id);
    assert.equal(output[0].name, `Zap Lead ${unique}`);
    assert.equal(output[0].event_type, 'lead.created');
    assert.equal(output[0].event_id, JSON.parse(delivery.content).id);

    // A forged delivery (the body changed after signing) is refused.
    const forged = { ...delivery, content: delivery.content.replace(`Zap Lead ${unique}`, 'Forged Lead') };
    await assert.rejects(apiKeyApp('triggers.new_lead.operation.perform', bundleFor(subscribeData, forged)), /not signed/);

    // performList: real recent leads, shaped like the hook's output.
    const samples = await apiKeyApp('triggers.new_lead.operation.performList', { authData });
    assert.ok(samples.some((s) => s.id === created.json.id && s.event_type === 'lead.created'));

    const gone = await apiKeyApp('triggers.new_lead.operation.performUnsubscribe', { authData, subscribeData });
    assert.equal(gone.deleted, true);
    assert.equal((await api('GET', `/webhooks/${subscribeData.id}`)).status, 404);
  } finally {
    await receiver.close();
  }
});

test('lead status changed: only updates that change the status come out', options, async () => {
  const receiver = await startReceiver();
  try {
    const subscribeData = await apiKeyApp('triggers.lead_status_changed.operation.performSubscribe', { authData, targetUrl: receiver.url });
    assert.deepEqual(subscribeData.events, ['lead.updated']);
    const lead = (await api('POST', '/leads', { name: `Status Lead ${unique}` })).json;
    assert.equal((await api('PATCH', `/leads/${lead.id}`, { notes: 'no status change' })).status, 200);
    assert.equal((await api('PATCH', `/leads/${lead.id}`, { status: 'qualified' })).status, 200);

    const notes = await receiver.next((e) => e.data.id === lead.id && e.previousAttributes && 'notes' in e.previousAttributes);
    assert.deepEqual(await apiKeyApp('triggers.lead_status_changed.operation.perform', bundleFor(subscribeData, notes)), []);
    const status = await receiver.next((e) => e.data.id === lead.id && e.previousAttributes && 'status' in e.previousAttributes);
    const output = await apiKeyApp('triggers.lead_status_changed.operation.perform', bundleFor(subscribeData, status));
    assert.equal(output.length, 1);
    assert.equal(output[0].status, 'qualified');
    assert.equal(output[0].previous.status, 'new');

    await apiKeyApp('triggers.lead_status_changed.operation.performUnsubscribe', { authData, subscribeData });
    assert.equal((await api('GET', `/webhooks/${subscribeData.id}`)).status, 404);
  } finally {
    await receiver.close();
  }
});

test('every REST-hook trigger subscribes to its event type and unsubscribes; performList answers real records', options, async () => {
  const expected = {
    new_contact: 'contact.created', deal_stage_changed: 'deal.stage_changed', call_ended: 'call.ended', payment_received: 'payment.completed',
  };
  const contact = (await api('POST', '/contacts', { firstName: 'Sample', lastName: unique, email: `sample-${unique}@example.com` })).json;
  for (const [key, event] of Object.entries(expected)) {
    const subscribeData = await apiKeyApp(`triggers.${key}.operation.performSubscribe`, { authData, targetUrl: `http://127.0.0.1:9/${key}` });
    assert.deepEqual(subscribeData.events, [event], key);
    await apiKeyApp(`triggers.${key}.operation.performUnsubscribe`, { authData, subscribeData });
    assert.equal((await api('GET', `/webhooks/${subscribeData.id}`)).status, 404, key);
    const samples = await apiKeyApp(`triggers.${key}.operation.performList`, { authData });
    assert.ok(Array.isArray(samples), key);
    for (const s of samples) assert.equal(s.event_type, event, key);
  }
  const contacts = await apiKeyApp('triggers.new_contact.operation.performList', { authData });
  assert.ok(contacts.some((c) => c.id === contact.id));
  assert.equal((await api('GET', '/webhooks')).json.data.length, 0);
});

test('actions: create lead, update lead, create contact, create task, send chat message', options, async () => {
  const lead = await apiKeyApp('creates.create_lead.operation.perform', {
    authData, inputData: { name: `Action Lead ${unique}`, email: `action-${unique}@example.com`, score: '35', company: '' },
  });
  assert.match(lead.id, /^lead_/);
  assert.equal(lead.score, 35);
  assert.equal(lead.company, null, 'an empty field is not sent');

  const updated = await apiKeyApp('creates.update_lead.operation.perform', { authData, inputData: { id: lead.id, status: 'contacted', name: '' } });
  assert.equal(updated.status, 'contacted');
  assert.equal(updated.name, `Action Lead ${unique}`, 'an empty field keeps its value');
  assert.equal((await api('GET', `/leads/${lead.id}`)).json.status, 'contacted');

  const contact = await apiKeyApp('creates.create_contact.operation.perform', {
    authData, inputData: { firstName: 'Ada', lastName: unique, email: `ada-${unique}@example.com`, jobTitle: 'Analyst' },
  });
  assert.equal((await api('GET', `/contacts/${contact.id}`)).json.jobTitle, 'Analyst');

  const task = await apiKeyApp('creates.create_task.operation.perform', {
    authData, inputData: { title: `Call ${unique}`, contactId: contact.id, dueAt: '2030-01-02T10:00:00Z' },
  });
  assert.equal(task.contactId, contact.id);
  assert.equal(task.status, 'open');

  const message = await apiKeyApp('creates.send_chat_message.operation.perform', {
    authData, inputData: { body: `Hello ${unique}`, contactId: contact.id, channel: 'email', subject: 'From a Zap' },
  });
  assert.equal(message.body, `Hello ${unique}`);
  assert.equal(message.author, 'agent');
  assert.equal(message.sessionCreated, true);
  const again = await apiKeyApp('creates.send_chat_message.operation.perform', { authData, inputData: { body: 'Second', sessionId: message.session.id } });
  assert.equal(again.session.id, message.session.id);
  assert.equal(again.sessionCreated, false);

  // Dynamic dropdowns list real records.
  const sessions = await apiKeyApp('triggers.list_chat_sessions.operation.perform', { authData, meta: { page: 0 } });
  assert.ok(sessions.some((s) => s.id === message.session.id && s.label.includes('From a Zap')));
  const leads = await apiKeyApp('triggers.list_leads.operation.perform', { authData, meta: { page: 0 } });
  assert.ok(leads.some((l) => l.id === lead.id));
});

test('a refused action surfaces the problem+json detail and field errors', options, async () => {
  await assert.rejects(
    apiKeyApp('creates.create_lead.operation.perform', { authData, inputData: { name: 'Bad Phone', phone: '555-0100' } }),
    (error) => /phone/.test(error.message) && /request/.test(error.message),
  );
});

test('searches: find contact by email, find lead', options, async () => {
  const contact = (await api('POST', '/contacts', { firstName: 'Findable', email: `find-${unique}@example.com` })).json;
  const found = await apiKeyApp('searches.find_contact.operation.perform', { authData, inputData: { email: `FIND-${unique}@example.com` } });
  assert.equal(found.length, 1);
  assert.equal(found[0].id, contact.id);
  assert.deepEqual(await apiKeyApp('searches.find_contact.operation.perform', { authData, inputData: { email: `nobody-${unique}@example.com` } }), []);

  const lead = (await api('POST', '/leads', { name: `Findable Lead ${unique}`, email: `findlead-${unique}@example.com` })).json;
  const byEmail = await apiKeyApp('searches.find_lead.operation.perform', { authData, inputData: { email: `findlead-${unique}@example.com` } });
  assert.equal(byEmail[0].id, lead.id);
  const byText = await apiKeyApp('searches.find_lead.operation.perform', { authData, inputData: { q: `Findable Lead ${unique}` } });
  assert.equal(byText[0].id, lead.id);
});
