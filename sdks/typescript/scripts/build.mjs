// Builds dist/esm with tsc (type-checked, with .d.ts files), then dist/cjs from the same sources with TypeScript's
// transpileModule (CommonJS; the code was just type-checked, and tsconfig.json's isolatedModules keeps each file
// translatable on its own) plus copies of the .d.ts files. dist/cjs gets a package.json saying "commonjs", since the
// package itself is "type": "module", so Node and TypeScript read its .js and .d.ts files as CommonJS.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const ts = require("typescript");
const esm = join(root, "dist", "esm");
const cjs = join(root, "dist", "cjs");

rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit", cwd: root });

for (const file of readdirSync(join(root, "src"), { recursive: true }).map(String).filter((f) => f.endsWith(".ts"))) {
  const target = join(cjs, file.replace(/\.ts$/, ".js"));
  mkdirSync(dirname(target), { recursive: true });
  const { outputText } = ts.transpileModule(readFileSync(join(root, "src", file), "utf8"), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: false },
  });
  writeFileSync(target, outputText);
  copyFileSync(join(esm, file.replace(/\.ts$/, ".d.ts")), target.replace(/\.js$/, ".d.ts"));
}
writeFileSync(join(cjs, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
