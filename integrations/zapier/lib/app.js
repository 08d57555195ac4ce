'use strict';

const zapier = require('zapier-platform-core');
const { version } = require('../package.json');
const { addCredential, handleErrors } = require('./client');
const authentication = require('./authentication');
const hooks = require('../triggers/hooks');
const dropdowns = require('../triggers/dropdowns');
const creates = require('../creates');
const searches = require('../searches');

const byKey = (list) => Object.fromEntries(list.map((item) => [item.key, item]));

// Builds the app with one authentication scheme (Zapier allows one per integration): oauth2 or apiKey.
const buildApp = (auth) => ({
  version,
  platformVersion: zapier.version,
  authentication: auth,
  beforeRequest: [addCredential],
  afterResponse: [handleErrors],
  triggers: byKey([...hooks, ...dropdowns]),
  creates: byKey(creates),
  searches: byKey(searches),
  searchOrCreates: {
    find_contact: {
      key: 'find_contact',
      display: { label: 'Find or Create Contact', description: 'Finds a contact by email, or creates one.' },
      search: 'find_contact',
      create: 'create_contact',
    },
  },
});

module.exports = { buildApp };
