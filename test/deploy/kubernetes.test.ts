/**
 * deploy/kubernetes, checked offline: every overlay rendered by `kubectl kustomize` (skipped with
 * the reason printed where kubectl is missing) and the base's YAML sources parsed directly are
 * validated against the Kubernetes API schemas (kubernetes-models and the keda,
 * prometheus-operator and cert-manager models: JSON schemas, and their TypeScript interfaces for
 * unknown fields), then against what the mesh needs: probes on the ports the Services expose, a
 * grace period above the drain, non-root pods, commands that exist in dist/, MLMESH_* variables
 * that are options of the service that reads them (the config resolved with the services' own
 * option specs), NetworkPolicies that allow the calls the configuration makes and refuse others,
 * autoscaling on metrics the services export, and TLS on in production.
 */
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { parse as parseYaml } from 'yaml';
import { loadConfig, MESH_ENV, projectRoot } from '../../shared/config/index.js';
import type { OptionSpecs } from '../../shared/config/index.js';
import { CATALOGUE, loadServiceOptions } from '../../tools/mesh/catalogue.js';
import { findKubectl, KUBERNETES_DIR, kustomizationFiles, parseObjects, renderKustomization, shortName, typeCheck, validateSchema, yamlFiles } from '../helpers/kubernetes.js';
import type { K8sObject } from '../helpers/kubernetes.js';

const ROOT = projectRoot();
const kubectl = findKubectl();
const OVERLAYS = ['dev', 'production'] as const;
type Overlay = (typeof OVERLAYS)[number];
/** The mesh's services: each runs as its own workload, named after it. */
const SERVICES = ['inference', 'preprocess', 'features', 'monitor', 'gateway', 'rollout', 'retrainer'] as const;
type Svc = (typeof SERVICES)[number];
/** The gRPC service each serves (its grpc.health.v1 status is what readiness probes). */
const GRPC_SERVICE: Record<Svc, string> = {
  inference: 'inference.GRPCInferenceService',
  preprocess: 'mlmesh.preprocess.v1.PreprocessService',
  features: 'mlmesh.features.v1.FeatureService',
  monitor: 'mlmesh.monitor.v1.MonitorService',
  gateway: 'mlmesh.gateway.v1.GatewayService',
  rollout: 'mlmesh.rollout.v1.RolloutService',
  retrainer: 'mlmesh.retrainer.v1.RetrainerService',
};
/** After drainDelayMs + shutdownGraceMs the host gives resources 2 s and closes in 1 s more (shared/host/service-host.ts). */
const HOST_STOP_BUDGET_MS = 3000;
/** The one writer whose root file system stays writable (its training command is arbitrary code). */
const WRITABLE_ROOT = new Set<string>(['retrainer']);

// --- reading ---------------------------------------------------------------------------------

const rendered = new Map<Overlay, K8sObject[]>();
function overlay(name: Overlay): K8sObject[] {
  if (!kubectl) throw new Error('no kubectl');
  let objs = rendered.get(name);
  if (!objs) {
    objs = renderKustomization(kubectl, join(KUBERNETES_DIR, 'overlays', name));
    rendered.set(name, objs);
  }
  return objs;
}

/** Registers an overlay test, or one that says why it cannot run here. */
function overlayTest(title: string, fn: (t: ExecutionContext, objs: K8sObject[], name: Overlay) => Promise<void> | void): void {
  for (const name of OVERLAYS) {
    if (kubectl) test(`kubernetes ${name} - ${title}`, async (t) => fn(t, overlay(name), name));
    else test.skip(`kubernetes ${name} - ${title} (skipped: ${NO_KUBECTL})`, () => undefined);
  }
}
const NO_KUBECTL = 'kubectl not found (KUBECTL, PATH, /usr/bin/kubectl); Debian\'s kubectl package provides it';
if (!kubectl) {
  test('kubernetes overlays - not rendered on this machine', (t) => {
    t.log(`${NO_KUBECTL}: the dev and production overlays are not rendered; the base is checked from its sources`);
    t.pass();
  });
}

/** The base as written (no kustomize): its resource files, plus the generated ConfigMaps built here. */
function baseSources(): K8sObject[] {
  const files = kustomizationFiles(join(KUBERNETES_DIR, 'base'));
  const objs = files.resources.flatMap((f) => parseObjects(readFileSync(f, 'utf8'), f));
  const cm = (name: string, key: string, file: string): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { [key]: readFileSync(join(KUBERNETES_DIR, 'base', file), 'utf8') } });
  return [...objs, cm('mlmesh-config', 'mlmesh.yaml', 'config/mlmesh.yaml'), cm('nats-config', 'nats.conf', 'nats/nats.conf')];
}

