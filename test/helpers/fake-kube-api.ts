/**
 * A fake Kubernetes API server for the retrainer's Job runner. It is a fake because nothing else
 * can be driven on these machines: there is no cluster, no container runtime daemon (the docker
 * CLI is installed, its daemon is not), no kind/k3s/minikube and no kube-apiserver or etcd
 * binary. It implements only the endpoints the runner calls, with the API's paths, JSON shapes
 * and Status errors:
 *
 *   POST   /apis/batch/v1/namespaces/{ns}/jobs              create (201; 409 AlreadyExists; 404 no namespace)
 *   GET    /apis/batch/v1/namespaces/{ns}/jobs/{name}       read, with status.conditions Complete / Failed
 *   DELETE /apis/batch/v1/namespaces/{ns}/jobs/{name}       delete (kills the "pod"; records propagationPolicy)
 *   GET    /api/v1/namespaces/{ns}/pods?labelSelector=job-name=…   the Job's pod and its container state
 *   GET    /api/v1/namespaces/{ns}/pods/{pod}/log           follow, timestamps, sinceTime
 *
 * and "runs" a Job the way a kubelet would as far as the runner can tell: the container's
 * command is started as a local process (its own process group) in the container's workingDir
 * with the container's env, on the same paths (the tests mount the volume at the path the
 * retrainer sees it), exit 0 → Complete, else Failed (BackoffLimitExceeded, backoffLimit being
 * 0), activeDeadlineSeconds → Failed (DeadlineExceeded). Every verb can be made to answer 403
 * Forbidden, as an API server does for a service account without the Role.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { V1Container, V1ContainerStateTerminated, V1Job, V1Pod } from '@kubernetes/client-node';

type Obj = Record<string, unknown>;
/** An object as the API sends it (Dates become RFC 3339 strings in JSON.stringify). */
type Wire<T> = T & Obj;

interface LogLine {
  ts: string;
  ns: bigint;
  text: string;
}

interface FakeJob {
  job: Wire<V1Job>;
  pod: Wire<V1Pod>;
  child: ChildProcess | undefined;
  lines: LogLine[];
  followers: Set<{ res: ServerResponse; write: (l: LogLine) => boolean }>;
  deadline: NodeJS.Timeout | undefined;
  exited: boolean;
}

/** What the fake can be told to do wrong. */
export interface FakeKubeApiOptions {
  /** Namespaces that exist. @default ['mlmesh'] */
  namespaces?: string[];
  /** The service account the 403s name. @default "system:serviceaccount:mlmesh:retrainer" */
  user?: string;
}

let seq = 0n;
/** An RFC 3339 timestamp with nanoseconds, strictly increasing (as the kubelet's are, per line). */
function stamp(): { ts: string; ns: bigint } {
  const ms = BigInt(Date.now());
  let ns = ms * 1_000_000n;
  if (ns <= seq) ns = seq + 1n;
  seq = ns;
  const iso = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  return { ts: `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`, ns };
}

