/**
 * The training job as a Kubernetes `batch/v1` Job: the same contract as the local child process
 * (trainer.ts), run by the cluster on the shared volume. One Job per run, named after the run
 * (kubernetes-job.ts): a restarted retrainer finds its predecessor's Job by that name and waits on
 * it instead of creating a second one. The runner polls the Job's status, follows the pod's log
 * into the run's log file (and so WatchRun), deletes the Job on a timeout or a cancel (propagation
 * Background: the pod goes too), leaves it running on a drain (the next start adopts it), and
 * then reads the output folder exactly as the local runner does.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir, symlink } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { BatchV1Api, CoreV1Api, KubeConfig, V1Job, V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../shared/errors/index.js';
import { ANNOTATIONS, TRAIN_CONTAINER, buildJob, jobName } from './kubernetes-job.js';
import type { KubernetesRunnerSettings } from './kubernetes-job.js';
import { TAIL_LINES, TrainingError, collectOutput } from './trainer.js';
import type { TrainingResult } from './types.js';

/** How long the pod's log may keep streaming after the Job ended, in ms. */
const LOG_DRAIN_MS = 15_000;
/** API failures in a row (5xx, the network) before a run waiting on its Job fails. */
const MAX_TRANSIENT_FAILURES = 10;

/** One training attempt to run as a Job. */
export interface KubernetesTrainingJob {
  settings: KubernetesRunnerSettings;
  runId: string;
  model: string;
  attempt: number;
  /** argv, placeholders filled with the Job's paths (kubernetes-job.ts jobPath). */
  command: string[];
  /** The model's folder, the retrainer's path (the container's working directory, mapped). */
  cwd: string;
  /** The attempt's output folder, the retrainer's path. */
  outputDir: string;
  /** The pod's log lines are appended here. */
  logFile: string;
  /** Longest run, from the Job's creation; past it the Job is deleted. Also its activeDeadlineSeconds. */
  timeoutMs: number;
  /** Container environment variables (added to the runner settings' env). */
  env: Record<string, string>;
  /** Abort with reason 'drain': stop waiting, leave the Job (the next start adopts it); any other reason deletes it. */
  signal?: AbortSignal;
  /** Each log line of the pod, in order. */
  onLine?: (line: string) => void;
  /** Called once the Job exists: created by this call, or adopted from a previous retrainer. */
  onJob?: (job: { namespace: string; name: string; adopted: boolean }) => void;
  /** Where the API is. @default KubeConfig.loadFromDefault() (KUBECONFIG, ~/.kube/config, else the pod's service account) */
  kubeConfig?: KubeConfig;
}

type Client = typeof import('@kubernetes/client-node');
let client: Promise<Client> | undefined;
/** The client library, loaded on first use (it is large; a local-only retrainer never loads it). */
const k8s = (): Promise<Client> => (client ??= import('@kubernetes/client-node'));
let defaultConfig: KubeConfig | undefined;

/** "HTTP 403 Forbidden: <the API's message>" of an API error, or the network error's message. */
export function apiErrorMessage(e: unknown): string {
  const code = httpCode(e);
  if (code === undefined || !(e instanceof Error)) return errorMessage(e);
  let body: unknown = (e as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // Not a Status object: the text itself is the message.
    }
  }
  const st = typeof body === 'object' && body !== null ? (body as { reason?: unknown; message?: unknown }) : {};
  const reason = typeof st.reason === 'string' && st.reason ? ` ${st.reason}` : '';
  const msg = typeof st.message === 'string' ? st.message : typeof body === 'string' && body ? body : e.message.split('\n')[0];
  return `HTTP ${code}${reason}: ${msg}`;
}

/** The HTTP status of an ApiException (client-node's errors carry it as `code`), else undefined. */
function httpCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'number' ? code : undefined;
}

/** The Job's terminal condition, if it has one. */
function terminal(j: V1Job): { type: 'Complete' | 'Failed'; reason: string; message: string } | undefined {
  for (const c of j.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return { type: c.type, reason: c.reason ?? '', message: c.message ?? '' };
  }
  return undefined;
}

