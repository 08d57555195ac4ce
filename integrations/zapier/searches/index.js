'use strict';

const { api, call } = require('../lib/client');

const findContact = {
  key: 'find_contact', noun: 'Contact',
  display: { label: 'Find Contact by Email', description: 'Finds a contact by their email address.' },
  operation: {
    inputFields: [{ key: 'email', label: 'Email', required: true, helpText: 'The exact email address (letter case does not matter).' }],
    perform: async (z, bundle) => {
      const page = await call(z, { url: api('/contacts'), params: { email: bundle.inputData.email, limit: 1 } });
      return page.data || [];
    },
    sample: { id: 'con_01JEXAMPLE', firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com', createdAt: '2026-12-04T09:30:00Z' },
  },
};

const findLead = {
  key: 'find_lead', noun: 'Lead',
  display: { label: 'Find Lead', description: 'Finds a lead by email, or by a search over name, email and company.' },
  operation: {
    inputFields: [
      { key: 'email', label: 'Email', required: false, helpText: 'The lead\'s exact email address.' },
      { key: 'q', label: 'Search Text', required: false, helpText: 'Words to look for in name, email and company (used when no email is given).' },
    ],
    perform: async (z, bundle) => {
      const { email, q } = bundle.inputData;
      if (!email && !q) throw new z.errors.Error('Give an email or some search text to find a lead.', 'validation_failed', 400);
      const params = email ? { email, limit: 1 } : { q, limit: 1 };
      const page = await call(z, { url: api('/leads'), params });
      return page.data || [];
    },
    sample: { id: 'lead_01JEXAMPLE', name: 'Ada Lovelace', email: 'ada@example.com', status: 'new', createdAt: '2026-12-04T09:30:00Z' },
  },
};

module.exports = [findContact, findLead];
