/**
 * Offline checks of Kubernetes manifests (deploy/kubernetes): rendering an overlay with
 * `kubectl kustomize`, reading the YAML sources, and validating objects against the API schemas
 * of the kubernetes-models packages (core, keda, prometheus-operator, cert-manager) in two ways:
 * - the packages' JSON-schema validators (types, formats, required fields);
 * - their TypeScript interfaces with the compiler's excess-property check, which refuses fields
 *   the API does not have (the schemas allow any extra field, as the OpenAPI documents do; a
 *   server with strict field validation refuses them, so a typo would only show at apply).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { projectRoot } from '../../shared/config/index.js';

/** A Kubernetes object as parsed (enough structure for the checks; the rest is `unknown`). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** The folder of the manifests. */
export const KUBERNETES_DIR = join(projectRoot(), 'deploy', 'kubernetes');

/** The module of each API group/version's models (its classes are named by kind, its interfaces `I<kind>`). */
export const MODEL_MODULES: Readonly<Record<string, string>> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
  'cert-manager.io/v1': '@kubernetes-models/cert-manager/cert-manager.io/v1',
};

/**
 * The kubectl to render with: `KUBECTL` when set (only it: `KUBECTL=none` stands for a machine
 * without kubectl), else `kubectl` on PATH, else /usr/bin/kubectl; undefined when none runs.
 */
export function findKubectl(): string | undefined {
  const set = process.env['KUBECTL'];
  for (const c of set ? [set] : ['kubectl', '/usr/bin/kubectl']) {
    const r = spawnSync(c, ['version', '--client'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return c;
  }
  return undefined;
}

/** Parses a multi-document YAML text into objects (empty documents dropped). @throws Error naming the file on a YAML error. */
export function parseObjects(text: string, file: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const v: unknown = doc.toJS();
    if (v === null || v === undefined) continue;
    out.push(v as K8sObject);
  }
  return out;
}

/** `kubectl kustomize <dir>`, parsed. @throws Error with kubectl's message when it fails. */
export function renderKustomization(kubectl: string, dir: string): K8sObject[] {
  const r = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${relative(projectRoot(), dir)} failed: ${r.stderr || r.error?.message || `exit ${String(r.status)}`}`);
  return parseObjects(r.stdout, dir);
}

/** A kustomization's own YAML: resources (recursively), patches, generator files. */
export interface KustomizationFiles {
  /** Files named under `resources:` (and those of the kustomizations and components they name). */
  resources: string[];
  /** Files named under `patches:` (path), and generator sources. */
  others: string[];
}

/**
 * The files a kustomization uses, read the way kustomize reads them (without running it), so the
 * sources can be checked where kubectl is missing.
 * @throws Error naming a file it names that does not exist.
 */
export function kustomizationFiles(dir: string): KustomizationFiles {
  const out: KustomizationFiles = { resources: [], others: [] };
  const walk = (d: string): void => {
    const file = join(d, 'kustomization.yaml');
    if (!existsSync(file)) throw new Error(`${relative(projectRoot(), d)}: no kustomization.yaml`);
    const k = parseObjects(readFileSync(file, 'utf8'), file)[0] as unknown as Record<string, unknown>;
    for (const r of [...((k['resources'] as string[] | undefined) ?? []), ...((k['components'] as string[] | undefined) ?? [])]) {
      const p = resolve(d, r);
      if (!existsSync(p)) throw new Error(`${relative(projectRoot(), file)}: ${r} does not exist`);
      if (statSync(p).isDirectory()) walk(p);
      else out.resources.push(p);
    }
    for (const p of (k['patches'] as { path?: string }[] | undefined) ?? []) if (p.path) out.others.push(resolve(d, p.path));
    for (const g of (k['configMapGenerator'] as { files?: string[] }[] | undefined) ?? []) {
      for (const f of g.files ?? []) out.others.push(resolve(d, f.includes('=') ? f.slice(f.indexOf('=') + 1) : f));
    }
    for (const f of out.others) if (!existsSync(f)) throw new Error(`${relative(projectRoot(), file)}: ${relative(d, f)} does not exist`);
  };
  walk(dir);
  return out;
}

/** Every YAML file under deploy/kubernetes. */
export function yamlFiles(dir = KUBERNETES_DIR): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Validates one object with its kind's model (JSON schema of the API).
 * @throws Error naming the object and each violation; also for an apiVersion or kind without a model.
 */
export async function validateSchema(obj: K8sObject): Promise<void> {
  const id = `${obj.kind}/${obj.metadata?.name ?? '?'}`;
  const mod = MODEL_MODULES[obj.apiVersion];
  if (!mod) throw new Error(`${id}: no model for apiVersion ${obj.apiVersion} (known: ${Object.keys(MODEL_MODULES).join(', ')})`);
  const models = (await import(mod)) as Record<string, unknown>;
  const Model = models[obj.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (typeof Model !== 'function') throw new Error(`${id}: ${mod} has no kind ${obj.kind}`);
  try {
    new Model(structuredClone(obj)).validate();
  } catch (e: unknown) {
    const errors = (e as { errors?: { instancePath: string; message?: string }[] }).errors;
    const detail = errors ? errors.map((x) => `${x.instancePath || '/'} ${x.message ?? ''}`).join('; ') : String(e);
    throw new Error(`${id}: ${detail}`, { cause: e });
  }
}

/**
 * Checks objects against their kinds' TypeScript interfaces (one compiler run for all): a field
 * the API does not have, or a value of the wrong type, is reported as `<kind>/<name>: <message>`.
 * Returns the problems (empty when every object fits).
 */
export function typeCheck(objects: readonly K8sObject[]): string[] {
  const root = projectRoot();
  // A virtual module beside the tests, so that node_modules resolves as for any test file.
  const file = join(root, 'test', 'deploy', '__manifests_check__.ts');
  const lines: string[] = [];
  const names: string[] = [];
  objects.forEach((o, i) => {
    const mod = MODEL_MODULES[o.apiVersion];
    if (!mod) throw new Error(`${o.kind}/${o.metadata.name}: no model for apiVersion ${o.apiVersion}`);
    lines.push(`import type { I${o.kind} as T${i} } from '${mod}/${o.kind}';`);
    names.push(`${o.kind}/${o.metadata.name}`);
  });
  objects.forEach((o, i) => lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`));
  const text = lines.join('\n');
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError) => (resolve(name) === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, onError));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file);
  const problems: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file && resolve(d.file.fileName) === file && d.start !== undefined && source) {
      const line = source.getLineAndCharacterOfPosition(d.start).line;
      const index = line - objects.length;
      problems.push(`${names[index] ?? `line ${line + 1}`}: ${message}`);
    } else problems.push(message);
  }
  return problems;
}

/** The folder of a file relative to the manifests (for messages). */
export function shortName(file: string): string {
  return relative(dirname(KUBERNETES_DIR), file);
}