/** Nanoseconds since the epoch of an RFC 3339 timestamp with up to 9 fraction digits. */
function nanos(ts: string): bigint | undefined {
  const m = /^(.+?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The log of the Job's pod: followed with timestamps, so that a stream the API server closes early is resumed without repeating lines. */
class PodLog {
  private readonly tail: string[] = [];
  private lastNs: bigint | undefined;
  private lastTs: string | undefined;
  private current: { abort: AbortController | undefined; done: Promise<void> } | undefined;
  private ended = true;

  constructor(private readonly kc: KubeConfig, private readonly namespace: string, private readonly file: WriteStream, private readonly onLine?: (line: string) => void) {}

  /** Lines kept for a failure message. */
  lastLines(): string {
    return this.tail.length > 0 ? `; last output:\n${this.tail.join('\n')}` : '';
  }

  /** A line of the retrainer's own about the Job (in the log file and WatchRun, not in the tail). */
  note(text: string): void {
    const l = `[retrainer] ${text}`;
    this.file.write(`${l}\n`);
    this.onLine?.(l);
  }

  private line(raw: string): void {
    const sp = raw.indexOf(' ');
    const ts = sp > 0 ? raw.slice(0, sp) : '';
    const ns = nanos(ts);
    // Lines at or before the last one seen are a resumed stream repeating itself.
    if (ns !== undefined && this.lastNs !== undefined && ns <= this.lastNs) return;
    if (ns !== undefined) [this.lastNs, this.lastTs] = [ns, ts];
    const l = ns !== undefined ? raw.slice(sp + 1) : raw;
    this.file.write(`${l}\n`);
    this.tail.push(l);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.onLine?.(l);
  }

  /** Whether a stream is open (else `follow` may start one). */
  get streaming(): boolean {
    return !this.ended;
  }

  /** Starts following `pod`'s log (from the last line seen). @returns false when the API refused (the container is not started yet, say). */
  async follow(pod: string, follow: boolean): Promise<boolean> {
    const { Log } = await k8s();
    const pass = new PassThrough();
    let rest = '';
    pass.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split(/\r?\n/);
      rest = parts.pop() ?? '';
      for (const p of parts) this.line(p);
    });
    const done = new Promise<void>((ok) => {
      const end = (): void => {
        if (rest !== '') this.line(rest);
        rest = '';
        this.ended = true;
        ok();
      };
      pass.once('end', end);
      pass.once('error', end);
      pass.once('close', end);
    });
    this.ended = false;
    try {
      const abort = await new Log(this.kc).log(this.namespace, pod, TRAIN_CONTAINER, pass, { follow, timestamps: true, ...(this.lastTs ? { sinceTime: this.lastTs } : {}) });
      this.current = { abort, done };
      return true;
    } catch {
      // The pod's container is not running yet (or the API blinked): the caller tries again at its next poll.
      this.ended = true;
      pass.destroy();
      return false;
    }
  }

  /** Waits for the open stream to end, at most `ms`; then closes it. */
  async finish(ms: number): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([cur.done, new Promise<void>((ok) => (t = setTimeout(ok, ms)))]);
    clearTimeout(t);
    cur.abort?.abort();
    this.current = undefined;
    this.ended = true;
  }
}

/** Sleeps `ms`, or less when `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((ok) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      ok();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Runs a training attempt as a Job (or waits on the run's Job a previous retrainer created) and
 * checks the output contract.
 * @returns the model, its flattened metrics and its reference folder (as runTraining).
 * @throws TrainingError: 'api' (the API refused a call: 403 with the RBAC it needs, 404 naming the
 *   namespace, another run's Job under the name, the Job deleted by someone else), 'exit' (the
 *   container exited non-zero: its exit code and reason, the last log lines), 'timeout' (the Job
 *   was deleted past timeoutMs, or Kubernetes hit its activeDeadlineSeconds), 'cancelled',
 *   'contract' (no model.onnx / metrics.json).
 */
