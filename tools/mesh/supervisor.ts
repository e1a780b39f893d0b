/**
 * The supervisor: brings a planned mesh up (NATS first, then each service in dependency order,
 * each waited for on its health before the next), keeps it up (crashed services restarted with
 * backoff), records it in `<varDir>/mesh/state.json`, and drains it in reverse order.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../shared/config/index.js';
import { NATS } from './catalogue.js';
import { SupervisedChild } from './child.js';
import type { RestartPolicy } from './child.js';
import { NATS_HOWTO } from './config.js';
import type { MeshPlan, PlannedService } from './config.js';
import { MeshConfigError, MeshStoppedError, ServiceStartError } from './errors.js';
import { takeOverVarDir } from './takeover.js';
import type { LogStream } from './log-stream.js';
import { firstNatsInfo, natsFiles, natsInfo, writeNatsConfig } from './nats.js';
import { connectHost, isPortFree, pickFreePort } from './ports.js';
import { probeService } from './probe.js';
import type { ProbeTls } from './probe.js';
import { STATE_FORMAT, stateFilePath, writeState } from './state-file.js';
import type { MeshState, ServiceRecord } from './state-file.js';

/** How long one readiness probe may take, ms. */
const PROBE_TIMEOUT_MS = 1000;
/** How long an external NATS may take to answer at start, ms. */
const EXTERNAL_NATS_TIMEOUT_MS = 3000;
/** Grace of the local nats-server after SIGTERM, ms. */
const NATS_GRACE_MS = 10_000;
/** Text width of the no-NATS banner. */
const BANNER_WIDTH = 88;
/** Starts of a service tried when a port the supervisor picked was taken meanwhile. */
const PORT_RACE_ATTEMPTS = 3;

/** One member of the running mesh. */
interface Member {
  readonly name: string;
  readonly role: string;
  grpc: string | null;
  http: string | null;
  child: SupervisedChild | undefined;
  /** For an external NATS (not supervised). */
  readonly external?: boolean;
}

/** How the drain went. */
export interface DrainResult {
  /** Every child exited within its grace, with code 0 or by the stop signal (no SIGKILL needed). */
  readonly clean: boolean;
  /** Per member: `exited` (code), `killed`, `not-running`; clean = exited 0 (or by the stop signal itself) or was not running. */
  readonly outcomes: ReadonlyArray<{ readonly name: string; readonly outcome: string; readonly code: number | null; readonly signal: string | null; readonly clean: boolean }>;
}

/** Splits `text` into lines of at most `width` characters at spaces (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0'; // a package without its package.json cannot happen in a checkout; keep going
  }
}

/** A running mesh. Create with {@link Mesh.start}; stop with {@link Mesh.drain} (or {@link Mesh.kill}). */
export class Mesh {
  readonly plan: MeshPlan;
  readonly log: LogStream;
  /** The NATS URL every service uses, or undefined without NATS. */
  natsUrl: string | undefined;
  /** Set when the local nats-server's configured port was taken and another was chosen. */
  natsPortNote: string | undefined;
  private readonly members: Member[] = [];
  private stateValue: MeshState['state'] = 'starting';
  private readonly startedAt = new Date().toISOString();
  private readonly version = packageVersion();
  private writing: Promise<void> = Promise.resolve();
  private drained: Promise<DrainResult> | undefined;

  /** The TLS files the probes use when the services run with TLS (`mlmesh up --tls`). */
  readonly tls: ProbeTls | undefined;

  /** The local nats-server's account file and the passwords in its environment (`mlmesh up --nats-auth`). */
  readonly natsAuth: { accountsFile: string; serverEnv: Readonly<Record<string, string>> } | undefined;

  private constructor(plan: MeshPlan, log: LogStream, tls?: ProbeTls, natsAuth?: Mesh['natsAuth']) {
    this.plan = plan;
    this.log = log;
    this.tls = tls;
    this.natsAuth = natsAuth;
  }

