'use strict';

const { api, call } = require('../lib/client');

// Hidden triggers that feed dynamic dropdowns from the API: pick a lead, a contact or an open chat session.
const dropdown = (key, noun, path, params) => ({
  key,
  noun,
  display: { label: `List ${noun}s`, description: `The ${noun.toLowerCase()}s a dropdown offers.`, hidden: true },
  operation: {
    canPaginate: true,
    perform: async (z, bundle) => {
      const query = { limit: 100, sort: '-updatedAt', ...params };
      // Zapier numbers the pages it asks for (bundle.meta.page, from 0); the API pages by offset as well as cursor.
      const pageNumber = (bundle.meta && Number(bundle.meta.page)) || 0;
      if (pageNumber > 0) query.offset = pageNumber * query.limit;
      const page = await call(z, { url: api(path), params: query });
      return (page.data || []).map((r) => ({ ...r, label: label(key, r) }));
    },
  },
});

const label = (key, r) => {
  if (key === 'list_contacts') return [[r.firstName, r.lastName].filter(Boolean).join(' '), r.email].filter(Boolean).join(' · ') || r.id;
  if (key === 'list_chat_sessions') return [r.subject || r.visitorName || r.id, r.channel].filter(Boolean).join(' · ');
  return [r.name, r.email].filter(Boolean).join(' · ') || r.id;
};

module.exports = [
  dropdown('list_leads', 'Lead', '/leads', {}),
  dropdown('list_contacts', 'Contact', '/contacts', {}),
  dropdown('list_chat_sessions', 'Chat Session', '/chat/sessions', { status: 'open' }),
];
