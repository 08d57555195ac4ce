// How one API call is made: URL and headers, one serialized body, an Idempotency-Key on every POST (so a retry is
// replayed by the server, never done twice: docs/idempotency.md), a timeout per attempt, and retries with exponential
// backoff and full jitter on network errors, timeouts, 429, 502, 503, 504 and 409 idempotency_request_in_progress,
// waiting what `Retry-After` says when the server says it (docs/errors.md "Handling errors").
import {
  apiErrorFor, parseRetryAfter, SwitchboardApiError, SwitchboardConnectionError, SwitchboardError, SwitchboardTimeoutError,
} from "./errors.js";
import type { TokenSource } from "./oauth.js";

/** Options of one call; each overrides the client's setting of the same name. */
export interface RequestOptions {
  /** Aborts the call (and its retries); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds one attempt may take before it is abandoned (and retried). */
  timeoutMs?: number;
  /** Retries after the first attempt. */
  maxRetries?: number;
  /** For a POST: the key that makes it safe to retry; one is generated when absent. */
  idempotencyKey?: string;
  /** For PATCH and DELETE: the `ETag` you read; a change made since answers 412 (PreconditionFailedError). */
  ifMatch?: string;
  /** More request headers. */
  headers?: Record<string, string>;
  /** A raw body for the operations that take one the OpenAPI document does not describe (inbound provider requests). */
  rawBody?: string | Uint8Array;
}

/** What the client tells `onRetry` before it waits and tries again. */
export interface RetryInfo {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  method: string;
  url: string;
  /** The answer's status, or undefined when there was none (network error, timeout). */
  status: number | undefined;
  /** Whether the delay is the server's `Retry-After`. */
  retryAfter: boolean;
  error: Error;
}

/** The status, headers and request id of the answer a result came from (see `responseOf`). */
export interface ResponseInfo {
  status: number;
  headers: Headers;
  requestId: string | undefined;
  /** True when the server replayed an earlier answer to the same Idempotency-Key. */
  replayed: boolean;
  /** The `ETag`, for `ifMatch` on a later PATCH or DELETE. */
  etag: string | undefined;
}

export interface TransportSettings {
  baseUrl: string;
  fetch: typeof fetch;
  maxRetries: number;
  timeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown at once. */
  maxRetryAfterMs: number;
  headers: Record<string, string>;
  credentials: TokenSource | undefined;
  adminToken: string | undefined;
  onRetry: ((info: RetryInfo) => void) | undefined;
}

export interface ApiRequest {
  method: string;
  /** The path under the base URL, e.g. `/api/v1/contacts/con_…` (already encoded). */
  path: string;
  query?: Record<string, unknown> | undefined;
  body?: unknown;
  auth?: "none" | "admin" | undefined;
  /** Read the success body as text (e.g. an SVG icon) rather than JSON. */
  text?: boolean;
}

const responses = new WeakMap<object, ResponseInfo>();