  /**
   * A mesh not started yet: {@link up} starts it, {@link drain} (at any time) stops it. `tls`:
   * the services run with TLS, probed with these files. `natsAuth`: the local nats-server
   * includes this account file and gets these variables (the services' credentials are in the
   * environment given to {@link up}).
   */
  static create(plan: MeshPlan, log: LogStream, opts: { tls?: ProbeTls; natsAuth?: Mesh['natsAuth'] } = {}): Mesh {
    return new Mesh(plan, log, opts.tls, opts.natsAuth);
  }

  /** {@link create} then {@link up}. */
  static async start(plan: MeshPlan, log: LogStream, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Mesh> {
    const mesh = new Mesh(plan, log);
    await mesh.up(opts.env ?? process.env);
    return mesh;
  }

  /**
   * Brings the mesh up: NATS, then each service healthy before the next. On any failure (or a
   * {@link drain} meanwhile) what was started is stopped again before it throws.
   * @param env environment the services inherit (the supervisor adds what it decided).
   * @throws MeshRunningError when a supervisor already runs from the same var folder;
   *   MeshConfigError when a configured port is taken or given twice; ServiceStartError when NATS
   *   or a service does not come up; MeshStoppedError when drained while starting.
   */
  async up(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    await takeOverVarDir(this.plan.varDir, this.log);
    try {
      await this.bringUp(env);
    } catch (e: unknown) {
      await this.drain();
      throw e;
    }
    this.stateValue = 'running';
    await this.saveState();
  }

  private checkNotStopped(): void {
    if (this.drained) throw new MeshStoppedError();
  }

  private restartPolicy(): RestartPolicy {
    const m = this.plan.mesh;
    return { delayMs: m.restartDelayMs, maxDelayMs: m.restartMaxDelayMs, resetMs: m.restartResetMs };
  }

  private async bringUp(env: NodeJS.ProcessEnv): Promise<void> {
    const { plan } = this;
    // Every port decided before anything starts: a clash is reported first, and a picked port
    // stays the service's address across restarts.
    const taken = new Set<number>();
    const ports = new Map<string, { grpc: number; http: number }>();
    for (const s of plan.services) {
      const grpc = await this.decidePort(s, 'grpcPort', s.grpcPort, taken);
      const http = s.httpPort < 0 ? -1 : await this.decidePort(s, 'httpPort', s.httpPort, taken);
      ports.set(s.entry.name, { grpc, http });
    }
    await this.startNats(taken);
    for (const s of plan.skipped.filter((k) => k.reason === 'needs NATS')) this.log.mesh('warn', `${s.name} not started: it needs NATS`);
    const configFile = await this.writeServiceConfig();
    for (const s of plan.services) {
      let p = ports.get(s.entry.name) as { grpc: number; http: number };
      for (let attempt = 1; ; attempt++) {
        this.checkNotStopped();
        const member = this.member(s, p);
        member.child = this.serviceChild(s, p, configFile, env);
        this.log.mesh('info', `starting ${s.entry.name}`, { grpc: member.grpc, http: member.http });
        await this.saveState();
        this.checkNotStopped();
        try {
          await member.child.start();
          break;
        } catch (e: unknown) {
          this.checkNotStopped();
          // A port we picked may have been taken between the pick and the bind: pick again.
          const raced = await this.racedPorts(s, p);
          if (!raced || attempt >= PORT_RACE_ATTEMPTS) throw e;
          for (const port of [p.grpc, p.http]) taken.delete(port);
          p = {
            grpc: s.grpcPort === 0 ? await pickFreePort(s.host, taken) : p.grpc,
            http: s.httpPort === 0 ? await pickFreePort(s.host, taken) : p.http,
          };
          taken.add(p.grpc).add(p.http);
          this.log.mesh('warn', `${s.entry.name}: a port picked for it was taken meanwhile; trying again on others`, p);
        }
      }
      await this.saveState();
    }
  }

  private member(s: PlannedService, p: { grpc: number; http: number }): Member {
    const host = connectHost(s.host);
    const existing = this.members.find((m) => m.name === s.entry.name);
    const m: Member = existing ?? { name: s.entry.name, role: s.entry.role, grpc: null, http: null, child: undefined };
    m.grpc = `${host}:${p.grpc}`;
    m.http = p.http >= 0 ? `${this.tls ? 'https' : 'http'}://${host}:${p.http}` : null;
    if (!existing) this.members.push(m);
    return m;
  }

  private async racedPorts(s: PlannedService, p: { grpc: number; http: number }): Promise<boolean> {
    if (s.grpcPort === 0 && !(await isPortFree(s.host, p.grpc))) return true;
    return s.httpPort === 0 && p.http >= 0 && !(await isPortFree(s.host, p.http));
  }

  private async decidePort(s: PlannedService, option: 'grpcPort' | 'httpPort', port: number, taken: Set<number>): Promise<number> {
    const where = `${s.entry.name}.${option} (env ${s.specs[option]?.env ?? '?'})`;
    if (port === 0) {
      const picked = await pickFreePort(s.host, taken);
      taken.add(picked);
      return picked;
    }
    if (taken.has(port)) throw new MeshConfigError(where, `port ${port} is given to another service of the mesh too`);
    if (!(await isPortFree(s.host, port))) {
      throw new MeshConfigError(where, `port ${port} on ${s.host} is in use (a mesh already running? \`mlmesh status\`). Free it, or set ${s.entry.name}.${option} in the mesh config (0 picks a free port)`);
    }
    taken.add(port);
    return port;
  }

  private async startNats(taken: Set<number>): Promise<void> {
    const { plan } = this;
    const nats = plan.nats;
    if (nats.mode === 'unneeded') return;
    if (nats.mode === 'none') {
      this.natsUrl = undefined;
      this.members.push({ name: NATS, role: 'NATS JetStream', grpc: null, http: null, child: undefined, external: true });
      this.announceNoNats(nats.reason);
      return;
    }
    if (nats.mode === 'external') {
      try {
        const info = await firstNatsInfo(nats.url, EXTERNAL_NATS_TIMEOUT_MS);
        if (!info.jetstream) this.log.mesh('warn', `NATS at ${info.host}:${info.port} has JetStream off: prediction logs and the monitor need it (nats-server -js)`);
        this.log.mesh('info', `using NATS ${nats.url} (nats-server ${info.version}); none is started`);
      } catch (e: unknown) {
        throw new ServiceStartError(NATS, `NATS_URL ${nats.url} does not answer: ${e instanceof Error ? e.message : String(e)}. Start it, or unset NATS_URL to let the mesh start its own`, [], { cause: e });
      }
      this.natsUrl = nats.url;
      this.members.push({ name: NATS, role: 'NATS JetStream', grpc: nats.url, http: null, child: undefined, external: true });
      return;
    }
    let port = nats.port;
    if (port === 0 || taken.has(port) || !(await isPortFree('127.0.0.1', port))) {
      const wanted = port;
      port = await pickFreePort('127.0.0.1', taken);
      if (wanted !== 0) {
        this.natsPortNote = `port ${wanted} is taken (another NATS?), so the mesh's nats-server listens on 127.0.0.1:${port}; set mesh.natsPort, or NATS_URL to use a running NATS`;
        this.log.mesh('warn', this.natsPortNote);
      }
    }
    taken.add(port);
    const files = natsFiles(plan.varDir);
    await writeNatsConfig(files, port, this.natsAuth?.accountsFile);
    const url = `nats://127.0.0.1:${port}`;
    const member: Member = { name: NATS, role: 'NATS JetStream', grpc: url, http: null, child: undefined };
    this.members.push(member);
    member.child = new SupervisedChild({
      name: NATS,
      command: nats.bin,
      args: ['-c', files.configFile],
      env: this.natsAuth ? { ...process.env, ...this.natsAuth.serverEnv } : process.env,
      cwd: plan.projectDir,
      probe: () => natsInfo('127.0.0.1', port, PROBE_TIMEOUT_MS).then((i) => i.jetstream, () => false),
      readyTimeoutMs: plan.mesh.readyTimeoutMs,
      graceMs: NATS_GRACE_MS,
      // nats-server exits 0 on SIGINT and 1 on SIGTERM; both shut it down the same way.
      stopSignal: 'SIGINT',
      restart: this.restartPolicy(),
      log: this.log,
      onChange: () => void this.saveState(),
    });
    this.log.mesh('info', `starting nats-server ${nats.bin}${this.natsAuth ? ' with one user per service (--nats-auth)' : ''}`, { url, config: files.configFile, store: files.storeDir });
    this.checkNotStopped();
    await member.child.start();
    this.natsUrl = url;
  }

  /** Says loudly that the mesh runs without NATS, why, and how to get it. */
  announceNoNats(reason: string): void {
    const off = this.plan.skipped.filter((s) => s.reason === 'needs NATS').map((s) => s.name);
    const lines = [
      'NO NATS: the mesh runs WITHOUT prediction logging' + (off.length ? ` and WITHOUT the ${off.join(', ')} (no drift detection)` : '') + '.',
      `Why: NATS_URL is not set and ${reason}.`,
      `To turn them on: ${NATS_HOWTO}; then start the mesh again.`,
    ];
    if (this.log.format === 'json') this.log.mesh('warn', lines.join(' '), { nats: 'none', reason, off });
    else {
      const wrapped = lines.flatMap((l) => wrap(l, BANNER_WIDTH));
      const bar = '!'.repeat(BANNER_WIDTH + 4);
      this.log.text([bar, ...wrapped.map((l) => `! ${l.padEnd(BANNER_WIDTH)} !`), bar].join('\n'));
    }
  }

  /** Writes `<varDir>/mesh/config.json`: every service's resolved options, the NATS URL filled in. */
  private async writeServiceConfig(): Promise<string> {
    const dir = join(this.plan.varDir, 'mesh');
    await mkdir(dir, { recursive: true });
    const out: Record<string, Record<string, unknown>> = {};
    for (const s of this.plan.services) {
      const config = { ...s.config };
      if (s.entry.natsOption) config[s.entry.natsOption] = this.natsUrl ?? '';
      out[s.entry.name] = config;
    }
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify(out, null, 2) + '\n');
    return file;
  }