const find = (objs: readonly K8sObject[], kind: string, name: string): K8sObject | undefined => objs.find((o) => o.kind === kind && o.metadata.name === name);
function get(objs: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = find(objs, kind, name);
  if (!o) throw new Error(`no ${kind}/${name}`);
  return o;
}
/** A ConfigMap by its name before kustomize's hash suffix. */
function configMap(objs: readonly K8sObject[], name: string): K8sObject {
  const o = objs.find((x) => x.kind === 'ConfigMap' && (x.metadata.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(x.metadata.name)));
  if (!o) throw new Error(`no ConfigMap ${name}`);
  return o;
}

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}
interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: { path: string; port: number | string; scheme?: string };
  exec?: unknown;
  tcpSocket?: unknown;
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean }; emptyDir?: unknown; configMap?: unknown; secret?: { secretName: string } }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  terminationGracePeriodSeconds?: number;
}
const podSpec = (o: K8sObject): PodSpec => ((o.spec as { template: { spec: PodSpec } }).template.spec);
const podLabels = (o: K8sObject): Record<string, string> => ((o.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata?.labels ?? {});
const isWorkload = (o: K8sObject): boolean => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind);
function workload(objs: readonly K8sObject[], svc: string): K8sObject {
  const o = objs.find((x) => (x.kind === 'Deployment' || x.kind === 'StatefulSet') && x.metadata.name === svc);
  if (!o) throw new Error(`no workload ${svc}`);
  return o;
}
const container = (o: K8sObject): Container => podSpec(o).containers[0] as Container;

/** The container's environment as name → value (a variable from a Secret counts as unset: its Secret is optional). */
function envOf(c: Container): Record<string, string> {
  return Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
}

// --- the services' options ---------------------------------------------------------------------

const optionsCache = new Map<Svc, OptionSpecs>();
/** A service's option specs from its built module. @throws Error when it is not in the catalogue or not built. */
async function optionsOf(svc: Svc): Promise<OptionSpecs> {
  let specs = optionsCache.get(svc);
  if (specs === undefined) {
    const entry = CATALOGUE.find((e) => e.name === svc);
    if (!entry) throw new Error(`${svc} is not in tools/mesh/catalogue.ts`);
    if (!existsSync(join(ROOT, entry.module))) throw new Error(`${svc}: ${entry.module} is not built (run the build first)`);
    specs = await loadServiceOptions(entry);
    optionsCache.set(svc, specs);
  }
  return specs;
}

/** The variables a service reads: its options' (own, former, mesh-wide fallback) and the mesh-wide ones. */
async function variablesOf(svc: Svc): Promise<Set<string>> {
  const specs = await optionsOf(svc);
  const names = new Set<string>([MESH_ENV.config, MESH_ENV.logLevel]);
  for (const s of Object.values(specs)) {
    names.add(s.env);
    for (const d of s.deprecatedEnv ?? []) names.add(d);
    if (s.fallbackEnv) names.add(s.fallbackEnv);
  }
  return names;
}

/**
 * The service's options as it would resolve them in this pod: the ConfigMap's mlmesh.yaml and
 * the container's environment, through the service's own specs (unknown keys and bad values fail
 * here as they would at start).
 */
async function resolvedConfig(objs: readonly K8sObject[], svc: Svc): Promise<Record<string, unknown>> {
  const file = configMap(objs, 'mlmesh-config').data?.['mlmesh.yaml'];
  if (!file) throw new Error('ConfigMap mlmesh-config has no mlmesh.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'mlmesh-k8s-'));
  try {
    const path = join(dir, 'mlmesh.yaml');
    writeFileSync(path, file);
    const env = envOf(container(workload(objs, svc)));
    return loadConfig(await optionsOf(svc), { file: path, section: svc, env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- schema validation -----------------------------------------------------------------------

async function validateAll(t: ExecutionContext, objs: readonly K8sObject[]): Promise<void> {
  const problems: string[] = [];
  for (const o of objs) {
    try {
      await validateSchema(o);
    } catch (e: unknown) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  problems.push(...typeCheck(objs));
  t.deepEqual(problems, [], problems.join('\n'));
}

test('kubernetes sources - every YAML file parses; the base validates against the API schemas without kubectl', async (t) => {
  for (const f of yamlFiles()) t.notThrows(() => parseObjects(readFileSync(f, 'utf8'), f), shortName(f));
  const base = baseSources();
  t.true(base.length > 40, `${base.length} objects in the base`);
  await validateAll(t, base);
  // Every overlay's own resource files too (their patches are checked once rendered).
  for (const name of OVERLAYS) {
    const files = kustomizationFiles(join(KUBERNETES_DIR, 'overlays', name)).resources.filter((f) => !f.includes(`${join('kubernetes', 'base')}`));
    await validateAll(t, files.flatMap((f) => parseObjects(readFileSync(f, 'utf8'), f)));
  }
});

test('kubernetes sources - the validators refuse a broken object (a negative check)', async (t) => {
  const good: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'mlmesh:latest', ports: [{ containerPort: 8001 }] }] } } },
  };
  await t.notThrowsAsync(validateSchema(good));
  t.deepEqual(typeCheck([good]), []);
  // A port as text: the schema refuses it.
  const badType = structuredClone(good);
  (podSpec(badType).containers[0] as unknown as { ports: unknown[] }).ports = [{ containerPort: 'grpc' }];
  await t.throwsAsync(validateSchema(badType), { message: /Deployment\/probe: \/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/ });
  // A misspelt field: the schema lets it through (as the API's OpenAPI does), the interface does not.
  const typo = structuredClone(good);
  (podSpec(typo).containers[0] as unknown as Record<string, unknown>)['readinesProbe'] = { grpc: { port: 8001 } };
  await t.notThrowsAsync(validateSchema(typo));
  t.regex(typeCheck([typo]).join('\n'), /Deployment\/probe: .*readinesProbe/);
  // The CRD models are wired: a ScaledObject without its target, a ServiceMonitor with a bad endpoint.
  await t.throwsAsync(validateSchema({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { triggers: [] } }), { message: /scaleTargetRef/ });
  await t.throwsAsync(validateSchema({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'x' }, spec: { selector: {}, endpoints: 'http' } }), { message: /endpoints/ });
  await t.throwsAsync(validateSchema({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } }), { message: /no model for apiVersion example.com\/v1/ });
});

