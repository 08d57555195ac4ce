// Typed errors. An answer of the API that is not a success becomes a SwitchboardApiError subclass chosen by its status
// (and, for 400, by its `code`), carrying what the RFC 9457 problem body says: `code`, `requestId`, `detail` and, on
// validation errors, the messages of each field. Failures that got no answer are SwitchboardConnectionError or
// SwitchboardTimeoutError. See docs/errors.md for the codes.
import type { components } from "./generated/v1.js";

export type Problem = components["schemas"]["Problem"];
/** A stable error code of the API. New codes may be added: treat an unknown one by its HTTP status. */
export type ErrorCode = Problem["code"] | (string & {});
/** Field name → its messages, from a `validation_failed` problem. */
export type FieldErrors = Record<string, string[]>;

/** The base class of every error this SDK throws. */
export class SwitchboardError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The API answered with an error status. */
export class SwitchboardApiError extends SwitchboardError {
  readonly status: number;
  /** The problem's stable code (`validation_failed`, `not_found`, ...); `unknown` when the body was not a problem. */
  readonly code: ErrorCode;
  /** The request id (the `X-Request-Id` header or the problem's `requestId`): quote it when asking for help. */
  readonly requestId: string | undefined;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  readonly type: string | undefined;
  /** Each invalid field's messages (empty when the problem names no field). */
  readonly fieldErrors: FieldErrors;
  /** The parsed problem body, or the raw text when it was not JSON. */
  readonly body: unknown;
  readonly headers: Headers;

  constructor(status: number, body: unknown, headers: Headers) {
    const problem = (typeof body === "object" && body !== null ? body : {}) as Partial<Problem> & Record<string, unknown>;
    const code = typeof problem.code === "string" ? problem.code : "unknown";
    const detail = typeof problem.detail === "string" ? problem.detail : undefined;
    const requestId = (typeof problem.requestId === "string" ? problem.requestId : undefined) ?? headers.get("x-request-id") ?? undefined;
    const fieldErrors = readFieldErrors(problem.errors);
    const fields = Object.entries(fieldErrors).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
    super(`${status} ${code}${detail ? `: ${detail}` : ""}${fields.length ? ` (${fields.join("; ")})` : ""}${requestId ? ` [${requestId}]` : ""}`);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.title = typeof problem.title === "string" ? problem.title : undefined;
    this.detail = detail;
    this.type = typeof problem.type === "string" ? problem.type : undefined;
    this.fieldErrors = fieldErrors;
    this.body = body;
    this.headers = headers;
  }
}

function readFieldErrors(errors: unknown): FieldErrors {
  const result: FieldErrors = {};
  if (typeof errors !== "object" || errors === null) return result;
  for (const [field, messages] of Object.entries(errors)) {
    if (Array.isArray(messages)) result[field] = messages.filter((m): m is string => typeof m === "string");
    else if (typeof messages === "string") result[field] = [messages];
  }
  return result;
}

/** 400: the request is malformed or invalid; change it before sending it again. */
export class BadRequestError extends SwitchboardApiError {}
/** 400 `validation_failed`: `fieldErrors` names each invalid field with its messages. */
export class ValidationError extends BadRequestError {}
/** 401: no credential, or one that was refused (expired, revoked, malformed). */
export class AuthenticationError extends SwitchboardApiError {}
/** 403: the credential lacks a scope (`insufficient_scope`), or the caller's IP or role is not allowed. */
export class PermissionDeniedError extends SwitchboardApiError {}
/** 404: no such record, or one of another organization (ids reveal nothing across tenants). */
export class NotFoundError extends SwitchboardApiError {}
/** 409: a conflict, such as an idempotent request still in flight or a duplicate. */
export class ConflictError extends SwitchboardApiError {}
/** 412: `If-Match` named a version that is no longer current. */
export class PreconditionFailedError extends SwitchboardApiError {}
/** 422: e.g. `idempotency_key_reused` (the same key with another request). */
export class UnprocessableEntityError extends SwitchboardApiError {}
/** 429 `rate_limited`, after the client's retries (if any) were spent. */
export class RateLimitError extends SwitchboardApiError {
  /** Seconds the server asked to wait (`Retry-After`), when it said. */
  get retryAfterSeconds(): number | undefined {
    const ms = parseRetryAfter(this.headers.get("retry-after"), Date.now());
    return ms === undefined ? undefined : Math.ceil(ms / 1000);
  }
}
/** 5xx: the service failed; retried by the client before this is thrown. */
export class InternalServerError extends SwitchboardApiError {}

/** No answer: the connection failed or was reset (after the client's retries). */
export class SwitchboardConnectionError extends SwitchboardError {}
/** No answer within the client's `timeoutMs` (after the client's retries). */
export class SwitchboardTimeoutError extends SwitchboardError {}

/** The error class for an answer's status and problem body. */
export function apiErrorFor(status: number, body: unknown, headers: Headers): SwitchboardApiError {
  const code = typeof body === "object" && body !== null ? (body as { code?: unknown }).code : undefined;
  switch (status) {
    case 400: return code === "validation_failed" ? new ValidationError(status, body, headers) : new BadRequestError(status, body, headers);
    case 401: return new AuthenticationError(status, body, headers);
    case 403: return new PermissionDeniedError(status, body, headers);
    case 404: return new NotFoundError(status, body, headers);
    case 409: return new ConflictError(status, body, headers);
    case 412: return new PreconditionFailedError(status, body, headers);
    case 422: return new UnprocessableEntityError(status, body, headers);
    case 429: return new RateLimitError(status, body, headers);
    default: return status >= 500 ? new InternalServerError(status, body, headers) : new SwitchboardApiError(status, body, headers);
  }
}

/**
 * `Retry-After` in milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined when absent or
 * unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
