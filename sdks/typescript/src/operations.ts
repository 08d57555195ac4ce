// The SDK's table of every v1 operation: which resource and method of the client calls it, and how. Written by hand (the
// names are the SDK's public surface) and checked twice: `satisfies` below fails the build when the generated types
// (src/generated/v1.ts) have an operationId this table lacks, and test/unit/coverage.test.mjs fails when the OpenAPI
// snapshot has an operation whose method, path, parameters or body this table does not match.
import type { operations } from "./generated/v1.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface OperationSpec {
  /** The client property that holds the method (`contacts` in `client.contacts.list`). */
  readonly resource: string;
  /** The method's name on its resource. */
  readonly name: string;
  readonly method: HttpMethod;
  /** The path template of the OpenAPI document, e.g. `/api/v1/contacts/{id}`. */
  readonly path: string;
  /** The path's parameters in order: the method's first positional arguments. */
  readonly pathParams: readonly string[];
  /** The operation takes a JSON body: the argument after the path parameters. */
  readonly body?: true;
  /** The operation takes query parameters: the argument after the body (or the path parameters). */
  readonly query?: true;
  /** A cursor-paginated list: the resource also gets an async iterator over every record (`listAll`). */
  readonly paginated?: true;
  /** `none`: sent without credentials (signup, login, ...); `admin`: the installation's operator token. */
  readonly auth?: "none" | "admin";
  /** The success body's media type when it is not JSON. */
  readonly responseType?: string;
}

