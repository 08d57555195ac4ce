export { Switchboard } from "./client.js";
export type { ClientOptions, Credentials, SwitchboardConfig } from "./client.js";
export { responseOf } from "./http.js";
export type { ApiRequest, RequestOptions, ResponseInfo, RetryInfo } from "./http.js";
export {
  AuthenticationError, BadRequestError, ConflictError, InternalServerError, NotFoundError, PermissionDeniedError,
  PreconditionFailedError, RateLimitError, SwitchboardApiError, SwitchboardConnectionError, SwitchboardError,
  SwitchboardTimeoutError, UnprocessableEntityError, ValidationError,
} from "./errors.js";
export type { ErrorCode, FieldErrors, Problem } from "./errors.js";
export { ClientCredentials, OAuthError, RefreshingTokens } from "./oauth.js";
export type { ClientCredentialsOptions, OAuthTokens, RefreshTokenOptions, TokenSource } from "./oauth.js";
export { signWebhook, verifySimpleSignature, verifyWebhook, WebhookVerificationError } from "./webhooks.js";
export type { ContactEvent, RawBody, VerifyOptions, WebhookEvent, WebhookHeaders } from "./webhooks.js";
export { operationTable } from "./operations.js";
export type { OperationId, OperationSpec } from "./operations.js";
export type * from "./types.js";
export type { components, operations, paths } from "./generated/v1.js";
