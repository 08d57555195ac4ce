// OAuth 2.0 token sources for the client: the client_credentials grant (RFC 6749 §4.4) for an app acting for its own
// organization, and the refresh_token grant (RFC 6749 §6) for a user's tokens, which Switchboard rotates on every use
// (a used refresh token is refused and revokes the grant: RFC 9700 §4.14.2, so one refresh runs at a time). The token
// endpoint comes from the server's metadata, /.well-known/oauth-authorization-server (RFC 8414), unless given.
// Client authentication is client_secret_basic (RFC 6749 §2.3.1: id and secret form-encoded, then Basic).
import { SwitchboardError, SwitchboardConnectionError } from "./errors.js";

/** A token endpoint's answer (RFC 6749 §5.1), with when the access token expires. */
export interface OAuthTokens {
  accessToken: string;
  tokenType: string;
  /** Unix milliseconds; undefined when the server did not say (then the token is used until it is refused). */
  expiresAt: number | undefined;
  refreshToken: string | undefined;
  scope: string | undefined;
}

/** The token endpoint refused (RFC 6749 §5.2): `error` is e.g. `invalid_client`, `invalid_grant`, `invalid_scope`. */
export class OAuthError extends SwitchboardError {
  constructor(readonly status: number, readonly error: string, readonly errorDescription: string | undefined) {
    super(`OAuth ${status} ${error}${errorDescription ? `: ${errorDescription}` : ""}`);
  }
}

/** Where a token source reaches the server; the client fills in what its options do not set. */
export interface OAuthEndpointOptions {
  /** The node's origin, e.g. `https://api.example.com` (defaults to the client's `baseUrl`). */
  baseUrl?: string;
  /** The token endpoint; by default read from the server's metadata. */
  tokenEndpoint?: string;
  fetch?: typeof fetch;
}

/** Something that hands the client an access token, and can be told a token was refused. */
export interface TokenSource {
  getToken(signal?: AbortSignal): Promise<string>;
  /** The API refused `token` (401 invalid_token): drop it. True when asking again may give another. */
  invalidate(token: string): boolean;
  /** Called by the client with its own base URL and fetch, for what the source's options leave unset. */
  attach?(defaults: { baseUrl: string; fetch: typeof fetch }): void;
}

/** Refresh this long before the expiry the server announced, so a token does not lapse in flight. */
const EXPIRY_MARGIN_MS = 30_000;

abstract class OAuthTokenSource implements TokenSource {
  #baseUrl: string | undefined;
  #fetch: typeof fetch | undefined;
  #tokenEndpoint: Promise<string> | undefined;
  #current: OAuthTokens | undefined;
  #pending: Promise<OAuthTokens> | undefined;

  protected constructor(protected readonly clientId: string, protected readonly clientSecret: string | undefined, options: OAuthEndpointOptions) {
    if (!clientId) throw new TypeError("clientId is required.");
    this.#baseUrl = options.baseUrl?.replace(/\/+$/, "");
    this.#fetch = options.fetch;
    if (options.tokenEndpoint) this.#tokenEndpoint = Promise.resolve(options.tokenEndpoint);
  }

  attach(defaults: { baseUrl: string; fetch: typeof fetch }): void {
    this.#baseUrl ??= defaults.baseUrl.replace(/\/+$/, "");
    this.#fetch ??= defaults.fetch;
  }

  /** The tokens last obtained (undefined before the first request). */
  get tokens(): OAuthTokens | undefined {
    return this.#current;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    const current = this.#current;
    if (current && (current.expiresAt === undefined || Date.now() < current.expiresAt - marginFor(current))) return current.accessToken;
    return (await this.fetchTokens(signal)).accessToken;
  }