overlayTest('every object validates against the API schemas and has no unknown field', async (t, objs) => {
  t.true(objs.length > 40);
  await validateAll(t, objs);
  t.true(objs.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'mlmesh'), 'every object in namespace mlmesh');
});

// --- the mesh's invariants -----------------------------------------------------------------------

overlayTest('each service: its command exists in dist/, its probes are on the ports its Service exposes, its grace covers the drain', async (t, objs, name) => {
  for (const svc of SERVICES) {
    const w = workload(objs, svc);
    const c = container(w);
    const config = await resolvedConfig(objs, svc);
    t.is(c.image, 'mlmesh:latest', svc);
    t.deepEqual(c.command, ['node', '--enable-source-maps', `dist/services/${svc}/main.js`], svc);
    const script = join(ROOT, `dist/services/${svc}/main.js`);
    t.true(existsSync(script), `${svc}: ${script} exists after the build`);
    // Ports: container, Service and the options agree.
    const grpcPort = config['grpcPort'] as number;
    const httpPort = config['httpPort'] as number;
    t.deepEqual(c.ports?.map((p) => [p.name, p.containerPort]), [['grpc', grpcPort], ['http', httpPort]], svc);
    const service = get(objs, 'Service', svc);
    const ports = (service.spec as { ports: { name: string; port: number; targetPort: string }[] }).ports;
    t.deepEqual(ports.map((p) => [p.name, p.port, p.targetPort]), [['grpc', grpcPort, 'grpc'], ['http', httpPort, 'http']], `${svc}: Service ports`);
    t.deepEqual((service.spec as { selector: Record<string, string> }).selector, { 'app.kubernetes.io/name': svc });
    t.is(podLabels(w)['app.kubernetes.io/name'], svc);
    // Probes: one handler each; gRPC health of the service's own gRPC service on its port, or over
    // HTTPS when TLS is on (the kubelet's gRPC probe speaks plaintext only).
    const tls = config['tlsCertFile'] !== '';
    for (const [kind, p] of [['readiness', c.readinessProbe], ['liveness', c.livenessProbe], ['startup', c.startupProbe]] as const) {
      t.truthy(p, `${svc}: ${kind} probe`);
      if (!p) continue;
      t.is(['grpc', 'httpGet', 'exec', 'tcpSocket'].filter((h) => h in p).length, 1, `${svc}: ${kind} probe has one handler`);
      if (p.grpc) {
        t.false(tls, `${svc}: a gRPC ${kind} probe cannot reach a TLS server`);
        t.is(p.grpc.port, grpcPort, `${svc}: ${kind} probe on the gRPC port`);
        t.is(p.grpc.service, GRPC_SERVICE[svc]);
      }
      if (p.httpGet) {
        t.is(p.httpGet.port, httpPort, `${svc}: ${kind} probe on the HTTP port`);
        t.is(p.httpGet.scheme ?? 'HTTP', tls ? 'HTTPS' : 'HTTP', `${svc}: ${kind} probe scheme`);
        t.is(p.httpGet.path, kind === 'readiness' ? '/readyz' : '/healthz');
      }
    }
    if (!tls) t.truthy(c.readinessProbe?.grpc, `${svc}: native gRPC readiness without TLS`);
    t.is(tls, name === 'production', `${svc}: TLS in production only`);
    // The stop: preStop sleep, then drainDelayMs of serving, then shutdownGraceMs for in-flight calls.
    const sleep = c.lifecycle?.preStop?.exec?.command;
    t.is(sleep?.[0], 'sleep', `${svc}: preStop sleeps`);
    const preStopMs = Number(sleep?.[1]) * 1000;
    t.true(preStopMs >= 2000, `${svc}: preStop ${preStopMs} ms lets endpoints drop the pod`);
    const needMs = preStopMs + (config['drainDelayMs'] as number) + (config['shutdownGraceMs'] as number) + HOST_STOP_BUDGET_MS;
    t.true((podSpec(w).terminationGracePeriodSeconds ?? 30) * 1000 > needMs, `${svc}: terminationGracePeriodSeconds ${podSpec(w).terminationGracePeriodSeconds} s > ${needMs} ms`);
    t.true((config['drainDelayMs'] as number) > 0, `${svc}: drainDelayMs set`);
    // Resources.
    for (const r of ['cpu', 'memory']) {
      t.truthy(c.resources?.requests?.[r], `${svc}: ${r} request`);
      t.truthy(c.resources?.limits?.[r], `${svc}: ${r} limit`);
    }
  }
});

