/**
 * The Kubernetes runner's settings (`retraining.runner` in a model's config.json) and the
 * `batch/v1` Job they make of one training attempt. Pure: no API calls (kubernetes-runner.ts
 * makes them).
 *
 *   "runner": {
 *     "kind": "kubernetes", "namespace": "mlmesh", "image": "registry.example/credit-trainer:1.4",
 *     "volume": { "claim": "mlmesh-models", "mount_path": "/models", "retrainer_path": "/models" },
 *     "service_account": "mlmesh-trainer", "image_pull_policy": "IfNotPresent",
 *     "resources": { "requests": { "cpu": "1", "memory": "2Gi" }, "limits": { "memory": "4Gi" } },
 *     "ttl_seconds_after_finished": 3600, "poll_ms": 2000, "run_as_user": 1000, "run_as_group": 1000,
 *     "env": { "OMP_NUM_THREADS": "1" }
 *   }
 *
 * The Job's pod mounts the claim at `mount_path`; the retrainer sees the same volume at
 * `retrainer_path` (its model repository and work folder must both lie on it). Every path the Job
 * gets ({dataset}, {output}, its working directory) is the retrainer's path with `retrainer_path`
 * replaced by `mount_path`.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { InvalidArgumentError, clip } from '../../shared/errors/index.js';

/** How a model's training command runs. */
export type RunnerSettings = { kind: 'local' } | KubernetesRunnerSettings;

/** `retraining.runner` with kind "kubernetes", every field resolved. */
export interface KubernetesRunnerSettings {
  kind: 'kubernetes';
  /** Namespace of the Jobs. @default "mlmesh" */
  namespace: string;
  /** The trainer's container image: it holds the training command's program (and the code it runs). */
  image: string;
  /** @default "IfNotPresent" */
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** The shared volume: the claim, where the Job mounts it, and where the retrainer sees it. */
  volume: { claim: string; mountPath: string; retrainerPath: string };
  /** The pod's service account; '' = the namespace's default. Its token is never mounted. @default "" */
  serviceAccount: string;
  /** Container resources (requests / limits: Kubernetes quantities). @default {} */
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** Seconds a finished Job (and its pod and log) stays before Kubernetes deletes it. @default 3600 */
  ttlSecondsAfterFinished: number;
  /** Interval between two reads of the Job's status, in ms. @default 2000 */
  pollMs: number;
  /** uid and gid of the trainer's process (those that own the shared volume's files). @default 1000 */
  runAsUser: number;
  runAsGroup: number;
  /** Extra environment variables of the container. @default {} */
  env: Record<string, string>;
}

/** The container's name in every training Job. */
export const TRAIN_CONTAINER = 'train';
/** Labels and annotations of a training Job. */
export const LABELS = { run: 'mlmesh.io/run', model: 'mlmesh.io/model', component: 'app.kubernetes.io/component' } as const;
export const ANNOTATIONS = { runId: 'mlmesh.io/run-id', output: 'mlmesh.io/output', attempt: 'mlmesh.io/attempt' } as const;