  private serviceChild(s: PlannedService, p: { grpc: number; http: number }, configFile: string, baseEnv: NodeJS.ProcessEnv): SupervisedChild {
    const env: NodeJS.ProcessEnv = { ...baseEnv, MLMESH_CONFIG: configFile };
    // Environment variables win over the file in a service: the values the supervisor decided
    // (ports it picked, its NATS) go there too, under the names the service's own specs give.
    const grpcEnv = s.specs['grpcPort']?.env;
    const httpEnv = s.specs['httpPort']?.env;
    if (grpcEnv) env[grpcEnv] = String(p.grpc);
    if (httpEnv) env[httpEnv] = String(p.http);
    // Addresses of the services it calls, where they run now (unless the config names another).
    for (const [option, service] of Object.entries(s.entry.addressOptions ?? {})) {
      const spec = s.specs[option];
      const member = this.members.find((m) => m.name === service);
      if (spec && member?.grpc && JSON.stringify(s.config[option]) === JSON.stringify(spec.default)) env[spec.env] = member.grpc;
    }
    // Prometheus endpoints of the services it scrapes, likewise.
    for (const [option, service] of Object.entries(s.entry.metricsOptions ?? {})) {
      const spec = s.specs[option];
      const member = this.members.find((m) => m.name === service);
      if (spec && member?.http && JSON.stringify(s.config[option]) === JSON.stringify(spec.default)) env[spec.env] = `${member.http}/metrics`;
    }
    const natsEnv = s.entry.natsOption ? s.specs[s.entry.natsOption]?.env : undefined;
    if (natsEnv) {
      if (this.natsUrl) env[natsEnv] = this.natsUrl;
      else delete env[natsEnv];
    }
    const host = connectHost(s.host);
    const watch = pathToFileURL(join(projectRoot(), 'dist/tools/mesh/parent-watch.js')).href;
    return new SupervisedChild({
      name: s.entry.name,
      command: process.execPath,
      args: ['--enable-source-maps', '--import', watch, join(projectRoot(), s.entry.script)],
      env,
      cwd: this.plan.projectDir,
      probe: () => probeService(`${host}:${p.grpc}`, p.http >= 0 ? `${this.tls ? 'https' : 'http'}://${host}:${p.http}` : undefined, PROBE_TIMEOUT_MS, this.tls).then((h) => h.ready),
      readyTimeoutMs: this.plan.mesh.readyTimeoutMs,
      graceMs: s.graceMs + this.plan.mesh.stopTimeoutMs,
      restart: this.restartPolicy(),
      log: this.log,
      onChange: () => void this.saveState(),
    });
  }

