// Verifying Switchboard's webhook deliveries (docs/webhooks.md) with WebCrypto only, so the same code runs in Node 20+,
// browsers, Deno and edge runtimes. Two forms:
//  - Standard Webhooks (https://www.standardwebhooks.com): `webhook-signature` holds `v1,<base64 HMAC-SHA256>` entries
//    over `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed by the bytes base64-encoded after `whsec_`; the timestamp
//    must be within a tolerance of the receiver's clock (5 minutes) so an old delivery cannot be replayed.
//  - The simple form: `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (no timestamp: no replay protection).
// Signatures are compared by crypto.subtle.verify, which compares in constant time.
import { SwitchboardError } from "./errors.js";
import type { Schemas } from "./types.js";

/** Headers as a `Headers` object, Node's `IncomingHttpHeaders` or any record (names matched case-insensitively). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;
/** The raw body exactly as received: verify before parsing, since parsed and serialized JSON is not the same bytes. */
export type RawBody = string | Uint8Array | ArrayBuffer;

/** A delivery's payload (docs/webhooks.md "What a receiver gets"). */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  timestamp: string;
  data: T;
  previousAttributes?: Record<string, unknown>;
}
export type ContactEvent = WebhookEvent<Schemas["ContactResponse"]>;

/** Why a delivery was refused; `reason` is stable for programs. */
export class WebhookVerificationError extends SwitchboardError {
  constructor(readonly reason: "missing_headers" | "timestamp_out_of_tolerance" | "invalid_signature" | "invalid_secret" | "invalid_payload", message: string) {
    super(message);
  }
}

export interface VerifyOptions {
  /** Seconds a delivery's `webhook-timestamp` may be from now. Default 300. */
  toleranceSeconds?: number;
  /** The current time in unix milliseconds (for tests). */
  now?: number;
}

const encoder = new TextEncoder();

/**
 * Verifies a Standard Webhooks delivery and returns its parsed event; throws WebhookVerificationError otherwise.
 * `secret` is the endpoint's `whsec_…` secret (during a rotation, pass each valid secret in turn or an array).
 */
export async function verifyWebhook<T = Record<string, unknown>>(
  secret: string | readonly string[], headers: WebhookHeaders, body: RawBody, options: VerifyOptions = {},
): Promise<WebhookEvent<T>> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError("missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required.");
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError("missing_headers", "webhook-timestamp is not unix seconds.");
  const now = options.now ?? Date.now();
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now / 1000 - Number(timestamp)) > tolerance)
    throw new WebhookVerificationError("timestamp_out_of_tolerance", `webhook-timestamp is more than ${tolerance} s from now.`);

  const bytes = bodyBytes(body);
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), bytes);
  const given = signatures.split(" ").flatMap((entry) => {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") return [];
    const decoded = fromBase64(entry.slice(comma + 1));
    return decoded ? [decoded] : [];
  });
  for (const s of typeof secret === "string" ? [secret] : secret) {
    const key = await hmacKey(s);
    for (const signature of given) {
      if (await crypto.subtle.verify("HMAC", key, signature, signed)) return parseEvent<T>(bytes);
    }
  }
  throw new WebhookVerificationError("invalid_signature", "No webhook-signature entry matches the secret.");
}

/**
 * Verifies the simple `X-Webhook-Signature: sha256=<hex>` form and returns the parsed event. Prefer verifyWebhook: this
 * form has no timestamp, so it cannot refuse a replayed delivery.
 */
export async function verifySimpleSignature<T = Record<string, unknown>>(secret: string, headers: WebhookHeaders, body: RawBody): Promise<WebhookEvent<T>> {
  const value = header(headers, "x-webhook-signature");
  if (!value) throw new WebhookVerificationError("missing_headers", "X-Webhook-Signature is required.");
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(value.trim());
  if (!match) throw new WebhookVerificationError("invalid_signature", "X-Webhook-Signature is not sha256=<64 hex digits>.");
  const bytes = bodyBytes(body);
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret), fromHex(match[1]!), bytes)))
    throw new WebhookVerificationError("invalid_signature", "X-Webhook-Signature does not match the secret.");
  return parseEvent<T>(bytes);
}

/**
 * The headers Switchboard would send with `body` (for testing your receiver): the Standard Webhooks trio and the simple
 * signature.
 */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: RawBody): Promise<Record<string, string>> {
  const key = await hmacKey(secret);
  const bytes = bodyBytes(body);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, concat(encoder.encode(`${id}.${timestampSeconds}.`), bytes)));
  const simple = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${toBase64(signature)}`,
    "x-webhook-signature": `sha256=${[...simple].map((b) => b.toString(16).padStart(2, "0")).join("")}`,
  };
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  // The key is the bytes after `whsec_`, base64-decoded, not the secret's text.
  const raw = fromBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  if (!raw || raw.length === 0) throw new WebhookVerificationError("invalid_secret", "The secret is not whsec_ followed by base64.");
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined; // Headers: case-insensitive
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

function bodyBytes(body: RawBody): Uint8Array<ArrayBuffer> {
  if (typeof body === "string") return encoder.encode(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return new Uint8Array(body); // a copy, with an ArrayBuffer WebCrypto accepts everywhere
}

function parseEvent<T>(bytes: Uint8Array): WebhookEvent<T> {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as WebhookEvent<T>;
  } catch {
    throw new WebhookVerificationError("invalid_payload", "The signed body is not JSON.");
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(a.length + b.length);
  result.set(a, 0);
  result.set(b, a.length);
  return result;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) return undefined;
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
