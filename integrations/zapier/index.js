'use strict';

// The Switchboard Zapier app. SWITCHBOARD_AUTH picks its authentication (oauth2, the default, or api_key): Zapier gives
// an integration one scheme, so the same triggers, actions and searches are pushed once per scheme (see README.md).
const { buildApp } = require('./lib/app');
const { chosen } = require('./lib/authentication');

module.exports = buildApp(chosen());
