// Validates Kubernetes manifests (multi-document YAML files, e.g. a rendered chart) against the Kubernetes OpenAPI
// schemas as kubernetes-models ships them (ajv validators generated from the API's OpenAPI document), and then
// the rules those schemas leave out that an API server or a controller applies:
//   - unknown fields: the generated validators check the fields they know and ignore others (the OpenAPI document
//     does not say additionalProperties: false), so each manifest is validated through proxies that record which
//     fields the validator read; a field of an object it inspected but never read is one the schema lacks
//     (maps such as labels are read whole, by enumeration, and so are never reported);
//   - duplicate keys in a mapping (YAML parsers differ on which one wins);
//   - names: metadata.name a DNS-1123 subdomain (a DNS-1035 label for a Service), label keys and values,
//     and a StatefulSet name short enough for its pods' controller-revision-hash label (NAME-HASH, <= 63).
// Custom resources are checked against their projects' CRD schemas as @kubernetes-models packages ship them: the
// prometheus-operator's ServiceMonitor and cert-manager's Certificate (cert-manager.io/v1).
// A kind it has no schema for is an error, not a pass.
//
// usage: node validate.mjs FILE...     prints one line per problem and a summary; exit 0 when none, 1 otherwise.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
const modelsVersion = require("kubernetes-models/package.json").version;
const operatorVersion = require("@kubernetes-models/prometheus-operator/package.json").version;
const certManagerVersion = require("@kubernetes-models/cert-manager/package.json").version;

// apiVersion + kind -> the module of its model (whose prototype's validate runs the generated schema).
function modelModule(apiVersion, kind) {
  if (!/^[A-Za-z0-9]+$/.test(kind ?? "")) return null;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group === "cert-manager.io") return `@kubernetes-models/cert-manager/${group}/${version}/${kind}`;
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

// Wraps every object and array of a plain JSON value in a proxy that records the fields read.
function track(value, reads) {
  if (value === null || typeof value !== "object") return value;
  const target = Array.isArray(value) ? value.map((v) => track(v, reads)) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, reads)]));
  const record = { target, read: new Set(), enumerated: false };
  const proxy = new Proxy(target, {
    get(t, key, receiver) { if (typeof key === "string") record.read.add(key); return Reflect.get(t, key, receiver); },
    has(t, key) { if (typeof key === "string") record.read.add(key); return Reflect.has(t, key); },
    ownKeys(t) { record.enumerated = true; return Reflect.ownKeys(t); },
  });
  reads.set(proxy, record);
  return proxy;
}

// Fields of objects the validator inspected (read a field of, or enumerated) that it never read.
function unknownFields(proxy, reads, path, found) {
  const record = reads.get(proxy);
  if (!record) return;
  const { target, read, enumerated } = record;
  if (Array.isArray(target)) { target.forEach((item, i) => unknownFields(item, reads, `${path}/${i}`, found)); return; }
  const inspected = enumerated || read.size > 0;
  for (const key of Object.keys(target)) {
    if (inspected && !enumerated && !read.has(key)) found.push(`${path}/${key}`);
    else unknownFields(target[key], reads, `${path}/${key}`, found);
  }
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function nameProblems(manifest) {
  const problems = [];
  const name = manifest.metadata?.name ?? "";
  if (name.length > 253 || !dns1123Subdomain.test(name)) problems.push(`metadata.name '${name}' is not a DNS-1123 subdomain`);
  if (manifest.kind === "Service" && (name.length > 63 || !dns1035Label.test(name)))
    problems.push(`a Service name must be a DNS-1035 label (<= 63, starting with a letter): '${name}'`);
  if (manifest.kind === "StatefulSet" && name.length > 52)
    problems.push(`StatefulSet name '${name}' has ${name.length} characters: its pods' controller-revision-hash label (NAME-HASH) passes 63 beyond 52, and no pod is created`);
  const labelSets = [["metadata.labels", manifest.metadata?.labels], ["spec.template.metadata.labels", manifest.spec?.template?.metadata?.labels]];
  for (const [where, labels] of labelSets) {
    for (const [key, value] of Object.entries(labels ?? {})) {
      const [prefix, last] = key.includes("/") ? key.split("/", 2) : [null, key];
      if ((prefix !== null && (prefix.length > 253 || !dns1123Subdomain.test(prefix))) || last.length > 63 || !labelName.test(last))
        problems.push(`${where}: label key '${key}' is not a qualified name`);
      if (typeof value !== "string" || value.length > 63 || !labelValue.test(value))
        problems.push(`${where}: label ${key}='${value}' is not a label value (<= 63 alphanumerics, '-', '_', '.')`);
    }
  }
  return problems;
}

async function validateManifest(manifest) {
  const problems = [];
  const module = modelModule(manifest.apiVersion ?? "", manifest.kind);
  if (!module) return [`no apiVersion/kind`];
  let Model;
  try { Model = Object.values(await import(module)).find((v) => typeof v === "function" && v.kind === manifest.kind); }
  catch { Model = undefined; }
  if (!Model) return [`no schema for ${manifest.apiVersion} ${manifest.kind} (${module})`];
  const reads = new Map();
  const tracked = track(manifest, reads);
  try { Model.prototype.validate.call(tracked); }
  catch (e) {
    for (const err of e.errors ?? [{ instancePath: "", message: e.message }])
      problems.push(`${err.instancePath || "/"}: ${err.message}${err.params?.allowedValues ? ` (${err.params.allowedValues.join(", ")})` : ""}`);
  }
  const unknown = [];
  unknownFields(tracked, reads, "", unknown);
  for (const path of unknown) problems.push(`${path}: unknown field`);
  return problems.concat(nameProblems(manifest));
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...  (multi-document YAML manifests)");
  process.exit(2);
}
let manifests = 0, failures = 0;
for (const file of files) {
  const documents = parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1", uniqueKeys: true });
  for (const doc of documents) {
    const source = /Source: (\S+)/.exec(`${doc.commentBefore ?? ""} ${doc.contents?.commentBefore ?? ""}`)?.[1] ?? file;
    for (const error of doc.errors) { console.log(`${source}: ${error.message.split("\n")[0]}`); failures++; }
    if (doc.errors.length > 0) continue;
    const manifest = doc.toJS();
    if (manifest === null || manifest === undefined) continue;
    manifests++;
    for (const problem of await validateManifest(manifest)) {
      console.log(`${source}: ${manifest.kind} ${manifest.metadata?.name}: ${problem}`);
      failures++;
    }
  }
}
console.log(`${manifests} manifest(s) checked against kubernetes-models ${modelsVersion}, @kubernetes-models/prometheus-operator ${operatorVersion} and @kubernetes-models/cert-manager ${certManagerVersion}: ${failures} problem(s)`);
process.exit(failures === 0 ? 0 : 1);