  invalidate(token: string): boolean {
    if (this.#current?.accessToken !== token) return true; // another request already replaced it
    this.#current = undefined;
    return this.canRenew();
  }

  /** One token request at a time: concurrent callers share it (and a rotated refresh token is used once). */
  protected fetchTokens(signal?: AbortSignal): Promise<OAuthTokens> {
    this.#pending ??= this.requestTokens(signal).then(
      (tokens) => { this.#current = tokens; this.#pending = undefined; this.onTokens(tokens); return tokens; },
      (error: unknown) => { this.#pending = undefined; throw error; });
    return this.#pending;
  }

  protected setCurrent(tokens: OAuthTokens | undefined): void {
    this.#current = tokens;
  }

  protected abstract grant(): Record<string, string>;
  protected abstract canRenew(): boolean;
  protected onTokens(_tokens: OAuthTokens): void {}

  private async requestTokens(signal?: AbortSignal): Promise<OAuthTokens> {
    const fetchFn = this.#fetch ?? globalThis.fetch;
    const endpoint = await this.tokenEndpoint(fetchFn, signal);
    const form = new URLSearchParams(this.grant());
    const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
    if (this.clientSecret !== undefined) headers.Authorization = `Basic ${btoa(`${formEncode(this.clientId)}:${formEncode(this.clientSecret)}`)}`;
    else form.set("client_id", this.clientId); // a public client identifies itself in the body (RFC 6749 §3.2.1)
    let response: Response;
    try {
      response = await fetchFn(endpoint, { method: "POST", headers, body: form.toString(), signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new SwitchboardConnectionError(`The token endpoint ${endpoint} could not be reached.`, { cause: error });
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.access_token !== "string") {
      throw new OAuthError(response.status, typeof body.error === "string" ? body.error : "invalid_response",
        typeof body.error_description === "string" ? body.error_description : undefined);
    }
    const expiresIn = typeof body.expires_in === "number" ? body.expires_in : undefined;
    return {
      accessToken: body.access_token,
      tokenType: typeof body.token_type === "string" ? body.token_type : "Bearer",
      expiresAt: expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000,
      refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
      scope: typeof body.scope === "string" ? body.scope : undefined,
    };
  }

  private tokenEndpoint(fetchFn: typeof fetch, signal?: AbortSignal): Promise<string> {
    this.#tokenEndpoint ??= (async () => {
      if (!this.#baseUrl) throw new TypeError("An OAuth token source needs a baseUrl or a tokenEndpoint.");
      const url = `${this.#baseUrl}/.well-known/oauth-authorization-server`;
      const response = await fetchFn(url, { headers: { Accept: "application/json" }, signal });
      const metadata = (await response.json().catch(() => ({}))) as { token_endpoint?: unknown };
      if (!response.ok || typeof metadata.token_endpoint !== "string")
        throw new SwitchboardError(`No token_endpoint in ${url} (HTTP ${response.status}).`);
      return metadata.token_endpoint;
    })().catch((error: unknown) => { this.#tokenEndpoint = undefined; throw error; });
    return this.#tokenEndpoint;
  }
}

function marginFor(tokens: OAuthTokens): number {
  // A short-lived token gets half its life as margin rather than the full 30 s.
  return tokens.expiresAt === undefined ? 0 : Math.min(EXPIRY_MARGIN_MS, Math.max(0, (tokens.expiresAt - Date.now()) / 2));
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks of the Basic credentials. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface ClientCredentialsOptions extends OAuthEndpointOptions {
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for; the app's registered scopes when absent. */
  scope?: string;
}

/** Tokens of a confidential app for its own organization (client_credentials), fetched when needed and cached. */
export class ClientCredentials extends OAuthTokenSource {
  readonly #scope: string | undefined;

  constructor(options: ClientCredentialsOptions) {
    if (!options.clientSecret) throw new TypeError("clientSecret is required for client_credentials.");
    super(options.clientId, options.clientSecret, options);
    this.#scope = options.scope;
  }

  protected grant(): Record<string, string> {
    return this.#scope ? { grant_type: "client_credentials", scope: this.#scope } : { grant_type: "client_credentials" };
  }

  protected canRenew(): boolean {
    return true;
  }
}

export interface RefreshTokenOptions extends OAuthEndpointOptions {
  clientId: string;
  /** A confidential app's secret; absent for a public app. */
  clientSecret?: string;
  refreshToken: string;
  /** The current access token, if you hold one; refreshed when it expires or is refused. */
  accessToken?: string;
  /** When `accessToken` expires, in unix milliseconds. */
  expiresAt?: number;
  /** Called with every new pair: store `refreshToken`, since the previous one no longer works. */
  onTokens?: (tokens: OAuthTokens) => void;
}

/** A user's tokens from the authorization code flow, renewed with the (rotating) refresh token. */
export class RefreshingTokens extends OAuthTokenSource {
  #refreshToken: string;
  readonly #onTokens: ((tokens: OAuthTokens) => void) | undefined;

  constructor(options: RefreshTokenOptions) {
    super(options.clientId, options.clientSecret, options);
    if (!options.refreshToken) throw new TypeError("refreshToken is required.");
    this.#refreshToken = options.refreshToken;
    this.#onTokens = options.onTokens;
    if (options.accessToken) {
      this.setCurrent({ accessToken: options.accessToken, tokenType: "Bearer", expiresAt: options.expiresAt, refreshToken: options.refreshToken, scope: undefined });
    }
  }

  /** Refreshes now, whatever the current token's expiry. */
  refresh(signal?: AbortSignal): Promise<OAuthTokens> {
    return this.fetchTokens(signal);
  }

  protected grant(): Record<string, string> {
    return { grant_type: "refresh_token", refresh_token: this.#refreshToken };
  }

  protected canRenew(): boolean {
    return true;
  }

  protected override onTokens(tokens: OAuthTokens): void {
    if (tokens.refreshToken) this.#refreshToken = tokens.refreshToken;
    this.#onTokens?.(tokens);
  }
}
