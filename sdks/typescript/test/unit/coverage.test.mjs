// Every operation of the v1 OpenAPI document has a method in the SDK, and the SDK's table says what the document says
// about it (method, path, path parameters, body, query, pagination, credentials).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Switchboard, operationTable } from "@switchboard/sdk";

const snapshotPath = process.env.SWITCHBOARD_OPENAPI_SNAPSHOT
  ?? fileURLToPath(new URL("../../../../tests/Switchboard.Tests/Docs/openapi-v1.snapshot.json", import.meta.url));
const document = JSON.parse(readFileSync(snapshotPath, "utf8"));
const methods = ["get", "put", "post", "patch", "delete"];
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  methods.filter((m) => item[m]).map((m) => ({ path, method: m.toUpperCase(), op: item[m], shared: item.parameters ?? [] })));

test("the snapshot has operations to compare with", () => {
  assert.ok(operations.length >= 100, `only ${operations.length} operations read from ${snapshotPath}`);
});

test("every operation of the v1 document has a method in the SDK", () => {
  const missing = operations.map((o) => o.op.operationId).filter((id) => !(id in operationTable));
  assert.deepEqual(missing, [], `operations without an SDK method (add them to src/operations.ts): ${missing.join(", ")}`);
});

test("the SDK has no method for an operation the document lacks", () => {
  const ids = new Set(operations.map((o) => o.op.operationId));
  assert.deepEqual(Object.keys(operationTable).filter((id) => !ids.has(id)), []);
});

test("each operation's method, path, parameters, body, pagination and credentials match the document", () => {
  const problems = [];
  for (const { path, method, op, shared } of operations) {
    const spec = operationTable[op.operationId];
    if (!spec) continue;
    const parameters = [...shared, ...(op.parameters ?? [])];
    const query = parameters.filter((p) => p.in === "query").map((p) => p.name);
    const expected = {
      method, path,
      pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
      body: op.requestBody !== undefined,
      query: query.length > 0,
      paginated: query.includes("cursor"),
      auth: op.security?.length === 0 ? "none" : op.security?.some((s) => "adminToken" in s) ? "admin" : undefined,
    };
    const actual = {
      method: spec.method, path: spec.path, pathParams: [...spec.pathParams], body: spec.body === true, query: spec.query === true,
      paginated: spec.paginated === true, auth: spec.auth,
    };
    try { assert.deepEqual(actual, expected); } catch { problems.push(`${op.operationId}: SDK ${JSON.stringify(actual)} ≠ document ${JSON.stringify(expected)}`); }
  }
  assert.deepEqual(problems, []);
});

test("every table entry is a callable method of the client, and every paginated list has its listAll", () => {
  const client = new Switchboard({ apiKey: "sbk_unused" });
  for (const [id, spec] of Object.entries(operationTable)) {
    assert.equal(typeof client[spec.resource]?.[spec.name], "function", `${id}: client.${spec.resource}.${spec.name}`);
    if (spec.paginated) {
      const all = spec.name === "list" ? "listAll" : `listAll${spec.name.slice(4)}`;
      assert.equal(typeof client[spec.resource][all], "function", `${id}: client.${spec.resource}.${all}`);
    }
  }
  const names = Object.values(operationTable).map((s) => `${s.resource}.${s.name}`);
  assert.equal(new Set(names).size, names.length, "two operations share a method name");
});
