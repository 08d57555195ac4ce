// Validates Kubernetes manifests against the API's OpenAPI schemas, as kubernetes-models ships them: every document of
// every file given must be a known apiVersion/kind and pass the model's validate(). Prints one line per document and
// exits 1 on the first file with a problem. Run by DeploymentFilesTests: node deploy-check/validate.mjs <file.yaml>...
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// apiVersion → the kubernetes-models module of that group and version.
const modules = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
};

let failed = false;
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length > 0) {
      console.log(`${file}: YAML error: ${document.errors.map((e) => e.message).join("; ")}`);
      failed = true;
      continue;
    }
    const manifest = document.toJS();
    if (manifest === null) continue;
    const { apiVersion, kind } = manifest;
    if (apiVersion === "kustomize.config.k8s.io/v1beta1") {
      console.log(`${file}: ${kind} (kustomize, not a cluster object): skipped`);
      continue;
    }
    const module = modules[apiVersion];
    const Model = module && (await import(module))[kind];
    if (!Model) {
      console.log(`${file}: unknown apiVersion/kind ${apiVersion}/${kind}`);
      failed = true;
      continue;
    }
    try {
      new Model(manifest).validate();
      console.log(`${file}: ${apiVersion}/${kind} ${manifest.metadata?.name}: valid`);
    } catch (error) {
      console.log(`${file}: ${apiVersion}/${kind} ${manifest.metadata?.name}: ${error.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
