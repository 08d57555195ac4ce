// What the live tests share: the node's address and credentials (environment variables set by
// tests/Switchboard.Tests/Sdks/TypeScriptSdkTests.cs), a fault-injecting proxy and a webhook receiver, all on 127.0.0.1.
import http from "node:http";

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the live tests run against a node prepared by TypeScriptSdkTests (dotnet test).`);
  return value;
}

export const baseUrl = () => env("SWITCHBOARD_URL");
export const unique = (prefix) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function close(server) {
  return new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * A proxy in front of the node. `fault(request, n)` (n counts requests from 1) decides each request's fate:
 * "forward"; "503" (answered by the proxy, never reaching the node); "lose-answer" (forwarded, the node's answer replaced
 * by a 503); "reset-after-forward" (forwarded, then the connection dropped without an answer).
 */
export async function faultyProxy(target, fault) {
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const n = seen.length + 1;
    const fate = fault({ method: req.method, url: req.url, headers: req.headers }, n);
    const record = { method: req.method, url: req.url, idempotencyKey: req.headers["idempotency-key"], fate, upstream: undefined };
    seen.push(record);
    if (fate === "503") {
      res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "0" });
      res.end(JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, code: "service_unavailable", requestId: "req_proxy" }));
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)));
    const upstream = await fetch(target + req.url, { method: req.method, headers, body: body.length ? body : undefined });
    const text = await upstream.text();
    record.upstream = { status: upstream.status, body: text, replayed: upstream.headers.get("idempotent-replayed") };
    if (fate === "reset-after-forward") { req.socket.destroy(); return; }
    if (fate === "lose-answer") {
      res.writeHead(503, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, code: "service_unavailable", requestId: "req_proxy" }));
      return;
    }
    const out = {};
    upstream.headers.forEach((value, key) => { if (!["content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"].includes(key)) out[key] = value; });
    res.writeHead(upstream.status, out);
    res.end(text);
  });
  const url = await listen(server);
  return { url, seen, close: () => close(server) };
}

/** A webhook receiver keeping each delivery's raw body and headers. */
export async function webhookReceiver() {
  const deliveries = [];
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    deliveries.push({ headers: req.headers, body });
    res.writeHead(200).end("ok");
  });
  const url = await listen(server);
  return {
    url: `${url}/hook`,
    deliveries,
    async waitFor(match, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = deliveries.find(match);
        if (found) return found;
        if (Date.now() > until) throw new Error(`No matching delivery within ${timeoutMs} ms (${deliveries.length} received).`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => close(server),
  };
}

/** A fetch that records the URLs it is asked for. */
export function countingFetch() {
  const urls = [];
  const fn = (input, init) => { urls.push(String(input)); return fetch(input, init); };
  return { fetch: fn, urls };
}