export async function runKubernetesTraining(job: KubernetesTrainingJob): Promise<TrainingResult> {
  const s = job.settings;
  const { namespace } = s;
  const name = jobName(job.runId);
  const where = `Job ${namespace}/${name}`;
  if (job.signal?.aborted) throw new TrainingError('cancelled', 'the training job was cancelled before it started');
  const lib = await k8s();
  const kc = job.kubeConfig ?? (defaultConfig ??= (() => {
    const c = new lib.KubeConfig();
    c.loadFromDefault();
    return c;
  })());
  const batch: BatchV1Api = kc.makeApiClient(lib.BatchV1Api);
  const core: CoreV1Api = kc.makeApiClient(lib.CoreV1Api);
  const outputDir = resolve(job.outputDir);
  await mkdir(dirname(job.logFile), { recursive: true });
  const file = createWriteStream(job.logFile, { flags: 'a' });
  await new Promise<void>((ok, fail) => file.once('open', () => ok()).once('error', fail));
  // A log file that stops taking writes (disk full) must not crash the retrainer (as trainer.ts).
  file.on('error', () => undefined);
  const log = new PodLog(kc, namespace, file, job.onLine);
  const apiError = (what: string, e: unknown): TrainingError => {
    const code = httpCode(e);
    const hint =
      code === 403
        ? ` (the retrainer's service account needs a Role in namespace ${namespace} allowing create/get/list/watch/delete on jobs.batch and get/list on pods and pods/log: docs/kubernetes.md)`
        : code === 404 && what === 'create'
          ? ` (namespace ${namespace} does not exist: retraining.runner.namespace)`
          : '';
    return new TrainingError('api', `the Kubernetes API failed to ${what} ${where}: ${apiErrorMessage(e)}${hint}`, { cause: e });
  };
  const readJob = async (): Promise<V1Job | undefined> => {
    try {
      return await batch.readNamespacedJob({ name, namespace });
    } catch (e: unknown) {
      if (httpCode(e) === 404) return undefined;
      throw e;
    }
  };
  const deleteJob = async (): Promise<string> => {
    try {
      await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });
      log.note(`${where} deleted`);
      return `; ${where} was deleted`;
    } catch (e: unknown) {
      if (httpCode(e) === 404) return `; ${where} was already gone`;
      return `; deleting ${where} failed: ${apiErrorMessage(e)} (delete it by hand)`;
    }
  };

  try {
    let current: V1Job | undefined;
    try {
      current = await readJob();
    } catch (e: unknown) {
      throw apiError('read', e);
    }
    let adoptedFrom: string | undefined;
    if (current) {
      adoptedFrom = ownedOutput(current, job.runId, where);
      log.note(`${where} (attempt ${current.metadata?.annotations?.[ANNOTATIONS.attempt] ?? '?'}) exists: the retrainer restarted; waiting on it instead of starting another (its log follows from the start)`);
    } else {
      await mkdir(outputDir, { recursive: true });
      const body = buildJob(s, { runId: job.runId, model: job.model, attempt: job.attempt, command: job.command, cwd: job.cwd, outputDir, timeoutMs: job.timeoutMs, env: job.env });
      try {
        current = await batch.createNamespacedJob({ namespace, body });
        log.note(`${where} created (image ${s.image})`);
      } catch (e: unknown) {
        if (httpCode(e) !== 409) throw apiError('create', e);
        // Created meanwhile under the same name (a retry of ours that reached the server): adopt it.
        current = await readJob().catch((err: unknown) => {
          throw apiError('read', err);
        });
        if (!current) throw apiError('create', e);
        adoptedFrom = ownedOutput(current, job.runId, where);
      }
    }
    job.onJob?.({ namespace, name, adopted: adoptedFrom !== undefined });
    const created = current.metadata?.creationTimestamp ? new Date(current.metadata.creationTimestamp).getTime() : Date.now();
    const deadline = (Number.isFinite(created) ? created : Date.now()) + job.timeoutMs;
    const started = performance.now();
    let end: ReturnType<typeof terminal>;
    let failures = 0;
    let podName: string | undefined;
    let waiting = '';
    let doing = 'read';
    for (;;) {
      end = terminal(current);
      if (end) break;
      if (job.signal?.aborted) {
        if (job.signal.reason === 'drain') {
          log.note(`the retrainer is stopping: ${where} is left running; the next start waits on it`);
          throw new TrainingError('cancelled', `the retrainer stopped; ${where} is left running for the next start`);
        }
        throw new TrainingError('cancelled', `the training job was cancelled${await deleteJob()}`);
      }
      if (Date.now() >= deadline) throw new TrainingError('timeout', `the training job ran longer than ${job.timeoutMs} ms and was killed${await deleteJob()}${log.lastLines()}`);
      try {
        doing = 'list the pods of';
        const pod = await findPod(core, namespace, name);
        if (pod) {
          podName = pod.metadata?.name;
          const w = pod.status?.containerStatuses?.find((c) => c.name === TRAIN_CONTAINER)?.state?.waiting;
          const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
          const reason = w?.reason ? w : unscheduled?.reason ? unscheduled : undefined;
          const why = reason?.reason ? `${reason.reason}${reason.message ? `: ${reason.message}` : ''}` : '';
          if (why && why !== waiting) log.note(`pod ${podName} is waiting: ${why}`);
          waiting = why;
          if (podName && !log.streaming && pod.status?.phase !== 'Pending') await log.follow(podName, true);
        }
        await sleep(Math.min(s.pollMs, Math.max(0, deadline - Date.now())), job.signal);
        doing = 'read';
        const next = await readJob();
        if (!next) throw new TrainingError('api', `${where} was deleted by someone else before it finished${log.lastLines()}`);
        current = next;
        failures = 0;
      } catch (e: unknown) {
        if (e instanceof TrainingError) throw e;
        const code = httpCode(e);
        if (code === 401 || code === 403 || ++failures >= MAX_TRANSIENT_FAILURES) throw apiError(doing, e);
        log.note(`the Kubernetes API failed to ${doing} ${where} (${apiErrorMessage(e)}); retrying`);
        await sleep(Math.min(s.pollMs, Math.max(0, deadline - Date.now())), job.signal);
      }
    }
    // The pod ended between two polls, or its stream is still delivering the last lines.
    if (!log.streaming) {
      const pod = await findPod(core, namespace, name).catch(() => undefined);
      podName = pod?.metadata?.name ?? podName;
      if (podName) await log.follow(podName, false);
    }
    await log.finish(LOG_DRAIN_MS);
    const durationMs = Math.round(performance.now() - started);
    if (end.type === 'Failed') {
      if (end.reason === 'DeadlineExceeded') throw new TrainingError('timeout', `the training job ran longer than ${job.timeoutMs} ms and was killed (${where}: ${end.reason}${end.message ? `: ${end.message}` : ''})${log.lastLines()}`);
      const pod = await findPod(core, namespace, name).catch(() => undefined);
      const term = pod?.status?.containerStatuses?.find((c) => c.name === TRAIN_CONTAINER)?.state?.terminated;
      const detail = [`${where} failed: ${end.reason || 'Failed'}${end.message ? `: ${end.message}` : ''}`];
      if (term?.reason) detail.push(`container reason ${term.reason}${term.message ? `: ${term.message}` : ''}`);
      const how = term ? (term.signal ? `was killed by signal ${term.signal}` : `exited with code ${term.exitCode}`) : 'did not finish';
      throw new TrainingError('exit', `the training command ${how} (${detail.join('; ')})${log.lastLines()}`, { exitCode: term?.exitCode ?? null });
    }
    if (adoptedFrom !== undefined && resolve(adoptedFrom) !== outputDir) await linkOutput(resolve(adoptedFrom), outputDir, log);
    return await collectOutput(outputDir, durationMs);
  } finally {
    await log.finish(0);
    await new Promise<void>((ok) => file.end(() => ok()));
  }
}