const RUNNER_KNOWN = ['kind', 'namespace', 'image', 'image_pull_policy', 'volume', 'service_account', 'resources', 'ttl_seconds_after_finished', 'poll_ms', 'run_as_user', 'run_as_group', 'env'];
const VOLUME_KNOWN = ['claim', 'mount_path', 'retrainer_path'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

type Json = Record<string, unknown>;

/**
 * Validates `retraining.runner`: absent or "local" is the local child process; an object with
 * kind "kubernetes" is a Job per attempt.
 * @throws InvalidArgumentError naming the field (`model '<m>' config.json retraining.runner.<field>: …`).
 */
export function parseRunner(model: string, raw: unknown): RunnerSettings {
  const fail = (field: string, msg: string): never => {
    throw new InvalidArgumentError(`model '${clip(model, 100)}' config.json retraining.runner${field ? `.${field}` : ''}: ${msg}`, { field: `retraining.runner${field ? `.${field}` : ''}` });
  };
  if (raw === undefined || raw === 'local') return { kind: 'local' };
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && (raw as Json)['kind'] === 'local' && Object.keys(raw).length === 1) return { kind: 'local' };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('', `must be "local" or an object with kind "kubernetes", got ${clip(JSON.stringify(raw), 40)}`);
  const o = raw as Json;
  for (const k of Object.keys(o)) if (!RUNNER_KNOWN.includes(k)) fail(k, `unknown field (known: ${RUNNER_KNOWN.join(', ')})`);
  if (o['kind'] !== 'kubernetes') fail('kind', `must be "local" or "kubernetes", got ${clip(JSON.stringify(o['kind']), 40)}`);
  const str = (field: string, v: unknown, dflt: string | undefined, re?: RegExp, what?: string): string => {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'string' || v.length === 0) return fail(field, 'must be a non-empty string');
    if (re && !re.test(v)) fail(field, `${clip(JSON.stringify(v), 80)} is not ${what}`);
    return v;
  };
  const int = (field: string, v: unknown, dflt: number, min: number, max: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(field, `must be an integer in [${min}, ${max}], got ${clip(JSON.stringify(v), 40)}`);
    return v as number;
  };
  const absPath = (field: string, v: unknown, dflt: string | undefined): string => {
    const p = str(field, v, dflt);
    if (!posix.isAbsolute(p)) fail(field, `must be an absolute path, got ${clip(JSON.stringify(p), 80)}`);
    return posix.normalize(p).replace(/(.)\/$/, '$1');
  };
  const vol = o['volume'];
  if (typeof vol !== 'object' || vol === null || Array.isArray(vol)) return fail('volume', 'must be an object { claim, mount_path, retrainer_path }: the shared volume that holds the model repository and the retrainer\'s work folder');
  for (const k of Object.keys(vol)) if (!VOLUME_KNOWN.includes(k)) fail(`volume.${k}`, `unknown field (known: ${VOLUME_KNOWN.join(', ')})`);
  const v = vol as Json;
  const mountPath = absPath('volume.mount_path', v['mount_path'], '/models');
  const pull = o['image_pull_policy'] ?? 'IfNotPresent';
  if (pull !== 'Always' && pull !== 'IfNotPresent' && pull !== 'Never') fail('image_pull_policy', `must be "Always", "IfNotPresent" or "Never", got ${clip(JSON.stringify(pull), 40)}`);
  return {
    kind: 'kubernetes',
    namespace: str('namespace', o['namespace'], 'mlmesh', DNS_LABEL, 'a namespace name (DNS label)'),
    image: str('image', o['image'], undefined, /^\S+$/, 'an image reference'),
    imagePullPolicy: pull as KubernetesRunnerSettings['imagePullPolicy'],
    volume: {
      claim: str('volume.claim', v['claim'], undefined, DNS_SUBDOMAIN, 'a PersistentVolumeClaim name'),
      mountPath,
      retrainerPath: absPath('volume.retrainer_path', v['retrainer_path'], mountPath),
    },
    serviceAccount: o['service_account'] === undefined ? '' : str('service_account', o['service_account'], undefined, DNS_SUBDOMAIN, 'a ServiceAccount name'),
    resources: parseResources(o['resources'], fail),
    ttlSecondsAfterFinished: int('ttl_seconds_after_finished', o['ttl_seconds_after_finished'], 3600, 0, 365 * 86_400),
    pollMs: int('poll_ms', o['poll_ms'], 2000, 50, 600_000),
    runAsUser: int('run_as_user', o['run_as_user'], 1000, 1, 2 ** 31 - 1),
    runAsGroup: int('run_as_group', o['run_as_group'], 1000, 0, 2 ** 31 - 1),
    env: parseEnv(o['env'], fail),
  };
}

function parseResources(raw: unknown, fail: (field: string, msg: string) => never): KubernetesRunnerSettings['resources'] {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('resources', 'must be an object { requests, limits }');
  const out: KubernetesRunnerSettings['resources'] = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'requests' && k !== 'limits') fail(`resources.${k}`, 'unknown field (known: requests, limits)');
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`resources.${k}`, 'must be an object of resource name → quantity');
    const q: Record<string, string> = {};
    for (const [name, amount] of Object.entries(v as Json)) {
      const s = typeof amount === 'number' ? String(amount) : amount;
      if (typeof s !== 'string' || !QUANTITY.test(s)) fail(`resources.${k}.${name}`, `must be a Kubernetes quantity ("500m", "2", "4Gi"), got ${clip(JSON.stringify(amount), 40)}`);
      q[name] = s;
    }
    out[k] = q;
  }
  return out;
}