export const operationTable = {
  getMe: { resource: "auth", name: "me", method: "GET", path: "/api/v1/me", pathParams: [] },
  acceptInvitation: { resource: "auth", name: "acceptInvitation", method: "POST", path: "/api/v1/auth/accept-invitation", pathParams: [], body: true, auth: "none" },
  listAuditLogs: { resource: "auditLogs", name: "list", method: "GET", path: "/api/v1/audit-logs", pathParams: [], paginated: true, query: true },
  sendChatMessage: { resource: "chat", name: "sendMessage", method: "POST", path: "/api/v1/chat/message", pathParams: [], body: true },
  getUsage: { resource: "usage", name: "get", method: "GET", path: "/api/v1/usage", pathParams: [], query: true },
  exportUsage: { resource: "usage", name: "export", method: "GET", path: "/api/v1/usage/export", pathParams: [], query: true, responseType: "text/csv" },
  getApiKeyUsage: { resource: "apiKeys", name: "usage", method: "GET", path: "/api/v1/api-keys/{id}/usage", pathParams: ["id"], query: true },
  getOrganization: { resource: "organization", name: "get", method: "GET", path: "/api/v1/organization", pathParams: [] },
  integrationOAuthCallback: { resource: "integrations", name: "oauthCallback", method: "GET", path: "/api/v1/integrations/oauth/callback", pathParams: [], query: true, auth: "none" },
  getOverview: { resource: "overview", name: "get", method: "GET", path: "/api/v1/overview", pathParams: [] },
  receiveIntegrationInbound: { resource: "integrations", name: "receiveInbound", method: "POST", path: "/api/v1/integrations/{id}/inbound/{kind}", pathParams: ["id", "kind"], auth: "none" },
  verifyIntegrationInbound: { resource: "integrations", name: "verifyInbound", method: "GET", path: "/api/v1/integrations/{id}/inbound/{kind}", pathParams: ["id", "kind"], auth: "none" },
  receiveProviderInbound: { resource: "integrations", name: "receiveProviderInbound", method: "POST", path: "/api/v1/integrations/providers/{key}/inbound/{kind}", pathParams: ["key", "kind"], auth: "none" },
  signup: { resource: "auth", name: "signup", method: "POST", path: "/api/v1/auth/signup", pathParams: [], body: true, auth: "none" },
  login: { resource: "auth", name: "login", method: "POST", path: "/api/v1/auth/login", pathParams: [], body: true, auth: "none" },
  refreshToken: { resource: "auth", name: "refresh", method: "POST", path: "/api/v1/auth/refresh", pathParams: [], body: true, auth: "none" },
  logout: { resource: "auth", name: "logout", method: "POST", path: "/api/v1/auth/logout", pathParams: [], body: true, auth: "none" },
  listMembers: { resource: "members", name: "list", method: "GET", path: "/api/v1/members", pathParams: [], paginated: true, query: true },
  updateMember: { resource: "members", name: "update", method: "PATCH", path: "/api/v1/members/{userId}", pathParams: ["userId"], body: true },
  removeMember: { resource: "members", name: "remove", method: "DELETE", path: "/api/v1/members/{userId}", pathParams: ["userId"] },
  createInvitation: { resource: "invitations", name: "create", method: "POST", path: "/api/v1/invitations", pathParams: [], body: true },
  listInvitations: { resource: "invitations", name: "list", method: "GET", path: "/api/v1/invitations", pathParams: [], paginated: true, query: true },
  revokeInvitation: { resource: "invitations", name: "revoke", method: "DELETE", path: "/api/v1/invitations/{id}", pathParams: ["id"] },
  createApiKey: { resource: "apiKeys", name: "create", method: "POST", path: "/api/v1/api-keys", pathParams: [], body: true },
  listApiKeys: { resource: "apiKeys", name: "list", method: "GET", path: "/api/v1/api-keys", pathParams: [], paginated: true, query: true },
  getApiKey: { resource: "apiKeys", name: "get", method: "GET", path: "/api/v1/api-keys/{id}", pathParams: ["id"] },
  updateApiKey: { resource: "apiKeys", name: "update", method: "PATCH", path: "/api/v1/api-keys/{id}", pathParams: ["id"], body: true },
  revokeApiKey: { resource: "apiKeys", name: "revoke", method: "DELETE", path: "/api/v1/api-keys/{id}", pathParams: ["id"] },
  rotateApiKey: { resource: "apiKeys", name: "rotate", method: "POST", path: "/api/v1/api-keys/{id}/rotate", pathParams: ["id"], body: true },
  listContacts: { resource: "contacts", name: "list", method: "GET", path: "/api/v1/contacts", pathParams: [], paginated: true, query: true },
  createContact: { resource: "contacts", name: "create", method: "POST", path: "/api/v1/contacts", pathParams: [], body: true },
  getContact: { resource: "contacts", name: "get", method: "GET", path: "/api/v1/contacts/{id}", pathParams: ["id"], query: true },
  updateContact: { resource: "contacts", name: "update", method: "PATCH", path: "/api/v1/contacts/{id}", pathParams: ["id"], body: true },
  deleteContact: { resource: "contacts", name: "delete", method: "DELETE", path: "/api/v1/contacts/{id}", pathParams: ["id"] },
  listLeads: { resource: "leads", name: "list", method: "GET", path: "/api/v1/leads", pathParams: [], paginated: true, query: true },
  createLead: { resource: "leads", name: "create", method: "POST", path: "/api/v1/leads", pathParams: [], body: true },
  getLead: { resource: "leads", name: "get", method: "GET", path: "/api/v1/leads/{id}", pathParams: ["id"], query: true },
  updateLead: { resource: "leads", name: "update", method: "PATCH", path: "/api/v1/leads/{id}", pathParams: ["id"], body: true },
  deleteLead: { resource: "leads", name: "delete", method: "DELETE", path: "/api/v1/leads/{id}", pathParams: ["id"] },
  convertLead: { resource: "leads", name: "convert", method: "POST", path: "/api/v1/leads/{id}/convert", pathParams: ["id"], body: true },
  listDeals: { resource: "deals", name: "list", method: "GET", path: "/api/v1/deals", pathParams: [], paginated: true, query: true },
  createDeal: { resource: "deals", name: "create", method: "POST", path: "/api/v1/deals", pathParams: [], body: true },
  getDeal: { resource: "deals", name: "get", method: "GET", path: "/api/v1/deals/{id}", pathParams: ["id"], query: true },
  updateDeal: { resource: "deals", name: "update", method: "PATCH", path: "/api/v1/deals/{id}", pathParams: ["id"], body: true },
  deleteDeal: { resource: "deals", name: "delete", method: "DELETE", path: "/api/v1/deals/{id}", pathParams: ["id"] },
  listActivities: { resource: "activities", name: "list", method: "GET", path: "/api/v1/activities", pathParams: [], paginated: true, query: true },
  createActivity: { resource: "activities", name: "create", method: "POST", path: "/api/v1/activities", pathParams: [], body: true },
  getActivity: { resource: "activities", name: "get", method: "GET", path: "/api/v1/activities/{id}", pathParams: ["id"], query: true },
  updateActivity: { resource: "activities", name: "update", method: "PATCH", path: "/api/v1/activities/{id}", pathParams: ["id"], body: true },
  deleteActivity: { resource: "activities", name: "delete", method: "DELETE", path: "/api/v1/activities/{id}", pathParams: ["id"] },
  listTasks: { resource: "tasks", name: "list", method: "GET", path: "/api/v1/tasks", pathParams: [], paginated: true, query: true },
  createTask: { resource: "tasks", name: "create", method: "POST", path: "/api/v1/tasks", pathParams: [], body: true },
  getTask: { resource: "tasks", name: "get", method: "GET", path: "/api/v1/tasks/{id}", pathParams: ["id"], query: true },
  updateTask: { resource: "tasks", name: "update", method: "PATCH", path: "/api/v1/tasks/{id}", pathParams: ["id"], body: true },
  deleteTask: { resource: "tasks", name: "delete", method: "DELETE", path: "/api/v1/tasks/{id}", pathParams: ["id"] },
  completeTask: { resource: "tasks", name: "complete", method: "POST", path: "/api/v1/tasks/{id}/complete", pathParams: ["id"] },
  listTickets: { resource: "tickets", name: "list", method: "GET", path: "/api/v1/tickets", pathParams: [], paginated: true, query: true },
  createTicket: { resource: "tickets", name: "create", method: "POST", path: "/api/v1/tickets", pathParams: [], body: true },
  getTicket: { resource: "tickets", name: "get", method: "GET", path: "/api/v1/tickets/{id}", pathParams: ["id"], query: true },
  updateTicket: { resource: "tickets", name: "update", method: "PATCH", path: "/api/v1/tickets/{id}", pathParams: ["id"], body: true },
  deleteTicket: { resource: "tickets", name: "delete", method: "DELETE", path: "/api/v1/tickets/{id}", pathParams: ["id"] },
  listCalls: { resource: "calls", name: "list", method: "GET", path: "/api/v1/calls", pathParams: [], paginated: true, query: true },
  createCall: { resource: "calls", name: "create", method: "POST", path: "/api/v1/calls", pathParams: [], body: true },
  getCall: { resource: "calls", name: "get", method: "GET", path: "/api/v1/calls/{id}", pathParams: ["id"], query: true },
  updateCall: { resource: "calls", name: "update", method: "PATCH", path: "/api/v1/calls/{id}", pathParams: ["id"], body: true },
  deleteCall: { resource: "calls", name: "delete", method: "DELETE", path: "/api/v1/calls/{id}", pathParams: ["id"] },
  addCallTranscript: { resource: "calls", name: "addTranscript", method: "POST", path: "/api/v1/calls/{id}/transcript", pathParams: ["id"], body: true },
  listPayments: { resource: "payments", name: "list", method: "GET", path: "/api/v1/payments", pathParams: [], paginated: true, query: true },
  createPayment: { resource: "payments", name: "create", method: "POST", path: "/api/v1/payments", pathParams: [], body: true },
  getPayment: { resource: "payments", name: "get", method: "GET", path: "/api/v1/payments/{id}", pathParams: ["id"], query: true },
  updatePayment: { resource: "payments", name: "update", method: "PATCH", path: "/api/v1/payments/{id}", pathParams: ["id"], body: true },
  deletePayment: { resource: "payments", name: "delete", method: "DELETE", path: "/api/v1/payments/{id}", pathParams: ["id"] },
  listChatSessions: { resource: "chatSessions", name: "list", method: "GET", path: "/api/v1/chat/sessions", pathParams: [], paginated: true, query: true },
  createChatSession: { resource: "chatSessions", name: "create", method: "POST", path: "/api/v1/chat/sessions", pathParams: [], body: true },
  getChatSession: { resource: "chatSessions", name: "get", method: "GET", path: "/api/v1/chat/sessions/{id}", pathParams: ["id"], query: true },
  updateChatSession: { resource: "chatSessions", name: "update", method: "PATCH", path: "/api/v1/chat/sessions/{id}", pathParams: ["id"], body: true },
  deleteChatSession: { resource: "chatSessions", name: "delete", method: "DELETE", path: "/api/v1/chat/sessions/{id}", pathParams: ["id"] },
  listChatMessages: { resource: "chatMessages", name: "list", method: "GET", path: "/api/v1/chat/sessions/{id}/messages", pathParams: ["id"], paginated: true, query: true },
  createChatMessage: { resource: "chatMessages", name: "create", method: "POST", path: "/api/v1/chat/sessions/{id}/messages", pathParams: ["id"], body: true },
  getChatMessage: { resource: "chatMessages", name: "get", method: "GET", path: "/api/v1/chat/sessions/{id}/messages/{messageId}", pathParams: ["id", "messageId"] },
  getAnalyticsSummary: { resource: "analytics", name: "summary", method: "GET", path: "/api/v1/analytics/summary", pathParams: [], query: true },
  getCallAnalytics: { resource: "analytics", name: "calls", method: "GET", path: "/api/v1/analytics/calls", pathParams: [], query: true },
  getLeadAnalytics: { resource: "analytics", name: "leads", method: "GET", path: "/api/v1/analytics/leads", pathParams: [], query: true },
  setOrganizationPlan: { resource: "admin", name: "setOrganizationPlan", method: "PUT", path: "/api/v1/admin/organizations/{id}/plan", pathParams: ["id"], body: true, auth: "admin" },
  listWebhookEventTypes: { resource: "webhooks", name: "listEventTypes", method: "GET", path: "/api/v1/webhooks/event-types", pathParams: [] },
  createWebhook: { resource: "webhooks", name: "create", method: "POST", path: "/api/v1/webhooks", pathParams: [], body: true },
  listWebhooks: { resource: "webhooks", name: "list", method: "GET", path: "/api/v1/webhooks", pathParams: [], paginated: true, query: true },
  getWebhook: { resource: "webhooks", name: "get", method: "GET", path: "/api/v1/webhooks/{id}", pathParams: ["id"] },
  updateWebhook: { resource: "webhooks", name: "update", method: "PATCH", path: "/api/v1/webhooks/{id}", pathParams: ["id"], body: true },
  deleteWebhook: { resource: "webhooks", name: "delete", method: "DELETE", path: "/api/v1/webhooks/{id}", pathParams: ["id"] },
  listWebhookDeliveries: { resource: "webhooks", name: "listDeliveries", method: "GET", path: "/api/v1/webhooks/{id}/deliveries", pathParams: ["id"], paginated: true, query: true },
  retryWebhookDelivery: { resource: "webhooks", name: "retryDelivery", method: "POST", path: "/api/v1/webhooks/deliveries/{deliveryId}/retry", pathParams: ["deliveryId"] },
  retryWebhookDeliveries: { resource: "webhooks", name: "retryDeliveries", method: "POST", path: "/api/v1/webhooks/{id}/deliveries/retry", pathParams: ["id"], body: true },
  testWebhook: { resource: "webhooks", name: "test", method: "POST", path: "/api/v1/webhooks/{id}/test", pathParams: ["id"] },
  rotateWebhookSecret: { resource: "webhooks", name: "rotateSecret", method: "POST", path: "/api/v1/webhooks/{id}/rotate-secret", pathParams: ["id"] },
  replayWebhook: { resource: "webhooks", name: "replay", method: "POST", path: "/api/v1/webhooks/{id}/replay", pathParams: ["id"], body: true },
  createWebhookPortalLink: { resource: "webhooks", name: "createPortalLink", method: "POST", path: "/api/v1/webhooks/portal-links", pathParams: [], body: true },
  listWebhookPortalLinks: { resource: "webhooks", name: "listPortalLinks", method: "GET", path: "/api/v1/webhooks/portal-links", pathParams: [], paginated: true, query: true },
  revokeWebhookPortalLink: { resource: "webhooks", name: "revokePortalLink", method: "DELETE", path: "/api/v1/webhooks/portal-links/{id}", pathParams: ["id"] },
  listIntegrationProviders: { resource: "integrations", name: "listProviders", method: "GET", path: "/api/v1/integrations/providers", pathParams: [], query: true },
  getIntegrationProvider: { resource: "integrations", name: "getProvider", method: "GET", path: "/api/v1/integrations/providers/{key}", pathParams: ["key"] },
  getIntegrationProviderIcon: { resource: "integrations", name: "getProviderIcon", method: "GET", path: "/api/v1/integrations/providers/{key}/icon.svg", pathParams: ["key"], responseType: "image/svg+xml", auth: "none" },
  listIntegrationProviderReviews: { resource: "integrations", name: "listProviderReviews", method: "GET", path: "/api/v1/integrations/providers/{key}/reviews", pathParams: ["key"], paginated: true, query: true },
  putMyIntegrationProviderReview: { resource: "integrations", name: "putMyProviderReview", method: "PUT", path: "/api/v1/integrations/providers/{key}/reviews/mine", pathParams: ["key"], body: true },
  deleteMyIntegrationProviderReview: { resource: "integrations", name: "deleteMyProviderReview", method: "DELETE", path: "/api/v1/integrations/providers/{key}/reviews/mine", pathParams: ["key"] },
  createIntegration: { resource: "integrations", name: "create", method: "POST", path: "/api/v1/integrations", pathParams: [], body: true },
  listIntegrations: { resource: "integrations", name: "list", method: "GET", path: "/api/v1/integrations", pathParams: [], paginated: true, query: true },
  getIntegration: { resource: "integrations", name: "get", method: "GET", path: "/api/v1/integrations/{id}", pathParams: ["id"] },
  updateIntegration: { resource: "integrations", name: "update", method: "PATCH", path: "/api/v1/integrations/{id}", pathParams: ["id"], body: true },
  deleteIntegration: { resource: "integrations", name: "delete", method: "DELETE", path: "/api/v1/integrations/{id}", pathParams: ["id"] },
  testIntegration: { resource: "integrations", name: "test", method: "POST", path: "/api/v1/integrations/{id}/test", pathParams: ["id"] },
  getIntegrationStatus: { resource: "integrations", name: "status", method: "GET", path: "/api/v1/integrations/{id}/status", pathParams: ["id"] },
  connectIntegration: { resource: "integrations", name: "connect", method: "GET", path: "/api/v1/integrations/{id}/connect", pathParams: ["id"], query: true },
  createIntegrationRule: { resource: "integrations", name: "createRule", method: "POST", path: "/api/v1/integrations/{id}/rules", pathParams: ["id"], body: true },
  listIntegrationRules: { resource: "integrations", name: "listRules", method: "GET", path: "/api/v1/integrations/{id}/rules", pathParams: ["id"], paginated: true, query: true },
  getIntegrationRule: { resource: "integrations", name: "getRule", method: "GET", path: "/api/v1/integrations/{id}/rules/{ruleId}", pathParams: ["id", "ruleId"] },
  updateIntegrationRule: { resource: "integrations", name: "updateRule", method: "PATCH", path: "/api/v1/integrations/{id}/rules/{ruleId}", pathParams: ["id", "ruleId"], body: true },
  deleteIntegrationRule: { resource: "integrations", name: "deleteRule", method: "DELETE", path: "/api/v1/integrations/{id}/rules/{ruleId}", pathParams: ["id", "ruleId"] },
  listIntegrationActionRuns: { resource: "integrations", name: "listActionRuns", method: "GET", path: "/api/v1/integrations/{id}/action-runs", pathParams: ["id"], paginated: true, query: true },
  retryIntegrationActionRun: { resource: "integrations", name: "retryActionRun", method: "POST", path: "/api/v1/integrations/{id}/action-runs/{deliveryId}/retry", pathParams: ["id", "deliveryId"] },
  startIntegrationSync: { resource: "integrations", name: "sync", method: "POST", path: "/api/v1/integrations/{id}/sync", pathParams: ["id"], body: true },
  listIntegrationSyncRuns: { resource: "integrations", name: "listSyncRuns", method: "GET", path: "/api/v1/integrations/{id}/sync-runs", pathParams: ["id"], paginated: true, query: true },
  getIntegrationSyncRun: { resource: "integrations", name: "getSyncRun", method: "GET", path: "/api/v1/integrations/{id}/sync-runs/{runId}", pathParams: ["id", "runId"] },
  createOAuthApp: { resource: "oauthApps", name: "create", method: "POST", path: "/api/v1/oauth/apps", pathParams: [], body: true },
  listOAuthApps: { resource: "oauthApps", name: "list", method: "GET", path: "/api/v1/oauth/apps", pathParams: [], paginated: true, query: true },
  getOAuthApp: { resource: "oauthApps", name: "get", method: "GET", path: "/api/v1/oauth/apps/{id}", pathParams: ["id"] },
  updateOAuthApp: { resource: "oauthApps", name: "update", method: "PATCH", path: "/api/v1/oauth/apps/{id}", pathParams: ["id"], body: true },
  deleteOAuthApp: { resource: "oauthApps", name: "delete", method: "DELETE", path: "/api/v1/oauth/apps/{id}", pathParams: ["id"] },
  rotateOAuthAppSecret: { resource: "oauthApps", name: "rotateSecret", method: "POST", path: "/api/v1/oauth/apps/{id}/rotate-secret", pathParams: ["id"], body: true },
  listOAuthAuthorizations: { resource: "oauthAuthorizations", name: "list", method: "GET", path: "/api/v1/oauth/authorizations", pathParams: [], paginated: true, query: true },
  getOAuthAuthorization: { resource: "oauthAuthorizations", name: "get", method: "GET", path: "/api/v1/oauth/authorizations/{id}", pathParams: ["id"] },
  revokeOAuthAuthorization: { resource: "oauthAuthorizations", name: "revoke", method: "DELETE", path: "/api/v1/oauth/authorizations/{id}", pathParams: ["id"] },
} as const satisfies Record<keyof operations, OperationSpec>;

export type OperationTable = typeof operationTable;
export type OperationId = keyof OperationTable;