function parseTs(ts: string): bigint | undefined {
  const m = /^(.+?)(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}Z`);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The fake API server. */
export class FakeKubeApi {
  /** Every Job body the runner posted, as received. */
  readonly created: Wire<V1Job>[] = [];
  /** Every delete: the Job, and its propagationPolicy (query or body). */
  readonly deleted: { namespace: string; name: string; propagationPolicy: string | undefined }[] = [];
  /** Every (API group, resource, RBAC verb) asked for, e.g. "batch jobs create", " pods/log get". */
  readonly calls = new Set<string>();
  /** Verbs ("create", "get", "list", "delete", "log") answered 403 Forbidden. */
  readonly forbid = new Set<string>();
  /** The next this many reads of an existing Job are answered 503 (an API server restarting). */
  failReads = 0;
  /** When set, a new Job's pod stays Pending this long, its container waiting with this reason (an image pull). */
  pending: { ms: number; reason: string; message: string } | undefined;
  /** When set, a follow log stream is closed after this many lines (an API server does so on its own timeouts). */
  closeLogAfter: number | undefined;
  private readonly jobs = new Map<string, FakeJob>();
  private readonly namespaces: Set<string>;
  private readonly user: string;

  private constructor(private readonly server: Server, opts: FakeKubeApiOptions) {
    this.namespaces = new Set(opts.namespaces ?? ['mlmesh']);
    this.user = opts.user ?? 'system:serviceaccount:mlmesh:retrainer';
  }

  /** Starts the server on 127.0.0.1, a free port. */
  static async start(opts: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
    const holder: { api?: FakeKubeApi } = {};
    const server = createServer((req, res) => {
      holder.api?.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) FakeKubeApi.status(res, 500, 'InternalError', String(e));
      });
    });
    const api = new FakeKubeApi(server, opts);
    holder.api = api;
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return api;
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A KubeConfig for this server (a bearer token, as a service account's). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'retrainer', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'retrainer', namespace: 'mlmesh' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** The pid (= process group) of a Job's running container, if it runs. */
  pid(name: string): number | undefined {
    const j = this.jobs.get(name);
    return j && !j.exited ? j.child?.pid : undefined;
  }

  /** Whether a Job exists. */
  has(name: string): boolean {
    return this.jobs.has(name);
  }

  /** Kills every container and stops the server. */
  async close(): Promise<void> {
    for (const j of this.jobs.values()) this.kill(j);
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private static send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private static status(res: ServerResponse, code: number, reason: string, message: string, details: Obj = {}): void {
    FakeKubeApi.send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });
  }

  private forbidden(res: ServerResponse, verb: string, resource: string, group: string, ns: string): void {
    FakeKubeApi.status(res, 403, 'Forbidden', `${resource}${group ? `.${group}` : ''} is forbidden: User "${this.user}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${ns}"`, { kind: resource });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const jobs = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
    const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)\/log)?$/.exec(url.pathname);
    const ns = decodeURIComponent((jobs ?? pods)?.[1] ?? '');
    const verb = req.method === 'POST' ? 'create' : req.method === 'DELETE' ? 'delete' : pods?.[2] ? 'log' : jobs?.[2] ? 'get' : 'list';
    if (!jobs && !pods) return FakeKubeApi.status(res, 404, 'NotFound', 'the server could not find the requested resource');
    this.calls.add(`${pods ? '' : 'batch'} ${pods ? (pods[2] ? 'pods/log' : 'pods') : 'jobs'} ${verb === 'log' ? 'get' : verb}`);
    if (this.forbid.has(verb)) return this.forbidden(res, verb === 'log' ? 'get' : verb, pods ? (pods[2] ? 'pods/log' : 'pods') : 'jobs', pods ? '' : 'batch', ns);
    if (!this.namespaces.has(ns)) return FakeKubeApi.status(res, 404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    if (jobs) {
      const name = jobs[2] ? decodeURIComponent(jobs[2]) : undefined;
      if (req.method === 'POST' && !name) return this.create(ns, JSON.parse(await body(req)) as Wire<V1Job>, res);
      const j = name ? this.jobs.get(`${ns}/${name}`) : undefined;
      if (!j) return FakeKubeApi.status(res, 404, 'NotFound', `jobs.batch "${name}" not found`, { name, group: 'batch', kind: 'jobs' });
      if (req.method === 'GET' && this.failReads > 0) {
        this.failReads--;
        return FakeKubeApi.status(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      }
      if (req.method === 'GET') return FakeKubeApi.send(res, 200, j.job);
      if (req.method === 'DELETE') {
        const b = await body(req);
        const policy = url.searchParams.get('propagationPolicy') ?? ((b ? (JSON.parse(b) as Obj) : {})['propagationPolicy'] as string | undefined);
        this.deleted.push({ namespace: ns, name: name as string, propagationPolicy: policy });
        this.kill(j);
        this.jobs.delete(`${ns}/${name}`);
        for (const f of j.followers) f.res.end();
        return FakeKubeApi.send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: 'batch', kind: 'jobs', uid: j.job.metadata?.uid } });
      }
      return FakeKubeApi.status(res, 405, 'MethodNotAllowed', `${req.method} is not supported`);
    }
    if (pods && !pods[2]) {
      const sel = /^job-name=(.+)$/.exec(url.searchParams.get('labelSelector') ?? '');
      const items = [...this.jobs.entries()].filter(([k, j]) => k.startsWith(`${ns}/`) && (!sel || j.pod.metadata?.labels?.['job-name'] === sel[1])).map(([, j]) => j.pod);
      return FakeKubeApi.send(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
    }
    const podName = decodeURIComponent(pods?.[2] ?? '');
    const j = [...this.jobs.values()].find((x) => x.pod.metadata?.name === podName);
    if (!j) return FakeKubeApi.status(res, 404, 'NotFound', `pods "${podName}" not found`, { name: podName, kind: 'pods' });
    if (url.searchParams.get('container') !== 'train') return FakeKubeApi.status(res, 400, 'BadRequest', `container ${url.searchParams.get('container')} is not valid for pod ${podName}`);
    const withTs = url.searchParams.get('timestamps') === 'true';
    const since = url.searchParams.get('sinceTime');
    const sinceNs = since ? parseTs(since) : undefined;
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const write = (l: LogLine): boolean => {
      if (sinceNs !== undefined && l.ns < sinceNs) return true;
      res.write(`${withTs ? `${l.ts} ` : ''}${l.text}\n`);
      if (this.closeLogAfter !== undefined && url.searchParams.get('follow') === 'true' && ++sent >= this.closeLogAfter) {
        res.end();
        return false;
      }
      return true;
    };
    for (const l of j.lines) if (!write(l)) return;
    if (url.searchParams.get('follow') !== 'true' || j.exited) return void res.end();
    const follower = { res, write };
    j.followers.add(follower);
    res.on('close', () => j.followers.delete(follower));
  }

  private create(ns: string, job: Wire<V1Job>, res: ServerResponse): void {
    const name = job.metadata?.name ?? '';
    const template = job.spec?.template;
    const c = template?.spec?.containers[0];
    if (!c) return FakeKubeApi.status(res, 422, 'Invalid', `Job.batch "${name}" is invalid: spec.template.spec.containers: Required value`);
    if (this.jobs.has(`${ns}/${name}`)) return FakeKubeApi.status(res, 409, 'AlreadyExists', `jobs.batch "${name}" already exists`, { name, group: 'batch', kind: 'jobs' });
    this.created.push(structuredClone(job));
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const uid = `uid-${this.created.length}`;
    job.metadata = { ...job.metadata, namespace: ns, uid, resourceVersion: '1', creationTimestamp: now };
    job.status = { startTime: now, active: 1 };
    const pod: Wire<V1Pod> = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-${Math.random().toString(36).slice(2, 7)}`, namespace: ns, creationTimestamp: now, labels: { ...template?.metadata?.labels, 'job-name': name, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid } },
      spec: template?.spec,
      status: { phase: 'Running', containerStatuses: [{ name: c.name, image: c.image ?? '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: now } } }] },
    };
    const fj: FakeJob = { job, pod, child: undefined, lines: [], followers: new Set(), deadline: undefined, exited: false };
    this.jobs.set(`${ns}/${name}`, fj);
    FakeKubeApi.send(res, 201, job);
    const pending = this.pending;
    if (!pending) return this.run(fj, c);
    pod.status = { phase: 'Pending', containerStatuses: [{ name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: pending.reason, message: pending.message } } }] };
    setTimeout(() => {
      if (!this.jobs.has(`${ns}/${name}`)) return;
      pod.status = { phase: 'Running', containerStatuses: [{ name: c.name, image: c.image ?? '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date() } } }] };
      this.run(fj, c);
    }, pending.ms);
  }

  private run(j: FakeJob, c: V1Container): void {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    // The container's environment is its own: only PATH is lent, so that the program is found.
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
    for (const e of c.env ?? []) env[e.name] = e.value ?? '';
    const child = spawn(argv[0] ?? '', argv.slice(1), { cwd: c.workingDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    j.child = child;
    const add = (): ((chunk: Buffer) => void) => {
      let rest = '';
      return (chunk) => {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        for (const text of parts) {
          const l = { ...stamp(), text };
          j.lines.push(l);
          for (const f of j.followers) if (!f.write(l)) j.followers.delete(f);
        }
      };
    };
    child.stdout?.on('data', add());
    child.stderr?.on('data', add());
    const deadline = j.job.spec?.activeDeadlineSeconds;
    if (deadline) {
      j.deadline = setTimeout(() => {
        this.kill(j);
        this.finish(j, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline', { exitCode: 137, reason: 'Error', signal: 9 });
      }, deadline * 1000);
    }
    child.once('error', (e) => this.finish(j, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', { exitCode: 128, reason: 'StartError', message: e.message }));
    child.once('exit', (code, signal) => {
      if (j.exited) return;
      const exitCode = code ?? 137;
      const t = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', ...(signal ? { signal: 9 } : {}) };
      if (exitCode === 0) this.finish(j, 'Complete', '', '', t);
      else this.finish(j, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', t);
    });
  }

  private finish(j: FakeJob, type: 'Complete' | 'Failed', reason: string, message: string, terminated: V1ContainerStateTerminated): void {
    if (j.exited) return;
    j.exited = true;
    clearTimeout(j.deadline);
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    // The kubelet has the container's last lines before it reports the exit.
    setTimeout(() => {
      const st = j.pod.status?.containerStatuses?.[0];
      if (st) j.pod.status = { phase: type === 'Complete' ? 'Succeeded' : 'Failed', containerStatuses: [{ ...st, ready: false, state: { terminated: { ...terminated, finishedAt: now } } }] };
      j.job.status = {
        ...j.job.status,
        active: 0,
        ...(type === 'Complete' ? { succeeded: 1, completionTime: now } : { failed: 1 }),
        conditions: [{ type, status: 'True', lastProbeTime: now, lastTransitionTime: now, ...(reason ? { reason, message } : {}) }],
      };
      for (const f of j.followers) f.res.end();
      j.followers.clear();
    }, 50);
  }

  private kill(j: FakeJob): void {
    clearTimeout(j.deadline);
    const pid = j.child?.pid;
    if (pid !== undefined && !j.exited) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