function parseEnv(raw: unknown, fail: (field: string, msg: string) => never): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('env', 'must be an object of name → string value');
  for (const [k, v] of Object.entries(raw)) {
    if (!ENV_NAME.test(k)) fail(`env.${clip(k, 40)}`, 'is not a valid environment variable name');
    if (typeof v !== 'string') fail(`env.${k}`, 'must be a string');
  }
  return raw as Record<string, string>;
}

/**
 * The Job's view of a path of the retrainer's: `retrainer_path` replaced by `mount_path`.
 * @throws InvalidArgumentError when the path is not on the shared volume (not under retrainer_path).
 */
export function jobPath(s: KubernetesRunnerSettings, path: string, what: string): string {
  const p = posix.normalize(path);
  const root = s.volume.retrainerPath;
  const rel = root === '/' ? p.slice(1) : p === root ? '' : p.startsWith(`${root}/`) ? p.slice(root.length + 1) : undefined;
  if (rel === undefined) {
    throw new InvalidArgumentError(`${what} ${p} is not on the shared volume: retraining.runner.volume.retrainer_path is ${root} (the Job sees only the claim ${s.volume.claim}; put the model repository and MLMESH_RETRAINER_WORK_DIR on it)`, { field: 'retraining.runner.volume.retrainer_path' });
  }
  return rel === '' ? s.volume.mountPath : posix.join(s.volume.mountPath, rel);
}

/** A label value made of `v` (≤ 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends), or '' when nothing is left. */
export function labelValue(v: string): string {
  return v.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/**
 * The Job's name for a run: one Job per run, so a restarted retrainer finds it again
 * (`train-<run id, lower-cased, DNS-safe>-<8 hex of its SHA-256>`, ≤ 63 characters: the pods'
 * `job-name` label holds it).
 */
export function jobName(runId: string): string {
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 8);
  const base = runId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63 - 'train-'.length - 9).replace(/-+$/, '');
  return `train-${base ? `${base}-` : ''}${hash}`;
}

/** What one attempt's Job is made of; paths are the retrainer's (mapped here). */
export interface JobSpecInput {
  runId: string;
  model: string;
  attempt: number;
  /** argv, placeholders filled with the Job's paths. */
  command: string[];
  /** Working directory (the model's folder), the retrainer's path. */
  cwd: string;
  /** The attempt's output folder, the retrainer's path (kept in an annotation for a restart). */
  outputDir: string;
  timeoutMs: number;
  env: Record<string, string>;
}

/**
 * The `batch/v1` Job of one attempt: no retries (backoffLimit 0, restartPolicy Never), killed by
 * Kubernetes past the timeout too (activeDeadlineSeconds), deleted `ttl_seconds_after_finished`
 * after it ends; labelled with the run and the model.
 * @throws InvalidArgumentError when the working directory is not on the shared volume.
 */
export function buildJob(s: KubernetesRunnerSettings, j: JobSpecInput): V1Job {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'mlmesh-trainer',
    'app.kubernetes.io/part-of': 'mlmesh',
    [LABELS.component]: 'training',
    [LABELS.run]: labelValue(j.runId),
    [LABELS.model]: labelValue(j.model),
  };
  const env = { ...s.env, ...j.env };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(j.runId),
      namespace: s.namespace,
      labels,
      annotations: { [ANNOTATIONS.runId]: j.runId, [ANNOTATIONS.output]: j.outputDir, [ANNOTATIONS.attempt]: String(j.attempt) },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: Math.max(1, Math.ceil(j.timeoutMs / 1000)),
      ttlSecondsAfterFinished: s.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          ...(s.serviceAccount ? { serviceAccountName: s.serviceAccount } : {}),
          // The training code is arbitrary: it gets no credentials for the API.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: s.runAsUser, runAsGroup: s.runAsGroup, fsGroup: s.runAsGroup, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: TRAIN_CONTAINER,
              image: s.image,
              imagePullPolicy: s.imagePullPolicy,
              command: j.command,
              workingDir: jobPath(s, j.cwd, 'the model folder (the command\'s working directory)'),
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              resources: s.resources,
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'shared', mountPath: s.volume.mountPath }],
            },
          ],
          volumes: [{ name: 'shared', persistentVolumeClaim: { claimName: s.volume.claim } }],
        },
      },
    },
  };
}