overlayTest('every pod runs as non-root; read-only root file systems where the service writes only to its volumes', async (t, objs) => {
  for (const w of objs.filter(isWorkload)) {
    const spec = podSpec(w);
    t.true(spec.securityContext?.runAsNonRoot, `${w.metadata.name}: runAsNonRoot`);
    t.true((spec.securityContext?.runAsUser ?? 0) > 0, `${w.metadata.name}: runAsUser not root`);
    for (const c of spec.containers) {
      t.false(c.securityContext?.allowPrivilegeEscalation, `${c.name}: no privilege escalation`);
      t.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name}: capabilities dropped`);
      t.is(c.securityContext?.readOnlyRootFilesystem, !WRITABLE_ROOT.has(c.name), `${c.name}: readOnlyRootFilesystem`);
    }
  }
  // What each service writes is on a writable volume.
  const writes: Partial<Record<Svc, string[]>> = { inference: ['spoolDir'], preprocess: ['artifactDir'], features: ['sqlitePath'], monitor: ['stateDir'] };
  for (const [svc, options] of Object.entries(writes) as [Svc, string[]][]) {
    const w = workload(objs, svc);
    const config = await resolvedConfig(objs, svc);
    for (const option of options) {
      const path = config[option] as string;
      const mount = (container(w).volumeMounts ?? []).find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
      t.truthy(mount, `${svc}: ${option} ${path} is on a volume`);
      t.falsy(mount?.readOnly, `${svc}: ${option} ${path} is writable`);
    }
  }
  // The model repository: read-only for its readers, writable for the retrainer alone.
  for (const svc of ['inference', 'monitor', 'rollout', 'retrainer'] as const) {
    const w = workload(objs, svc);
    const vol = podSpec(w).volumes?.find((v) => v.persistentVolumeClaim?.claimName === 'mlmesh-models');
    t.truthy(vol, `${svc} mounts the model repository`);
    const mount = container(w).volumeMounts?.find((m) => m.name === vol?.name);
    t.is(mount?.mountPath, '/models');
    t.is(Boolean(mount?.readOnly), svc !== 'retrainer', `${svc}: repository read-only unless it writes`);
  }
});

overlayTest('every MLMESH_* variable set is an option of the service that reads it, and the config resolves', async (t, objs) => {
  for (const svc of SERVICES) {
    const c = container(workload(objs, svc));
    const known = await variablesOf(svc);
    for (const e of c.env ?? []) {
      if (!e.name.startsWith('MLMESH_') && e.name !== MESH_ENV.natsUrl) continue;
      t.true(known.has(e.name), `${svc}: ${e.name} is not a variable ${svc} reads`);
    }
    const config = await resolvedConfig(objs, svc);
    t.is(config['host'], '0.0.0.0', `${svc} binds every interface`);
    t.is(envOf(c)[MESH_ENV.config], '/etc/mlmesh/mlmesh.yaml');
    t.true((c.volumeMounts ?? []).some((m) => m.mountPath === '/etc/mlmesh/mlmesh.yaml' && m.readOnly), `${svc}: the config file is mounted`);
    const entry = CATALOGUE.find((x) => x.name === svc);
    if (entry?.nats !== 'none') t.is(envOf(c)[MESH_ENV.natsUrl], 'nats://nats:4222', `${svc}: NATS_URL`);
  }
});

overlayTest('the inference replica lists of the rollout and retrainer name every replica the HPA may make', async (t, objs) => {
  const inference = workload(objs, 'inference');
  t.is(inference.kind, 'StatefulSet', 'inference replicas have names (StatefulSet)');
  const hpa = find(objs, 'HorizontalPodAutoscaler', 'inference');
  const max = hpa ? (hpa.spec as { maxReplicas: number }).maxReplicas : ((inference.spec as { replicas: number }).replicas);
  const tls = (await resolvedConfig(objs, 'inference'))['tlsCertFile'] !== '';
  const names = Array.from({ length: max }, (_, i) => `inference-${i}.inference-headless.mlmesh.svc`);
  const rollout = await resolvedConfig(objs, 'rollout');
  t.deepEqual(rollout['inferenceAddresses'], names.map((n) => `${n}:8001`));
  t.deepEqual(rollout['inferenceMetricsUrls'], names.map((n) => `${tls ? 'https' : 'http'}://${n}:8002/metrics`));
  if (tls) t.is(envOf(container(workload(objs, 'rollout')))['NODE_EXTRA_CA_CERTS'], '/etc/mlmesh/tls/ca.crt', 'the rollout trusts the mesh CA for its HTTPS scrapes');
  t.deepEqual((await resolvedConfig(objs, 'retrainer'))['inferenceAddresses'], names.map((n) => `${n}:8001`));
  t.is((inference.spec as { serviceName: string }).serviceName, 'inference-headless');
  t.is((get(objs, 'Service', 'inference-headless').spec as { clusterIP: string }).clusterIP, 'None');
});

// --- NetworkPolicies -------------------------------------------------------------------------------

interface Pod {
  name: string;
  ns: string;
  nsLabels: Record<string, string>;
  labels: Record<string, string>;
}
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined;
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { protocol?: string; port?: number | string }[];
}
function selects(sel: Selector, labels: Record<string, string>): boolean {
  if (!sel) return true;
  if (sel.matchExpressions?.length) throw new Error('matchExpressions: not evaluated by this test');
  return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}
