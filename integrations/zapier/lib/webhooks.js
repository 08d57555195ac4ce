'use strict';

const crypto = require('crypto');
const { api, call } = require('./client');

// REST hooks over /api/v1/webhooks (docs/webhooks.md). Subscribing creates an endpoint whose URL is Zapier's hook URL
// (bundle.targetUrl) for the trigger's event types; the answer (kept by Zapier as bundle.subscribeData) holds the
// endpoint's id and its signing secret, which is returned only on creation. Unsubscribing deletes the endpoint.
const subscribe = (events, label) => async (z, bundle) =>
  call(z, {
    url: api('/webhooks'),
    method: 'POST',
    body: {
      url: bundle.targetUrl,
      events,
      name: `Zapier: ${label}`.slice(0, 100),
      description: 'Created by the Switchboard Zapier app for a Zap; deleted when the Zap is turned off.',
    },
  });

const unsubscribe = async (z, bundle) => {
  const id = bundle.subscribeData && bundle.subscribeData.id;
  if (!id) throw new z.errors.Error('This Zap has no Switchboard webhook endpoint to remove.', 'missing_subscription', 400);
  const response = await z.request({ url: api(`/webhooks/${encodeURIComponent(id)}`), method: 'DELETE', skipThrowForStatus: true });
  // Already gone (deleted in Switchboard's dashboard) is what unsubscribing wants.
  if (response.status !== 204 && response.status !== 404) response.throwForStatus();
  return { id, deleted: true };
};

const header = (headers, name) => {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name || key.toLowerCase() === `http-${name}`) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
};

// Standard Webhooks verification (docs/webhooks.md): HMAC-SHA256 with the secret's key bytes over
// "{webhook-id}.{webhook-timestamp}.{raw body}", any of the space-separated v1 signatures, timestamp within 5 minutes.
const verifySignature = (secret, headers, rawBody, nowSeconds = Date.now() / 1000) => {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const key = Buffer.from(String(secret).replace(/^whsec_/, ''), 'base64');
  const expected = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  return String(signatures)
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',', 2);
      if (version !== 'v1' || !signature) return false;
      const given = Buffer.from(signature, 'base64');
      return given.length === expected.length && crypto.timingSafeEqual(given, expected);
    });
};

// Turns a delivery into the trigger's output: the event's data (the record), with the event's id, type and time and,
// on *.updated events, the previous values of what changed. When Zapier hands us the raw request and we hold the
// endpoint's secret, the signature must verify; a forged or replayed delivery is refused.
const deliveryToRecords = (bundle, z, accept) => {
  const raw = bundle.rawRequest;
  const secret = bundle.subscribeData && bundle.subscribeData.secret;
  if (secret && raw && raw.headers && typeof raw.content === 'string') {
    if (!verifySignature(secret, raw.headers, Buffer.from(raw.content, 'utf8'))) {
      throw new z.errors.Error('The delivery is not signed by Switchboard with this Zap\'s secret; ignored.', 'invalid_signature', 401);
    }
  }
  const event = bundle.cleanedRequest || {};
  if (!event || typeof event !== 'object' || !event.data || !event.type) return [];
  if (accept && !accept(event)) return [];
  return [toOutput(event.data, event)];
};

const toOutput = (record, event) => {
  const out = { ...record, id: record.id };
  if (event) {
    out.event_id = event.id;
    out.event_type = event.type;
    out.event_timestamp = event.timestamp;
    if (event.previousAttributes) out.previous = event.previousAttributes;
  }
  return out;
};

module.exports = { subscribe, unsubscribe, verifySignature, deliveryToRecords, toOutput };