  /** The status table's rows: NATS first, then the services in start order. */
  records(): ServiceRecord[] {
    return this.members.map((m) => ({
      name: m.name,
      role: m.role,
      pid: m.child?.pid ?? null,
      state: m.external ? (m.grpc ? 'external' : 'off') : (m.child?.state ?? 'idle'),
      grpc: m.grpc,
      http: m.http,
      restarts: m.child?.restarts ?? 0,
      startedAt: m.child?.startedAt ?? null,
      lastExit: m.child?.lastExit ?? null,
    }));
  }

  /** The state file's content now. */
  snapshot(): MeshState {
    return {
      format: STATE_FORMAT,
      state: this.stateValue,
      supervisorPid: process.pid,
      version: this.version,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      configFile: this.plan.configFile ?? null,
      projectDir: this.plan.projectDir,
      varDir: this.plan.varDir,
      natsUrl: this.natsUrl ?? null,
      natsMode: this.plan.nats.mode,
      tls: this.tls ?? null,
      services: this.records(),
    };
  }

  /** Queues a rewrite of the state file (writes are serialised; the last one wins). */
  saveState(): Promise<void> {
    this.writing = this.writing
      .then(() => writeState(this.plan.varDir, this.snapshot()))
      .catch((e: unknown) => this.log.mesh('error', `cannot write the state file: ${e instanceof Error ? e.message : String(e)}`));
    return this.writing;
  }