function peerMatches(policyNs: string, p: Peer, pod: Pod): boolean {
  if (p.ipBlock) return false;
  if (p.namespaceSelector) return selects(p.namespaceSelector, pod.nsLabels) && selects(p.podSelector, pod.labels);
  return pod.ns === policyNs && selects(p.podSelector, pod.labels);
}
const portMatches = (rule: Rule, port: number): boolean => !rule.ports || rule.ports.some((p) => (p.protocol ?? 'TCP') === 'TCP' && (p.port === undefined || p.port === port));
/** Whether the policies let `from` open a TCP connection to `to` on `port` (both directions' policies). */
function allowed(policies: readonly K8sObject[], from: Pod, to: Pod, port: number): boolean {
  const side = (dir: 'Ingress' | 'Egress', self: Pod, other: Pod): boolean => {
    const applying = policies.filter((p) => (p.metadata.namespace ?? 'mlmesh') === self.ns && ((p.spec?.['policyTypes'] as string[] | undefined) ?? ['Ingress']).includes(dir) && selects(p.spec?.['podSelector'] as Selector, self.labels));
    if (applying.length === 0) return true;
    return applying.some((p) =>
      ((p.spec?.[dir === 'Ingress' ? 'ingress' : 'egress'] as Rule[] | undefined) ?? []).some((r) => {
        const peers = dir === 'Ingress' ? r.from : r.to;
        return (!peers || peers.some((x) => peerMatches(self.ns, x, other))) && portMatches(r, port);
      }),
    );
  };
  return side('Egress', from, to) && side('Ingress', to, from);
}

