// The package loads as an ES module and as CommonJS, with the same exports, and the client path imports nothing of Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esm from "@switchboard/sdk";

const require = createRequire(import.meta.url);

test("require() and import give the same exports", () => {
  const cjs = require("@switchboard/sdk");
  assert.deepEqual(Object.keys(cjs).filter((k) => k !== "__esModule").sort(), Object.keys(esm).sort());
  assert.equal(typeof new cjs.Switchboard({ apiKey: "sbk_x" }).contacts.list, "function");
  assert.ok(new cjs.ValidationError(400, { code: "validation_failed" }, new Headers()) instanceof cjs.BadRequestError);
});

test("the built code imports no Node.js module (it runs in browsers)", () => {
  for (const flavour of ["esm", "cjs"]) {
    const dir = fileURLToPath(new URL(`../../dist/${flavour}/`, import.meta.url));
    for (const file of readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".js"))) {
      const text = readFileSync(dir + file, "utf8");
      assert.doesNotMatch(text, /(from\s+|require\()\s*["'](node:|fs|http|https|crypto|buffer|stream)["'/]/, `${flavour}/${file}`);
      assert.doesNotMatch(text, /\bBuffer\./, `${flavour}/${file} uses Buffer`);
    }
  }
});
