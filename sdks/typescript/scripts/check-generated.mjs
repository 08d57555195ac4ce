// Fails (exit 1) when src/generated/v1.ts is not what openapi-typescript makes of the committed OpenAPI snapshot
// (tests/Switchboard.Tests/Docs/openapi-v1.snapshot.json, the document the node serves at /api/openapi/v1.json).
// Fix a failure with `npm run generate` and commit the result.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const snapshot = process.env.SWITCHBOARD_OPENAPI_SNAPSHOT ?? join(root, "..", "..", "tests", "Switchboard.Tests", "Docs", "openapi-v1.snapshot.json");
const committed = join(root, "src", "generated", "v1.ts");
const cli = join(dirname(createRequire(import.meta.url).resolve("openapi-typescript/package.json")), "bin", "cli.js");
const scratch = mkdtempSync(join(tmpdir(), "switchboard-sdk-types-"));
try {
  const fresh = join(scratch, "v1.ts");
  // --empty-objects-unknown: a free-form object (an installation's config, a rule's input) takes any fields, not none.
  execFileSync(process.execPath, [cli, snapshot, "--empty-objects-unknown", "-o", fresh], { stdio: ["ignore", "ignore", "inherit"], cwd: root });
  const expected = readFileSync(fresh, "utf8");
  const actual = readFileSync(committed, "utf8");
  if (expected !== actual) {
    const a = actual.split("\n"), e = expected.split("\n");
    const line = e.findIndex((text, i) => text !== a[i]);
    console.error(`src/generated/v1.ts differs from what openapi-typescript makes of ${snapshot}, first at line ${line + 1}:`);
    console.error(`  committed: ${a[line] ?? "(end of file)"}\n  generated: ${e[line] ?? "(end of file)"}`);
    console.error("Run `npm run generate` in sdks/typescript and commit src/generated/v1.ts.");
    process.exit(1);
  }
  console.log("src/generated/v1.ts matches the OpenAPI snapshot.");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
