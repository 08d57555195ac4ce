// The client: one object per resource (`client.contacts`, `client.webhooks`, ...), built from the operation table, each
// method typed from the generated OpenAPI types (src/types.ts). Cursor-paginated lists also get `listAll…`, an async
// iterator over every record across pages (docs/pagination.md).
import { send, type ApiRequest, type RequestOptions, type RetryInfo, type TransportSettings } from "./http.js";
import { ClientCredentials, RefreshingTokens, type ClientCredentialsOptions, type RefreshTokenOptions, type TokenSource } from "./oauth.js";
import { operationTable, type OperationSpec } from "./operations.js";
import type { Resources } from "./types.js";

/** How the client authenticates: an API key, an access token, OAuth, or nothing (signup and login only). */
export type Credentials =
  | { apiKey: string; accessToken?: never; oauth?: never }
  | { accessToken: string | (() => string | Promise<string>); apiKey?: never; oauth?: never }
  | { oauth: ClientCredentialsOptions | RefreshTokenOptions | TokenSource; apiKey?: never; accessToken?: never }
  | { apiKey?: never; accessToken?: never; oauth?: never };

export interface ClientOptions {
  /** The node's origin. Default `http://localhost:5080`. */
  baseUrl?: string;
  /** Retries after a first failed attempt (network error, timeout, 429, 502, 503, 504). Default 3. */
  maxRetries?: number;
  /** Milliseconds one attempt may take. Default 60,000. */
  timeoutMs?: number;
  /** The first retry waits up to this long (full jitter), doubling each time. Default 500. */
  retryBaseDelayMs?: number;
  /** The longest backoff between attempts when the server gives no `Retry-After`. Default 8,000. */
  retryMaxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for. Default 60,000. */
  maxRetryAfterMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The installation's operator token, for `client.admin`. */
  adminToken?: string;
  /** Told of each retry before the client waits (for logging). */
  onRetry?: (info: RetryInfo) => void;
}

export type SwitchboardConfig = Credentials & ClientOptions;

export interface Switchboard extends Resources {}

export class Switchboard {
  readonly #settings: TransportSettings;

  /**
   * `new Switchboard({ apiKey: "sbk_…" }, "https://api.example.com")`, or with `accessToken`, or with
   * `oauth: { clientId, clientSecret }` (client credentials) or `oauth: { clientId, refreshToken, … }` (a user's tokens).
   */
  constructor(config: SwitchboardConfig = {}, baseUrl?: string) {
    const fetchFn = config.fetch ?? globalThis.fetch.bind(globalThis);
    const base = (baseUrl ?? config.baseUrl ?? "http://localhost:5080").replace(/\/+$/, "");
    this.#settings = {
      baseUrl: base,
      fetch: fetchFn,
      maxRetries: config.maxRetries ?? 3,
      timeoutMs: config.timeoutMs ?? 60_000,
      retryBaseDelayMs: config.retryBaseDelayMs ?? 500,
      retryMaxDelayMs: config.retryMaxDelayMs ?? 8_000,
      maxRetryAfterMs: config.maxRetryAfterMs ?? 60_000,
      headers: { ...config.headers },
      credentials: tokenSourceFor(config),
      adminToken: config.adminToken,
      onRetry: config.onRetry,
    };
    this.#settings.credentials?.attach?.({ baseUrl: base, fetch: fetchFn });
    const resources: Record<string, Record<string, unknown>> = {};
    for (const spec of Object.values(operationTable) as OperationSpec[]) {
      const resource = (resources[spec.resource] ??= {});
      resource[spec.name] = (...args: unknown[]) => this.#call(spec, args);
      if (spec.paginated) resource[allName(spec.name)] = (...args: unknown[]) => this.#paginate(spec, args);
    }
    for (const [name, resource] of Object.entries(resources)) {
      Object.defineProperty(this, name, { value: Object.freeze(resource), enumerable: true });
    }
  }

  get baseUrl(): string {
    return this.#settings.baseUrl;
  }

  /** Any request under the base URL, with the client's credentials, retries and errors (for what has no method yet). */
  request<T = unknown>(request: ApiRequest, options?: RequestOptions): Promise<T> {
    return send(this.#settings, request, options) as Promise<T>;
  }

  #call(spec: OperationSpec, args: unknown[]): Promise<unknown> {
    const { path, body, query, options } = bind(spec, args);
    return send(this.#settings, { method: spec.method, path, body, query, auth: spec.auth, text: spec.responseType !== undefined }, options);
  }

  async *#paginate(spec: OperationSpec, args: unknown[]): AsyncGenerator<unknown, void, undefined> {
    const { path, query, options } = bind({ ...spec, body: undefined }, args);
    const base: Record<string, unknown> = { ...query };
    delete base.offset; // pages follow the cursor
    let cursor = base.cursor;
    for (;;) {
      const page = (await send(this.#settings, { method: spec.method, path, query: { ...base, cursor }, auth: spec.auth }, options)) as
        { data?: unknown[]; hasMore?: boolean; nextCursor?: string | null } | undefined;
      for (const item of page?.data ?? []) yield item;
      if (!page?.hasMore || !page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }
}

/** Splits a method's arguments by the operation's shape: path parameters, then body, then query, then options. */
function bind(spec: OperationSpec, args: unknown[]) {
  let index = 0;
  let path = spec.path;
  for (const name of spec.pathParams) {
    const value = args[index++];
    if (typeof value !== "string" || value.length === 0) throw new TypeError(`${spec.resource}.${spec.name}: ${name} must be a non-empty string.`);
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  const body = spec.body ? args[index++] : undefined;
  const query = spec.query ? (args[index++] as Record<string, unknown> | undefined) : undefined;
  const options = args[index] as RequestOptions | undefined;
  return { path, body, query, options };
}

function allName(name: string): string {
  return name === "list" ? "listAll" : `listAll${name.slice("list".length)}`;
}

function tokenSourceFor(config: Credentials): TokenSource | undefined {
  if (config.apiKey !== undefined) return constant(config.apiKey);
  if (config.accessToken !== undefined) {
    const token = config.accessToken;
    return typeof token === "string" ? constant(token) : { getToken: async () => token(), invalidate: () => true };
  }
  if (config.oauth !== undefined) {
    const oauth = config.oauth;
    if ("getToken" in oauth) return oauth;
    if ("refreshToken" in oauth && oauth.refreshToken) return new RefreshingTokens(oauth as RefreshTokenOptions);
    return new ClientCredentials(oauth as ClientCredentialsOptions);
  }
  return undefined;
}

function constant(token: string): TokenSource {
  if (!token) throw new TypeError("The credential is empty.");
  return { getToken: () => Promise.resolve(token), invalidate: () => false };
}
