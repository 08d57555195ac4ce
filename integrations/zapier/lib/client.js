'use strict';

// The one place that knows where the Switchboard API is and how its errors look.
// Base URL: SWITCHBOARD_BASE_URL (a self-hosted install sets it with `zapier env:set`); no default, so a missing
// setting fails loudly instead of sending a user's data somewhere unexpected.
const baseUrl = () => {
  const value = (process.env.SWITCHBOARD_BASE_URL || '').trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(value)) {
    throw new Error(
      'SWITCHBOARD_BASE_URL is not set (or not an http(s) URL): set it to your Switchboard server, e.g. `zapier env:set 1.0.0 SWITCHBOARD_BASE_URL=https://crm.example.com`.',
    );
  }
  return value;
};

const api = (path) => `${baseUrl()}/api/v1${path}`;

// Every request carries the connection's credential: the OAuth access token, or the API key (custom auth).
// The token endpoint authenticates the OAuth client itself, so it gets no user credential.
const addCredential = (request, z, bundle) => {
  request.headers = request.headers || {};
  if (/\/oauth\/token$/.test(String(request.url || ''))) {
    // client_id and client_secret are in the form body
  } else if (bundle.authData && bundle.authData.access_token) {
    request.headers.Authorization = `Bearer ${bundle.authData.access_token}`;
  } else if (bundle.authData && bundle.authData.apiKey) {
    request.headers.Authorization = `Bearer ${bundle.authData.apiKey}`;
  }
  request.headers.Accept = request.headers.Accept || 'application/json';
  return request;
};

// Switchboard answers errors as application/problem+json ({title, detail, code, requestId, errors{field:[…]}}).
// Turn them into errors a Zap user can act on; a 401 on an OAuth connection asks Zapier to refresh the token.
const problemMessage = (response) => {
  let problem = null;
  try {
    problem = typeof response.json === 'object' && response.json !== null ? response.json : JSON.parse(response.content);
  } catch (e) {
    problem = null;
  }
  if (!problem || typeof problem !== 'object') return `Switchboard answered HTTP ${response.status}.`;
  const parts = [problem.detail || problem.title || `HTTP ${response.status}`];
  if (problem.errors && typeof problem.errors === 'object') {
    for (const [field, messages] of Object.entries(problem.errors)) {
      parts.push(`${field}: ${[].concat(messages).join(' ')}`);
    }
  }
  if (problem.requestId) parts.push(`(request ${problem.requestId})`);
  return parts.join(' ');
};

const handleErrors = (response, z, bundle) => {
  if (response.request && response.request.skipThrowForStatus) return response;
  if (response.status === 401 && bundle.authData && bundle.authData.refresh_token) {
    throw new z.errors.RefreshAuthError(problemMessage(response));
  }
  if (response.status >= 400) {
    let code = `http_${response.status}`;
    try {
      code = (response.json && response.json.code) || code;
    } catch (e) {
      // not JSON: keep the status
    }
    throw new z.errors.Error(problemMessage(response), code, response.status);
  }
  return response;
};

// A request whose answer is JSON; returns the parsed body.
const call = async (z, options) => {
  const response = await z.request(options);
  return response.data;
};

// Drops empty optional fields so an unmapped Zap field does not overwrite data with "".
const compact = (object) => {
  const out = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null || value === '') continue;
    out[key] = value;
  }
  return out;
};

module.exports = { baseUrl, api, addCredential, handleErrors, problemMessage, call, compact };