/** The answer a result object came from: status, headers, `requestId`, `etag`, whether it was an idempotent replay. */
export function responseOf(result: unknown): ResponseInfo | undefined {
  return typeof result === "object" && result !== null ? responses.get(result) : undefined;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

export async function send(settings: TransportSettings, request: ApiRequest, options: RequestOptions = {}): Promise<unknown> {
  const url = buildUrl(settings.baseUrl, request.path, request.query);
  const method = request.method.toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json", ...settings.headers };
  // Serialized once: a retry must send the same bytes, or the server takes it for another request (422).
  let body: string | Uint8Array | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers["Content-Type"] = "application/json";
  }
  if (method === "POST" && request.auth !== "none") headers["Idempotency-Key"] = options.idempotencyKey ?? randomUuid();
  if (options.ifMatch !== undefined) headers["If-Match"] = options.ifMatch;
  Object.assign(headers, options.headers);

  const maxRetries = Math.max(0, options.maxRetries ?? settings.maxRetries);
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
  let renewedCredentials = false;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    const token = request.auth === undefined && settings.credentials ? await settings.credentials.getToken(options.signal) : undefined;
    const attemptHeaders = { ...headers };
    if (token !== undefined) attemptHeaders.Authorization = `Bearer ${token}`;
    if (request.auth === "admin") {
      if (!settings.adminToken) throw new SwitchboardError("This operation needs the installation's operator token: set `adminToken`.");
      attemptHeaders["X-Admin-Token"] = settings.adminToken;
    }

    const deadline = deadlineSignal(timeoutMs, options.signal);
    let failure: Error;
    let status: number | undefined; // set when the answer is one to retry
    let retryAfterMs: number | undefined;
    try {
      const response = await settings.fetch(url, { method, headers: attemptHeaders, body: body as BodyInit | undefined, signal: deadline.signal });
      const parsed = await readBody(response, request.text === true);
      if (response.ok || response.status === 304) return remember(parsed, response);
      const error = apiErrorFor(response.status, parsed, response.headers);
      if (response.status === 401 && error.code === "invalid_token" && token !== undefined && !renewedCredentials
          && settings.credentials?.invalidate(token)) {
        renewedCredentials = true; // one more attempt with a fresh token, not counted as a retry
        attempt--;
        continue;
      }
      const retryable = RETRYABLE_STATUSES.has(response.status)
        || (response.status === 409 && error.code === "idempotency_request_in_progress");
      if (!retryable || attempt > maxRetries) throw error;
      failure = error;
      status = response.status;
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
      if (retryAfterMs !== undefined && retryAfterMs > settings.maxRetryAfterMs) throw error;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      // An answer the loop decided to throw; not the deadline's own abort reason (a SwitchboardTimeoutError).
      if (error instanceof SwitchboardApiError || (error instanceof SwitchboardError && !deadline.timedOut())) throw error;
      failure = deadline.timedOut()
        ? new SwitchboardTimeoutError(`${method} ${url}: no answer within ${timeoutMs} ms.`, { cause: error })
        : new SwitchboardConnectionError(`${method} ${url}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      if (attempt > maxRetries) throw failure;
    } finally {
      deadline.dispose();
    }

    const delayMs = retryAfterMs ?? backoff(attempt, settings.retryBaseDelayMs, settings.retryMaxDelayMs);
    settings.onRetry?.({ attempt, delayMs, method, url, status, retryAfter: retryAfterMs !== undefined, error: failure });
    await sleep(delayMs, options.signal);
  }
}

/**
 * A random UUID (v4). Browsers offer crypto.randomUUID only in secure contexts (https, localhost); getRandomValues is
 * everywhere.
 */
function randomUuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4 (RFC 9562 §5.4)
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Full jitter (a uniformly random wait up to the exponential cap), which spreads clients apart best. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}

function buildUrl(baseUrl: string, path: string, query: Record<string, unknown> | undefined): string {
  const url = new URL(baseUrl.replace(/\/+$/, "") + path);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      url.searchParams.append(name, item instanceof Date ? item.toISOString() : String(item));
    }
  }
  return url.toString();
}

async function readBody(response: Response, asText: boolean): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return undefined;
  const type = response.headers.get("content-type") ?? "";
  if (!asText && /\bjson\b/i.test(type)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function remember(parsed: unknown, response: Response): unknown {
  if (typeof parsed === "object" && parsed !== null) {
    responses.set(parsed, {
      status: response.status, headers: response.headers, requestId: response.headers.get("x-request-id") ?? undefined,
      replayed: response.headers.get("idempotent-replayed") === "true", etag: response.headers.get("etag") ?? undefined,
    });
  }
  return parsed;
}

/** A signal that aborts after `timeoutMs` or when the caller's does, telling the two apart. */
function deadlineSignal(timeoutMs: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = timeoutMs > 0 && Number.isFinite(timeoutMs)
    ? setTimeout(() => { timedOut = true; controller.abort(new SwitchboardTimeoutError(`No answer within ${timeoutMs} ms.`)); }, timeoutMs)
    : undefined;
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => { if (timer !== undefined) clearTimeout(timer); outer?.removeEventListener("abort", onAbort); },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const timer = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(signal?.reason); };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