/** The retrainer's output folder a Job writes into, after checking the Job is this run's. */
function ownedOutput(j: V1Job, runId: string, where: string): string {
  const a = j.metadata?.annotations ?? {};
  if (a[ANNOTATIONS.runId] !== runId) throw new TrainingError('api', `${where} exists but belongs to ${a[ANNOTATIONS.runId] ? `run ${a[ANNOTATIONS.runId]}` : 'no mlmesh run'}, not run ${runId}: delete it, or rename`);
  const out = a[ANNOTATIONS.output];
  if (!out) throw new TrainingError('api', `${where} has no ${ANNOTATIONS.output} annotation: it was not created by the retrainer`);
  return out;
}

/**
 * An adopted Job wrote into its own attempt's folder; the engine reads this attempt's: that folder
 * becomes a symlink to the Job's (relative, on the same volume). Not a move: a retrainer that
 * restarts again finds the Job's folder where its annotation says.
 */
async function linkOutput(from: string, to: string, log: PodLog): Promise<void> {
  const left = await readdir(to).catch(() => undefined);
  if (left !== undefined) {
    if (left.length > 0) throw new TrainingError('contract', `cannot point ${to} at the adopted Job's output ${from}: ${to} is not empty`);
    await rmdir(to);
  }
  await rm(to, { force: true });
  await symlink(relative(dirname(to), from), to, 'dir');
  log.note(`${to} is the adopted Job's output ${from}`);
}

/** The Job's pod (backoffLimit 0: at most one; the newest if a node loss made another). */
async function findPod(core: CoreV1Api, namespace: string, job: string): Promise<V1Pod | undefined> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  const t = (p: V1Pod): number => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  return [...list.items].sort((a, b) => t(b) - t(a))[0];
}
