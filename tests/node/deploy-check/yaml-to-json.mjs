// Prints the documents of a YAML file as one JSON array (anchors and aliases resolved), for the .NET tests to assert
// on deploy/compose.yaml and deploy/k8s/*.yaml: node deploy-check/yaml-to-json.mjs <file.yaml>
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const documents = parseAllDocuments(readFileSync(process.argv[2], "utf8"));
const broken = documents.flatMap((d) => d.errors);
if (broken.length > 0) {
  console.error(broken.map((e) => e.message).join("\n"));
  process.exit(1);
}
console.log(JSON.stringify(documents.map((d) => d.toJS()).filter((d) => d !== null)));
