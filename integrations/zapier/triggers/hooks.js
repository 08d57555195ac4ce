'use strict';

const { api, call } = require('../lib/client');
const { subscribe, unsubscribe, deliveryToRecords, toOutput } = require('../lib/webhooks');

// One REST-hook trigger per Switchboard event. performList answers real recent records (newest first) shaped like a
// delivery's output, so the Zap editor's samples are the user's own data.
const hookTrigger = ({ key, noun, label, description, events, list, accept, eventType, sample }) => ({
  key,
  noun,
  display: { label, description },
  operation: {
    type: 'hook',
    performSubscribe: subscribe(events, label),
    performUnsubscribe: unsubscribe,
    perform: (z, bundle) => deliveryToRecords(bundle, z, accept),
    performList: async (z, bundle) => {
      const page = await call(z, { url: api(list.path), params: { limit: 3, sort: list.sort || '-createdAt', ...(list.params || {}) } });
      return (page.data || []).map((record) => toOutput(record, { id: null, type: eventType, timestamp: record.updatedAt }));
    },
    sample,
  },
});

const when = '2026-12-04T09:30:00Z';
const leadSample = {
  id: 'lead_01JEXAMPLE', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+14155550123', company: 'Analytical Engines',
  source: 'website', status: 'new', score: 40, notes: null, convertedContactId: null, convertedDealId: null, convertedAt: null,
  metadata: {}, createdAt: when, updatedAt: when, event_id: 'evt_01JEXAMPLE', event_type: 'lead.created', event_timestamp: when,
};

module.exports = [
  hookTrigger({
    key: 'new_lead', noun: 'Lead', label: 'New Lead', description: 'Triggers when a lead is created.',
    events: ['lead.created'], eventType: 'lead.created', list: { path: '/leads' }, sample: leadSample,
  }),
  hookTrigger({
    key: 'lead_status_changed', noun: 'Lead', label: 'Lead Status Changed',
    description: 'Triggers when a lead\'s status changes (new, contacted, qualified, unqualified, converted).',
    // Switchboard has no lead.status_changed event: lead.updated carries previousAttributes, and only updates whose
    // previous values include the status pass.
    events: ['lead.updated'], eventType: 'lead.updated',
    accept: (event) => Boolean(event.previousAttributes && Object.prototype.hasOwnProperty.call(event.previousAttributes, 'status')),
    list: { path: '/leads', sort: '-updatedAt' },
    sample: { ...leadSample, status: 'qualified', event_type: 'lead.updated', previous: { status: 'contacted' } },
  }),
  hookTrigger({
    key: 'new_contact', noun: 'Contact', label: 'New Contact', description: 'Triggers when a contact is created.',
    events: ['contact.created'], eventType: 'contact.created', list: { path: '/contacts' },
    sample: {
      id: 'con_01JEXAMPLE', firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com', phone: '+14155550124',
      company: 'Navy', jobTitle: 'Rear Admiral', createdAt: when, updatedAt: when,
      event_id: 'evt_01JEXAMPLE', event_type: 'contact.created', event_timestamp: when,
    },
  }),
  hookTrigger({
    key: 'deal_stage_changed', noun: 'Deal', label: 'Deal Stage Changed', description: 'Triggers when a deal moves to another stage.',
    events: ['deal.stage_changed'], eventType: 'deal.stage_changed', list: { path: '/deals', sort: '-updatedAt' },
    sample: {
      id: 'deal_01JEXAMPLE', name: 'Analytical Engines, 20 seats', stage: 'proposal', amount: 12000, currency: 'USD',
      createdAt: when, updatedAt: when, event_id: 'evt_01JEXAMPLE', event_type: 'deal.stage_changed', event_timestamp: when,
    },
  }),
  hookTrigger({
    key: 'call_ended', noun: 'Call', label: 'Call Ended', description: 'Triggers when a call ends (completed, missed or failed).',
    events: ['call.ended'], eventType: 'call.ended', list: { path: '/calls', sort: '-updatedAt' },
    sample: {
      id: 'call_01JEXAMPLE', direction: 'inbound', status: 'completed', fromNumber: '+14155550123', toNumber: '+14155550100',
      durationSeconds: 312, createdAt: when, updatedAt: when, event_id: 'evt_01JEXAMPLE', event_type: 'call.ended', event_timestamp: when,
    },
  }),
  hookTrigger({
    key: 'payment_received', noun: 'Payment', label: 'Payment Received', description: 'Triggers when a payment completes.',
    events: ['payment.completed'], eventType: 'payment.completed', list: { path: '/payments', params: { status: 'completed' }, sort: '-updatedAt' },
    sample: {
      id: 'pay_01JEXAMPLE', amount: 4900, currency: 'USD', status: 'completed', method: 'card', createdAt: when, updatedAt: when,
      event_id: 'evt_01JEXAMPLE', event_type: 'payment.completed', event_timestamp: when,
    },
  }),
];