  /**
   * Graceful stop: each service in reverse start order gets SIGTERM and its grace (then
   * SIGKILL), NATS last. Idempotent.
   */
  drain(): Promise<DrainResult> {
    this.drained ??= (async () => {
      this.stateValue = 'stopping';
      await this.saveState();
      const outcomes: Array<{ name: string; outcome: string; code: number | null; signal: string | null; clean: boolean }> = [];
      for (const m of [...this.members].reverse()) {
        if (!m.child) continue;
        if (m.child.pid !== undefined) this.log.mesh('info', `stopping ${m.name} (${m.child.spec.stopSignal ?? 'SIGTERM'}, pid ${m.child.pid})`);
        const outcome = await m.child.stop();
        const exit = m.child.lastExit;
        if (outcome !== 'not-running') this.log.mesh(outcome === 'exited' && exit?.code === 0 ? 'info' : 'warn', `${m.name} stopped`, { outcome, exitCode: exit?.code ?? null, signal: exit?.signal ?? null });
        // Ended by the stop signal itself (a service still starting has no handler yet): as asked.
        const asked = outcome === 'exited' && (exit?.code === 0 || exit?.signal === (m.child.spec.stopSignal ?? 'SIGTERM'));
        outcomes.push({ name: m.name, outcome, code: exit?.code ?? null, signal: exit?.signal ?? null, clean: outcome === 'not-running' || asked });
      }
      this.stateValue = 'stopped';
      await this.saveState();
      const clean = outcomes.every((o) => o.clean);
      return { clean, outcomes };
    })();
    return this.drained;
  }

  /** Forced stop: SIGKILL to every child's process group now. */
  kill(): void {
    for (const m of this.members) m.child?.kill();
    this.stateValue = 'stopped';
    try {
      // Synchronous on purpose: the caller exits right after.
      const path = stateFilePath(this.plan.varDir);
      writeFileSync(`${path}.kill.tmp`, JSON.stringify(this.snapshot(), null, 2) + '\n');
      renameSync(`${path}.kill.tmp`, path);
    } catch {
      // Best effort: the next `mlmesh up` cleans up after a dead supervisor anyway.
    }
  }
}