overlayTest('the NetworkPolicies allow the calls the configuration makes, and refuse the others', async (t, objs, name) => {
  const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
  const nsLabels = { 'kubernetes.io/metadata.name': 'mlmesh' };
  const pods = new Map<string, Pod>();
  for (const w of objs.filter(isWorkload)) pods.set(w.metadata.name, { name: w.metadata.name, ns: 'mlmesh', nsLabels, labels: podLabels(w) });
  const pod = (n: string): Pod => {
    const p = pods.get(n);
    if (!p) throw new Error(`no pod ${n}`);
    return p;
  };
  const external = (n: string, ns: Record<string, string>): Pod => ({ name: n, ns: n, nsLabels: ns, labels: {} });
  const client = external('client', { 'mlmesh.io/client': 'true' });
  const admin = external('admin', { 'mlmesh.io/admin': 'true' });
  const prometheus = external('prometheus', { 'mlmesh.io/prometheus': 'true' });
  const stranger = external('stranger', {});
  /** The pod behind a host the config dials (a Service name, or a StatefulSet pod's name under its headless Service). */
  const target = (host: string): Pod => {
    const svcName = host.split('.').length > 1 && /^[a-z]+-\d+$/.test(host.split('.')[0] as string) ? (host.split('.')[1] as string) : (host.split('.')[0] as string);
    const s = get(objs, 'Service', svcName);
    const sel = (s.spec as { selector: Record<string, string> }).selector;
    const p = [...pods.values()].find((x) => selects({ matchLabels: sel }, x.labels));
    if (!p) throw new Error(`Service ${svcName} selects no pod`);
    return p;
  };
  const hostPort = (address: string): [string, number] => {
    const u = /^(?:dns:\/\/\/|nats:\/\/|https?:\/\/)?([^:/]+):(\d+)/.exec(address);
    if (!u) throw new Error(`not an address: ${address}`);
    return [u[1] as string, Number(u[2])];
  };
  // The calls the resolved configuration makes.
  const calls: [string, string][] = [];
  for (const svc of SERVICES) {
    const config = await resolvedConfig(objs, svc);
    const addresses: string[] = [];
    for (const k of ['featuresAddress', 'preprocessAddress', 'inferenceAddress', 'rolloutAddress']) if (typeof config[k] === 'string') addresses.push(config[k]);
    for (const k of ['inferenceAddresses', 'inferenceMetricsUrls']) if (Array.isArray(config[k])) addresses.push(...(config[k] as string[]));
    if (typeof config['natsUrl'] === 'string' && config['natsUrl'] !== '') addresses.push(config['natsUrl']);
    if (svc === 'features' && config['backend'] === 'redis') addresses.push(config['redisUrl'] as string);
    for (const a of addresses) {
      const [host, port] = hostPort(a.replace(/^redis:\/\//, ''));
      const to = target(host);
      t.true(allowed(policies, pod(svc), to, port), `${svc} → ${to.name}:${port} (${a}) is allowed`);
      calls.push([svc, `${to.name}:${port}`]);
    }
  }
  // The mesh's dependencies as designed: each is a call the configuration makes (so the table and the config agree).
  const expected = [
    ['gateway', 'features:8021'], ['gateway', 'preprocess:8011'], ['gateway', 'inference:8001'],
    ['rollout', 'inference:8001'], ['rollout', 'inference:8002'], ['rollout', 'nats:4222'],
    ['retrainer', 'rollout:8051'], ['retrainer', 'inference:8001'], ['retrainer', 'nats:4222'], ['retrainer', 'features:8021'], ['retrainer', 'preprocess:8011'],
    ['inference', 'nats:4222'], ['monitor', 'nats:4222'],
  ];
  for (const [from, to] of expected) t.true(calls.some(([f, x]) => f === from && x === to), `${from} calls ${to}`);
  t.true(allowed(policies, pod('nats-init'), pod('nats'), 4222), 'nats-init → nats');
  t.true(allowed(policies, pod('nats'), pod('nats'), 6222), 'nats routes');
  for (const svc of SERVICES) {
    const config = await resolvedConfig(objs, svc);
    t.true(allowed(policies, prometheus, pod(svc), config['httpPort'] as number), `Prometheus scrapes ${svc}`);
    t.false(allowed(policies, prometheus, pod(svc), config['grpcPort'] as number), `Prometheus may not call ${svc} gRPC`);
    t.true(allowed(policies, admin, pod(svc), config['grpcPort'] as number), `admins reach ${svc}`);
    t.is(allowed(policies, client, pod(svc), config['grpcPort'] as number), svc === 'gateway' || svc === 'inference', `clients reach ${svc}: only gateway and inference`);
    t.false(allowed(policies, stranger, pod(svc), config['grpcPort'] as number), `an unlabelled namespace may not reach ${svc}`);
  }
  // Calls nothing makes stay refused.
  const refused: [string, string, number][] = [
    ['gateway', 'nats', 4222], ['gateway', 'rollout', 8051], ['inference', 'features', 8021], ['preprocess', 'inference', 8001],
    ['monitor', 'inference', 8001], ['features', 'nats', 4222], ['inference', 'retrainer', 8061], ['rollout', 'retrainer', 8061],
  ];
  for (const [from, to, port] of refused) t.false(allowed(policies, pod(from), pod(to), port), `${from} → ${to}:${port} is refused`);
  t.false(allowed(policies, client, pod('nats'), 4222), 'clients may not reach NATS');
  if (name === 'production') t.false(allowed(policies, pod('gateway'), pod('redis'), 6379), 'only features reaches Redis');
});

// --- scaling, monitoring, NATS, storage, TLS ------------------------------------------------------

/** Names of metrics the services export (the sources of their metrics modules). */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const svc of SERVICES) {
    const f = join(ROOT, 'services', svc, 'metrics.ts');
    if (!existsSync(f)) continue;
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: '([a-z_]+)'/g)) {
      names.add(m[2] as string);
      if (m[1] === 'Histogram') for (const s of ['_sum', '_count', '_bucket']) names.add(`${m[2] as string}${s}`);
    }
  }
  return names;
}

