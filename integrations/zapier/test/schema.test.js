'use strict';

// No node needed: the app, under each authentication scheme, validates against zapier-platform-schema (what
// `zapier validate` checks), and every trigger, action and search the brief names is there.
const test = require('node:test');
const assert = require('node:assert/strict');
const schemaTools = require('zapier-platform-core/src/tools/schema');
const { buildApp } = require('../lib/app');
const auth = require('../lib/authentication');
const { verifySignature } = require('../lib/webhooks');
const crypto = require('crypto');

for (const [name, scheme] of [['OAuth 2.0', auth.oauth2], ['API key', auth.apiKey]]) {
  test(`the app with ${name} authentication validates against zapier-platform-schema`, () => {
    const errors = schemaTools.validateApp(schemaTools.prepareApp(buildApp(scheme)));
    assert.deepEqual(errors.map((e) => `${e.property} ${e.message}`), []);
  });
}

test('a broken definition is refused by the same validation', () => {
  const app = buildApp(auth.apiKey);
  delete app.creates.create_lead.operation.perform;
  const errors = schemaTools.validateApp(schemaTools.prepareApp(app));
  assert.ok(errors.length > 0);
});

test('the app has the triggers, actions and searches of issue 19', () => {
  const app = buildApp(auth.oauth2);
  for (const key of ['new_lead', 'lead_status_changed', 'new_contact', 'deal_stage_changed', 'call_ended', 'payment_received']) {
    assert.equal(app.triggers[key].operation.type, 'hook', key);
  }
  assert.deepEqual(Object.keys(app.creates).sort(), ['create_contact', 'create_lead', 'create_task', 'send_chat_message', 'update_lead']);
  assert.deepEqual(Object.keys(app.searches).sort(), ['find_contact', 'find_lead']);
  assert.equal(app.authentication.oauth2Config.enablePkce, true);
});

test('the signature check accepts the Standard Webhooks signature and refuses an altered body or an old timestamp', () => {
  const key = crypto.randomBytes(24);
  const secret = `whsec_${key.toString('base64')}`;
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from('{"id":"evt_1","type":"lead.created","data":{"id":"lead_1"}}');
  const sign = (ts, content) => `v1,${crypto.createHmac('sha256', key).update(`evt_1.${ts}.`).update(content).digest('base64')}`;
  const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': `v1,bm90IGl0 ${sign(now, body)}` };
  assert.equal(verifySignature(secret, headers, body), true);
  assert.equal(verifySignature(secret, headers, Buffer.from(body.toString().replace('lead_1', 'lead_2'))), false);
  const old = now - 600;
  assert.equal(verifySignature(secret, { ...headers, 'webhook-timestamp': String(old), 'webhook-signature': sign(old, body) }, body), false);
});

test('SWITCHBOARD_AUTH picks the scheme and refuses anything else', () => {
  const saved = process.env.SWITCHBOARD_AUTH;
  try {
    process.env.SWITCHBOARD_AUTH = 'api_key';
    assert.equal(auth.chosen().type, 'custom');
    process.env.SWITCHBOARD_AUTH = 'oauth2';
    assert.equal(auth.chosen().type, 'oauth2');
    process.env.SWITCHBOARD_AUTH = 'basic';
    assert.throws(() => auth.chosen(), /oauth2 or api_key/);
  } finally {
    if (saved === undefined) delete process.env.SWITCHBOARD_AUTH;
    else process.env.SWITCHBOARD_AUTH = saved;
  }
});
