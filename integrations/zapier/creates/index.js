'use strict';

const { api, call, compact } = require('../lib/client');

const LEAD_STATUSES = { new: 'New', contacted: 'Contacted', qualified: 'Qualified', unqualified: 'Unqualified' };
const E164 = 'A phone number in E.164 form, e.g. +14155550123.';

const leadFields = (required) => [
  { key: 'name', label: 'Name', required, helpText: 'The lead\'s full name.' },
  { key: 'email', label: 'Email', required: false, helpText: 'The lead\'s email address.' },
  { key: 'phone', label: 'Phone', required: false, helpText: E164 },
  { key: 'company', label: 'Company', required: false },
  { key: 'source', label: 'Source', required: false, helpText: 'Where the lead came from, e.g. website, referral, event.' },
  { key: 'status', label: 'Status', required: false, choices: LEAD_STATUSES, helpText: 'Defaults to New for a new lead.' },
  { key: 'score', label: 'Score', type: 'integer', required: false, helpText: 'A score from 0 to 100.' },
  { key: 'notes', label: 'Notes', type: 'text', required: false },
];

const leadBody = (d) =>
  compact({ name: d.name, email: d.email, phone: d.phone, company: d.company, source: d.source, status: d.status,
    score: d.score === undefined || d.score === '' ? undefined : Number(d.score), notes: d.notes });

const createLead = {
  key: 'create_lead', noun: 'Lead',
  display: { label: 'Create Lead', description: 'Creates a lead in Switchboard.' },
  operation: {
    inputFields: leadFields(true),
    perform: (z, bundle) => call(z, { url: api('/leads'), method: 'POST', body: leadBody(bundle.inputData) }),
    sample: { id: 'lead_01JEXAMPLE', name: 'Ada Lovelace', email: 'ada@example.com', status: 'new', score: 0, createdAt: '2026-12-04T09:30:00Z' },
  },
};

const updateLead = {
  key: 'update_lead', noun: 'Lead',
  display: { label: 'Update Lead', description: 'Changes an existing lead; fields left empty keep their value.' },
  operation: {
    inputFields: [
      { key: 'id', label: 'Lead', required: true, dynamic: 'list_leads.id.label', search: 'find_lead.id',
        helpText: 'The lead to change: pick one, or map a lead ID from an earlier step.' },
      ...leadFields(false),
    ],
    perform: (z, bundle) =>
      call(z, { url: api(`/leads/${encodeURIComponent(bundle.inputData.id)}`), method: 'PATCH', body: leadBody(bundle.inputData) }),
    sample: { id: 'lead_01JEXAMPLE', name: 'Ada Lovelace', email: 'ada@example.com', status: 'qualified', score: 70, updatedAt: '2026-12-04T09:30:00Z' },
  },
};

const createContact = {
  key: 'create_contact', noun: 'Contact',
  display: { label: 'Create Contact', description: 'Creates a contact in Switchboard.' },
  operation: {
    inputFields: [
      { key: 'firstName', label: 'First Name', required: false, helpText: 'A first name, a last name or an email is needed.' },
      { key: 'lastName', label: 'Last Name', required: false },
      { key: 'email', label: 'Email', required: false },
      { key: 'phone', label: 'Phone', required: false, helpText: E164 },
      { key: 'company', label: 'Company', required: false },
      { key: 'jobTitle', label: 'Job Title', required: false },
      { key: 'notes', label: 'Notes', type: 'text', required: false },
    ],
    perform: (z, bundle) => {
      const d = bundle.inputData;
      return call(z, { url: api('/contacts'), method: 'POST',
        body: compact({ firstName: d.firstName, lastName: d.lastName, email: d.email, phone: d.phone, company: d.company, jobTitle: d.jobTitle, notes: d.notes }) });
    },
    sample: { id: 'con_01JEXAMPLE', firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com', createdAt: '2026-12-04T09:30:00Z' },
  },
};

const createTask = {
  key: 'create_task', noun: 'Task',
  display: { label: 'Create Task', description: 'Creates a task, optionally for a contact.' },
  operation: {
    inputFields: [
      { key: 'title', label: 'Title', required: true, helpText: 'What needs doing.' },
      { key: 'description', label: 'Description', type: 'text', required: false },
      { key: 'dueAt', label: 'Due', type: 'datetime', required: false, helpText: 'When it is due.' },
      { key: 'contactId', label: 'Contact', required: false, dynamic: 'list_contacts.id.label', search: 'find_contact.id',
        helpText: 'The contact the task is about.' },
      { key: 'dealId', label: 'Deal ID', required: false, helpText: 'The ID of the deal the task belongs to.' },
    ],
    perform: (z, bundle) => {
      const d = bundle.inputData;
      return call(z, { url: api('/tasks'), method: 'POST',
        body: compact({ title: d.title, description: d.description, dueAt: d.dueAt, contactId: d.contactId, dealId: d.dealId }) });
    },
    sample: { id: 'task_01JEXAMPLE', title: 'Call Ada back', status: 'open', dueAt: '2026-12-05T09:00:00Z', createdAt: '2026-12-04T09:30:00Z' },
  },
};

const CHANNELS = { web: 'Web', email: 'Email', sms: 'SMS', whatsapp: 'WhatsApp', messenger: 'Messenger', other: 'Other' };

const sendChatMessage = {
  key: 'send_chat_message', noun: 'Chat Message',
  display: { label: 'Send Chat Message', description: 'Adds a message to an open chat session, or starts a session with it.' },
  operation: {
    inputFields: [
      { key: 'body', label: 'Message', type: 'text', required: true },
      { key: 'sessionId', label: 'Chat Session', required: false, dynamic: 'list_chat_sessions.id.label',
        helpText: 'An open session to post to. Leave empty to start a new session (for the contact below, if any).' },
      { key: 'contactId', label: 'Contact', required: false, dynamic: 'list_contacts.id.label', search: 'find_contact.id',
        helpText: 'The contact a new session is with.' },
      { key: 'channel', label: 'Channel', required: false, choices: CHANNELS, helpText: 'The channel of a new session (default Web).' },
      { key: 'subject', label: 'Subject', required: false, helpText: 'The subject of a new session.' },
      { key: 'author', label: 'Author', required: false, choices: { agent: 'Agent', bot: 'Bot', visitor: 'Visitor' }, default: 'agent' },
      { key: 'authorName', label: 'Author Name', required: false },
    ],
    perform: async (z, bundle) => {
      const d = bundle.inputData;
      const result = await call(z, { url: api('/chat/message'), method: 'POST',
        body: compact({ body: d.body, sessionId: d.sessionId, contactId: d.contactId, channel: d.channel, subject: d.subject,
          author: d.author || 'agent', authorName: d.authorName }) });
      // Flat output for mapping: the message, with its session beside it.
      return { ...result.message, session: result.session, sessionCreated: result.sessionCreated };
    },
    sample: { id: 'msg_01JEXAMPLE', sessionId: 'chs_01JEXAMPLE', author: 'agent', body: 'Thanks, we will call you today.', createdAt: '2026-12-04T09:30:00Z', sessionCreated: false },
  },
};

module.exports = [createLead, updateLead, createContact, createTask, sendChatMessage];