overlayTest('autoscaling: HPAs on CPU and a Pods metric the Prometheus adapter serves from an exported metric; no ScaledObject', (t, objs, name) => {
  const hpas = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  if (name === 'dev') {
    t.is(hpas.length, 0, 'dev: single replicas, no autoscaling');
    return;
  }
  t.deepEqual(hpas.map((h) => h.metadata.name).sort(), ['gateway', 'inference']);
  const adapter = parseYaml(readFileSync(join(KUBERNETES_DIR, 'prometheus-adapter', 'values.yaml'), 'utf8')) as { rules: { custom: { seriesQuery: string; name: { as: string } }[] } };
  const exported = exportedMetrics();
  for (const rule of adapter.rules.custom) {
    const series = /^([a-z_]+)\{/.exec(rule.seriesQuery)?.[1] ?? '';
    t.true(exported.has(series), `adapter rule ${rule.name.as} reads ${series}, which a service exports`);
  }
  for (const h of hpas) {
    const spec = h.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: { type: string; resource?: { name: string }; pods?: { metric: { name: string } } }[] };
    const target = workload(objs, spec.scaleTargetRef.name);
    t.is(target.kind, spec.scaleTargetRef.kind);
    t.true(spec.metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu'), `${h.metadata.name}: CPU`);
    const pods = spec.metrics.filter((m) => m.type === 'Pods');
    t.is(pods.length, 1, `${h.metadata.name}: one Pods metric`);
    t.true(adapter.rules.custom.some((r) => r.name.as === pods[0]?.pods?.metric.name), `${h.metadata.name}: ${pods[0]?.pods?.metric.name} is served by the adapter rules`);
    t.true(spec.minReplicas >= 2, `${h.metadata.name}: at least 2 replicas`);
    t.is((target.spec as { replicas: number }).replicas, spec.minReplicas, `${h.metadata.name}: replicas = minReplicas`);
  }
  // No consumer of the mesh can share its work between replicas (docs/kubernetes.md): none is scaled on lag.
  t.deepEqual(objs.filter((o) => o.kind === 'ScaledObject'), []);
});

overlayTest('every workload has a PodDisruptionBudget; production has a ServiceMonitor per service over HTTPS', (t, objs, name) => {
  const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');
  for (const w of objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
    if (w.metadata.name === 'redis') continue;
    t.true(pdbs.some((p) => selects((p.spec as { selector: Selector }).selector, podLabels(w))), `${w.metadata.name}: a PDB`);
  }
  const monitors = objs.filter((o) => o.kind === 'ServiceMonitor');
  if (name === 'dev') {
    t.is(monitors.length, 0);
    return;
  }
  for (const svc of SERVICES) {
    const m = get(objs, 'ServiceMonitor', svc);
    const spec = m.spec as { selector: Selector; endpoints: { port: string; path: string; scheme: string }[] };
    const services = objs.filter((o) => o.kind === 'Service' && selects(spec.selector, o.metadata.labels ?? {}));
    t.deepEqual(services.map((s) => s.metadata.name), [svc], `${svc}: the ServiceMonitor selects its one Service`);
    t.deepEqual(spec.endpoints.map((e) => [e.port, e.path, e.scheme]), [['http', '/metrics', 'https']]);
  }
});

overlayTest('NATS: a JetStream StatefulSet (3 clustered servers in production, 1 in dev) and the Job provisioning with as many replicas', (t, objs, name) => {
  const nats = get(objs, 'StatefulSet', 'nats');
  const replicas = (nats.spec as { replicas: number }).replicas;
  t.is(replicas, name === 'production' ? 3 : 1);
  t.truthy((nats.spec as { volumeClaimTemplates?: unknown[] }).volumeClaimTemplates?.length, 'a store volume per server');
  t.is((get(objs, 'Service', 'nats-headless').spec as { clusterIP: string }).clusterIP, 'None');
  const conf = configMap(objs, 'nats-config').data?.['nats.conf'] ?? '';
  t.regex(conf, /jetstream \{[^}]*store_dir: \/data/);
  const routes = [...conf.matchAll(/nats:\/\/nats-(\d)\.nats-headless:6222/g)].map((m) => Number(m[1]));
  t.deepEqual(routes, replicas > 1 ? Array.from({ length: replicas }, (_, i) => i) : [], 'routes name every server');
  const job = get(objs, 'Job', 'nats-init');
  const c = container(job);
  const args = c.command ?? [];
  t.true(existsSync(join(ROOT, args[2] ?? '')), `${args[2]} exists after the build`);
  t.is(args[args.indexOf('--replicas') + 1], String(replicas), 'streams and buckets get one replica per server');
  t.is(args[args.indexOf('--nats') + 1], 'nats://nats:4222');
});

overlayTest('storage: the model repository is ReadWriteMany (ReadWriteOnce on dev\'s one node); the feature store is SQLite on a PVC in dev, Redis in production', async (t, objs, name) => {
  const models = get(objs, 'PersistentVolumeClaim', 'mlmesh-models');
  t.deepEqual((models.spec as { accessModes: string[] }).accessModes, [name === 'production' ? 'ReadWriteMany' : 'ReadWriteOnce']);
  const features = await resolvedConfig(objs, 'features');
  const w = workload(objs, 'features');
  if (name === 'dev') {
    t.is(features['backend'], 'sqlite');
    t.is((w.spec as { replicas: number }).replicas, 1);
    t.is((w.spec as { strategy: { type: string } }).strategy.type, 'Recreate');
    const mount = container(w).volumeMounts?.find((m) => (features['sqlitePath'] as string).startsWith(`${m.mountPath}/`));
    const vol = podSpec(w).volumes?.find((v) => v.name === mount?.name);
    t.is(vol?.persistentVolumeClaim?.claimName, 'mlmesh-features', 'SQLite on a PVC');
    t.truthy(find(objs, 'Job', 'seed-models'));
  } else {
    t.is(features['backend'], 'redis');
    t.is(features['redisUrl'], 'redis://redis:6379');
    t.truthy(find(objs, 'StatefulSet', 'redis'));
    t.true((w.spec as { replicas: number }).replicas >= 2);
  }
  for (const svc of ['monitor', 'retrainer'] as const) t.is((workload(objs, svc).spec as { replicas: number }).replicas, 1, `${svc}: one replica`);
});

overlayTest('TLS and authorization: on for every service in production, with certificates naming the hosts dialled; off in dev', async (t, objs, name) => {
  if (name === 'dev') {
    for (const svc of SERVICES) t.is((await resolvedConfig(objs, svc))['tlsCertFile'], '', `${svc}: plaintext in dev`);
    return;
  }
  for (const svc of SERVICES) {
    const config = await resolvedConfig(objs, svc);
    t.is(config['tlsCertFile'], '/etc/mlmesh/tls/tls.crt', svc);
    t.is(config['tlsKeyFile'], '/etc/mlmesh/tls/tls.key', svc);
    t.is(config['tlsCaFile'], '/etc/mlmesh/tls/ca.crt', svc);
    t.true(config['authRequired'], `${svc}: authRequired`);
    t.true((config['authCertRoles'] as string[]).includes('gateway:data'), `${svc}: the gateway's certificate has a role`);
    const w = workload(objs, svc);
    const vol = podSpec(w).volumes?.find((v) => v.secret?.secretName === `${svc}-tls`);
    t.truthy(vol, `${svc}: mounts ${svc}-tls`);
    t.is(container(w).volumeMounts?.find((m) => m.name === vol?.name)?.mountPath, '/etc/mlmesh/tls');
    const cert = objs.find((o) => o.kind === 'Certificate' && (o.spec as { secretName: string }).secretName === `${svc}-tls`);
    t.is((cert?.spec as { commonName?: string } | undefined)?.commonName, svc, `${svc}: the certificate's CN is the name authCertRoles uses`);
  }
  // The names the calls dial are in the callee's certificate (the client checks them).
  const dnsNames = (svc: string): string[] => ((objs.find((o) => o.kind === 'Certificate' && o.metadata.name === svc)?.spec as { dnsNames?: string[] } | undefined)?.dnsNames ?? []);
  const covers = (names: string[], host: string): boolean => names.some((n) => n === host || (n.startsWith('*.') && host.split('.').length >= 3 && host.slice(host.indexOf('.') + 1) === n.slice(2)));
  const gateway = await resolvedConfig(objs, 'gateway');
  for (const [k, svc] of [['featuresAddress', 'features'], ['preprocessAddress', 'preprocess'], ['inferenceAddress', 'inference']] as const) {
    const host = /dns:\/\/\/([^:]+):/.exec(gateway[k] as string)?.[1] ?? '';
    t.true(covers(dnsNames(svc), host), `${svc}'s certificate names ${host}`);
  }
  for (const a of (await resolvedConfig(objs, 'rollout'))['inferenceAddresses'] as string[]) t.true(covers(dnsNames('inference'), a.split(':')[0] as string), `inference certificate names ${a}`);
  const rolloutAddress = (await resolvedConfig(objs, 'retrainer'))['rolloutAddress'] as string;
  t.true(covers(dnsNames('rollout'), rolloutAddress.split(':')[0] as string), `rollout certificate names ${rolloutAddress}`);
});

test('kubernetes sources - the probed gRPC services are the ones protos/ defines', (t) => {
  for (const [svc, full] of Object.entries(GRPC_SERVICE)) {
    const dot = full.lastIndexOf('.');
    const pkg = full.slice(0, dot);
    const name = full.slice(dot + 1);
    const file = pkg === 'inference' ? 'protos/inference/grpc_service.proto' : `protos/${pkg.replace(/\./g, '/')}/${svc}.proto`;
    const proto = readFileSync(join(ROOT, file), 'utf8');
    t.regex(proto, new RegExp(`^package ${pkg.replace(/\./g, '\\.')};`, 'm'), file);
    t.regex(proto, new RegExp(`^service ${name} \\{`, 'm'), file);
  }
});

test('kubernetes sources - the directory layout', (t) => {
  for (const p of ['base/kustomization.yaml', 'overlays/dev/kustomization.yaml', 'overlays/production/kustomization.yaml', 'components/autoscaling/kustomization.yaml', 'components/monitoring/kustomization.yaml', 'prometheus-adapter/values.yaml']) t.true(existsSync(join(KUBERNETES_DIR, p)), p);
  t.true(existsSync(join(ROOT, 'docs', 'kubernetes.md')));
});
