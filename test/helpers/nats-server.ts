/**
 * Test helper that runs a private `nats-server` process on a free port.
 *
 * Modelled on nats.js's `nst/src/launcher.ts`: write a config file with
 * `port: -1` and `ports_file_dir`, spawn `nats-server -c <conf>`, wait for the
 * ports file to learn the real client port, then probe until the server sends
 * its `INFO` line. `restart()` re-uses the concrete port and the JetStream
 * store dir, so JetStream data survives and reconnecting clients come back.
 *
 * The binary is `nats-server` from `PATH` (Debian: `/usr/sbin/nats-server`),
 * or whatever `NATS_SERVER_BIN` points to.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants as fsConstants, rmSync } from 'node:fs';
import { access, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link NatsServer.start}. */
export interface NatsServerOptions {
  /** Enable JetStream (file storage in {@link NatsServerOptions.storeDir}). Default `true`. */
  jetstream?: boolean;
  /**
   * Client port. Default `-1`: nats-server picks a free port itself and the
   * helper reads it back from the ports file. `restart()` always re-uses the
   * port actually chosen.
   */
  port?: number;
  /**
   * JetStream store directory. Default: a fresh temp dir, removed by
   * `dispose()` unless {@link NatsServerOptions.keepStoreDir} is set. A dir
   * given here is never removed by the helper.
   */
  storeDir?: string;
  /** Keep the default temp store dir on `dispose()`. Default `false`. */
  keepStoreDir?: boolean;
  /** Also open the HTTP monitoring endpoint on `127.0.0.1` (random port). Default `false`. */
  monitoring?: boolean;
  /** Turn on server debug logging and mirror the server log to this process's stderr. Default `false`. */
  debug?: boolean;
  /** How long to wait for the server to become ready, in milliseconds. Default `10000`. */
  startTimeoutMs?: number;
  /**
   * A config file to include (e.g. deploy/nats/mlmesh-accounts.conf: accounts, users,
   * permissions): copied beside the generated config at every start (nats-server resolves
   * includes relative to the including file) and included after its settings. Default: none.
   */
  include?: string;
  /** Variables added to the server's environment (the `$VAR` references of an included file). Default: none. */
  env?: Record<string, string>;
  /** `server_name` (JetStream in a cluster needs one per server). Default: none (nats-server uses its id). */
  serverName?: string;
  /**
   * Join a cluster: a `cluster {}` block listening on `127.0.0.1:<port>` with these routes (the
   * port must be concrete, so that peers can route to it and `restart()` comes back on it; see
   * {@link NatsCluster} in nats-cluster.ts). Default: none, a standalone server.
   */
  cluster?: ClusterOptions;
}

/** The `cluster {}` block of a server in a cluster. */
export interface ClusterOptions {
  /** Cluster name, the same on every server. */
  name: string;
  /** Route port on 127.0.0.1 (concrete, 1–65535). */
  port: number;
  /** Route URLs of the peers (may include this server's own, as the Kubernetes nats.conf does). */
  routes: readonly string[];
}

/** Default wait for the server to become ready, in milliseconds. */
export const DEFAULT_START_TIMEOUT_MS = 10_000;
/** Grace period between SIGTERM and SIGKILL in `stop()`, in milliseconds. */
export const STOP_GRACE_MS = 5_000;
/** Number of server log lines kept for error messages. */
const LOG_LINES_KEPT = 40;
const HOST = '127.0.0.1';

/** Children still running, killed with SIGKILL if this process exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
/** Temp dirs of servers not yet disposed, removed (best effort) on process exit. */
const liveTempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: signal the children and remove dirs.
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of liveTempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function missingBinaryError(looked: string): Error {
  return new Error(
    `nats-server binary not found or not executable (looked for ${looked}). ` +
      'Install it with `apt-get install nats-server`, or set NATS_SERVER_BIN to the path of a nats-server v2 binary.',
  );
}

/**
 * Resolves the nats-server binary: `NATS_SERVER_BIN` if set (read once,
 * synchronously, by the caller), else `nats-server` on `PATH`, else
 * `/usr/sbin/nats-server`.
 */
async function resolveBinary(envBin: string | undefined): Promise<string> {
  if (envBin !== undefined && envBin !== '') {
    if (await isExecutable(envBin)) return envBin;
    throw missingBinaryError(`NATS_SERVER_BIN=${JSON.stringify(envBin)}`);
  }
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => isAbsolute(d));
  for (const dir of [...dirs, '/usr/sbin', '/usr/local/bin']) {
    const candidate = join(dir, 'nats-server');
    if (await isExecutable(candidate)) return candidate;
  }
  throw missingBinaryError('"nats-server" on PATH and in /usr/sbin');
}

interface ServerConfig {
  port: number;
  jetstream: boolean;
  storeDir: string;
  portsDir: string;
  monitoringPort: number | undefined; // -1 = random
  debug: boolean;
  include: string | undefined; // file name beside the config
  serverName: string | undefined;
  cluster: ClusterOptions | undefined;
}

function renderConfig(c: ServerConfig): string {
  const lines = [
    '# written by test/helpers/nats-server.ts',
    `port: ${c.port}`,
    `host: ${JSON.stringify(HOST)}`,
    `ports_file_dir: ${JSON.stringify(c.portsDir)}`,
  ];
  if (c.serverName !== undefined) lines.push(`server_name: ${JSON.stringify(c.serverName)}`);
  if (c.monitoringPort !== undefined) lines.push(`http: ${JSON.stringify(`${HOST}:${c.monitoringPort}`)}`);
  if (c.debug) lines.push('debug: true');
  if (c.jetstream) lines.push('jetstream {', `  store_dir: ${JSON.stringify(c.storeDir)}`, '}');
  if (c.cluster !== undefined) {
    lines.push(
      'cluster {',
      `  name: ${JSON.stringify(c.cluster.name)}`,
      `  listen: ${JSON.stringify(`${HOST}:${c.cluster.port}`)}`,
      `  routes: [${c.cluster.routes.map((r) => JSON.stringify(r)).join(', ')}]`,
      '}',
    );
  }
  if (c.include !== undefined) lines.push(`include ${JSON.stringify(c.include)}`);
  return lines.join('\n') + '\n';
}

function portOf(url: string | undefined): number | undefined {
  if (url === undefined) return undefined;
  const m = /:(\d+)\/?$/.exec(url);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Resolves once a TCP connection to host:port receives a NATS `INFO` line; rejects otherwise. */
function probeInfo(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host, port });
    let buf = '';
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error('probe timed out')), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.startsWith('INFO ')) done();
      else if (buf.length >= 5) done(new Error(`unexpected greeting: ${buf.slice(0, 40)}`));
    });
    sock.on('error', (err) => done(err));
    sock.on('close', () => done(new Error('connection closed before INFO')));
  });
}

/** One running nats-server process and its log tail. */
interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * A private nats-server for tests. Create with {@link NatsServer.start};
 * always `dispose()` it (or `await using`).
 */
export class NatsServer implements AsyncDisposable {
  /** Interface the server listens on: always `127.0.0.1`. */
  readonly host = HOST;
  /** `server_name`, or `undefined` when not set. */
  get serverName(): string | undefined {
    return this.#serverName;
  }

  /** Whether JetStream is enabled. */
  readonly jetstream: boolean;
  /** JetStream store directory (kept across `restart()`). */
  readonly storeDir: string;
  /** Temp dir holding the config file and the ports file. */
  readonly tempDir: string;
  /** Path of the generated config file. */
  readonly configFile: string;

  #bin: string;
  #port: number;
  #monitoringPort: number | undefined;
  #debug: boolean;
  #startTimeoutMs: number;
  #include: string | undefined;
  #env: Record<string, string>;
  #serverName: string | undefined;
  #cluster: ClusterOptions | undefined;
  #removeStoreDir: boolean;
  #running: Running | undefined;
  #stopping: Promise<void> | undefined;
  #disposed = false;
  #log: string[] = [];
  #partialLine = '';

  private constructor(init: {
    bin: string;
    tempDir: string;
    storeDir: string;
    removeStoreDir: boolean;
    jetstream: boolean;
    port: number;
    monitoring: boolean;
    debug: boolean;
    startTimeoutMs: number;
    include: string | undefined;
    env: Record<string, string>;
    serverName: string | undefined;
    cluster: ClusterOptions | undefined;
  }) {
    this.#bin = init.bin;
    this.tempDir = init.tempDir;
    this.configFile = join(init.tempDir, 'nats-server.conf');
    this.storeDir = init.storeDir;
    this.#removeStoreDir = init.removeStoreDir;
    this.jetstream = init.jetstream;
    this.#port = init.port;
    this.#monitoringPort = init.monitoring ? -1 : undefined;
    this.#debug = init.debug;
    this.#startTimeoutMs = init.startTimeoutMs;
    this.#include = init.include;
    this.#env = init.env;
    this.#serverName = init.serverName;
    this.#cluster = init.cluster;
  }

  /**
   * Starts a nats-server and waits until it accepts client connections.
   *
   * @param opts see {@link NatsServerOptions}; all optional.
   * @returns the running server.
   * @throws Error if the binary is missing (message mentions
   *   `apt-get install nats-server` and `NATS_SERVER_BIN`), if the process
   *   exits before it is ready (message includes the last log lines), or if
   *   it is not ready within `startTimeoutMs` (the process is killed).
   */
  static async start(opts: NatsServerOptions = {}): Promise<NatsServer> {
    // Read the env before the first await so callers may restore it right after calling.
    const envBin = process.env['NATS_SERVER_BIN'];
    const bin = await resolveBinary(envBin);
    const startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    if (!(startTimeoutMs > 0)) throw new RangeError(`startTimeoutMs must be > 0, got ${startTimeoutMs}`);
    const port = opts.port ?? -1;
    if (!Number.isInteger(port) || port < -1 || port > 65535) throw new RangeError(`invalid port ${port}`);
    const cluster = opts.cluster;
    if (cluster !== undefined) {
      if (!Number.isInteger(cluster.port) || cluster.port < 1 || cluster.port > 65535) throw new RangeError(`cluster.port: expected a concrete port 1-65535, got ${cluster.port}`);
      if (cluster.name === '') throw new RangeError('cluster.name: must not be empty');
    }

    installExitHook();
    const tempDir = await mkdtemp(join(tmpdir(), 'mlmesh-nats-'));
    liveTempDirs.add(tempDir);
    let storeDir = opts.storeDir;
    const removeStoreDir = storeDir === undefined && opts.keepStoreDir !== true;
    if (storeDir === undefined) {
      storeDir = await mkdtemp(join(tmpdir(), 'mlmesh-nats-js-'));
      if (removeStoreDir) liveTempDirs.add(storeDir);
    }
    const server = new NatsServer({
      bin,
      tempDir,
      storeDir,
      removeStoreDir,
      jetstream: opts.jetstream ?? true,
      port,
      monitoring: opts.monitoring ?? false,
      debug: opts.debug ?? false,
      startTimeoutMs,
      include: opts.include,
      env: opts.env ?? {},
      serverName: opts.serverName,
      cluster,
    });
    try {
      await server.#launch();
    } catch (err) {
      await server.dispose();
      throw err;
    }
    return server;
  }

  /** The real client port (stable across `restart()`). */
  get port(): number {
    return this.#port;
  }

  /** Client URL, `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://${this.host}:${this.#port}`;
  }

  /** The HTTP monitoring URL, or `undefined` unless started with `monitoring: true`. */
  get monitoringUrl(): string | undefined {
    return this.#monitoringPort === undefined || this.#monitoringPort < 0
      ? undefined
      : `http://${this.host}:${this.#monitoringPort}`;
  }

  /** PID of the current nats-server process, or `undefined` while stopped. */
  get pid(): number | undefined {
    return this.#running?.child.pid;
  }

  /** Whether a server process is currently running. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** The last lines (up to 40) of the server's log (its stderr), oldest first. */
  get logTail(): string[] {
    return this.#partialLine === '' ? [...this.#log] : [...this.#log, this.#partialLine];
  }

  /**
   * Stops the server: SIGTERM, then SIGKILL if it has not exited after
   * {@link STOP_GRACE_MS} (5000 ms). Idempotent; concurrent calls share one
   * stop. Temp dirs are kept so that `restart()` works; see `dispose()`.
   */
  async stop(): Promise<void> {
    await this.#terminate('SIGTERM');
  }

  /**
   * Kills the server with SIGKILL (simulates a crash) and waits for it to exit.
   * Idempotent. The store dir is kept, so `restart()` recovers from it.
   */
  async kill(): Promise<void> {
    await this.#terminate('SIGKILL');
  }

  /**
   * Stops the server (if running) and starts it again on the same port with
   * the same store dir, so JetStream data survives and clients with reconnect
   * enabled come back. Also works after `stop()` or `kill()`.
   *
   * @throws Error if the server was disposed, or on the same start failures as
   *   {@link NatsServer.start} (e.g. the port was taken meanwhile).
   */
  async restart(): Promise<void> {
    if (this.#disposed) throw new Error('NatsServer.restart(): server was disposed');
    await this.stop();
    await this.#launch();
  }

  /**
   * Stops the server and removes its temp dirs (config, ports file, and the
   * default store dir unless `keepStoreDir`). Idempotent; never throws for
   * cleanup failures.
   */
  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.stop();
    await rm(this.tempDir, { recursive: true, force: true }).catch(() => undefined);
    liveTempDirs.delete(this.tempDir);
    if (this.#removeStoreDir) {
      await rm(this.storeDir, { recursive: true, force: true }).catch(() => undefined);
      liveTempDirs.delete(this.storeDir);
    }
  }

  /** Same as {@link NatsServer.dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #appendLog(chunk: string): void {
    const text = this.#partialLine + chunk;
    const parts = text.split('\n');
    this.#partialLine = parts.pop() ?? '';
    for (const line of parts) {
      this.#log.push(line);
      if (this.#debug) process.stderr.write(`[nats-server :${this.#port}] ${line}\n`);
    }
    if (this.#log.length > LOG_LINES_KEPT) this.#log.splice(0, this.#log.length - LOG_LINES_KEPT);
  }

  #failure(what: string): Error {
    const tail = this.logTail;
    return new Error(
      `nats-server (${this.#bin}, config ${this.configFile}) ${what}.` +
        (tail.length > 0 ? `\nLast log lines:\n${tail.join('\n')}` : '\n(no log output)'),
    );
  }

  async #launch(): Promise<void> {
    if (this.#running) throw new Error('NatsServer: already running');
    const included = this.#include === undefined ? undefined : 'included.conf';
    if (this.#include !== undefined) await copyFile(this.#include, join(this.tempDir, 'included.conf'));
    await writeFile(
      this.configFile,
      renderConfig({
        port: this.#port,
        jetstream: this.jetstream,
        storeDir: this.storeDir,
        portsDir: this.tempDir,
        monitoringPort: this.#monitoringPort,
        debug: this.#debug,
        include: included,
        serverName: this.#serverName,
        cluster: this.#cluster,
      }),
    );
    this.#log = [];
    this.#partialLine = '';

    const child = spawn(this.#bin, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.#env } });
    const running: Running = { child, exited: Promise.resolve(), exitInfo: undefined };
    let spawnError: Error | undefined;
    running.exited = new Promise<void>((resolve) => {
      // 'on', not 'once': a failed kill() also emits 'error' and must not crash the test process.
      child.on('error', (err) => {
        if (child.pid !== undefined) return; // a failed signal to a live process; nothing to do
        spawnError ??= err;
        running.exitInfo ??= { code: null, signal: null };
        resolve();
      });
      // 'close', not 'exit': it comes after stdout/stderr are drained, so the log is complete.
      child.once('close', (code, signal) => {
        running.exitInfo = { code, signal };
        resolve();
      });
    });
    void running.exited.then(() => {
      liveChildren.delete(child);
      if (this.#running === running) this.#running = undefined;
    });
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => this.#appendLog(c));
    child.stderr?.on('data', (c: string) => this.#appendLog(c));
    // Don't let a forgotten server keep the test process alive; the exit hook kills it.
    child.unref();
    for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    liveChildren.add(child);
    this.#running = running;

    const deadline = Date.now() + this.#startTimeoutMs;
    try {
      const { port, monitoringPort } = await this.#waitForPortsFile(running, deadline);
      this.#port = port;
      if (monitoringPort !== undefined) this.#monitoringPort = monitoringPort;
      await this.#waitForProbe(running, deadline);
    } catch (err) {
      await this.#terminate('SIGKILL');
      if (spawnError !== undefined) {
        const code = (spawnError as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES') throw missingBinaryError(JSON.stringify(this.#bin));
        throw this.#failure(`could not be spawned: ${spawnError.message}`);
      }
      throw err;
    }
  }

  #checkAlive(running: Running, phase: string): void {
    if (running.exitInfo !== undefined) {
      const { code, signal } = running.exitInfo;
      throw this.#failure(`exited (code ${code}, signal ${signal}) ${phase}`);
    }
  }

  async #waitForPortsFile(
    running: Running,
    deadline: number,
  ): Promise<{ port: number; monitoringPort: number | undefined }> {
    const pid = running.child.pid;
    const suffix = `_${pid}.ports`;
    for (;;) {
      this.#checkAlive(running, 'before writing its ports file');
      if (pid !== undefined) {
        const name = (await readdir(this.tempDir)).find((f) => f.endsWith(suffix));
        if (name !== undefined) {
          try {
            const ports = JSON.parse(await readFile(join(this.tempDir, name), 'utf8')) as {
              nats?: string[];
              monitoring?: string[];
            };
            const port = portOf(ports.nats?.[0]);
            if (port !== undefined) return { port, monitoringPort: portOf(ports.monitoring?.[0]) };
          } catch {
            // partially written; retry
          }
        }
      }
      if (Date.now() > deadline) {
        throw this.#failure(`did not write its ports file within ${this.#startTimeoutMs} ms`);
      }
      await sleep(20);
    }
  }

  async #waitForProbe(running: Running, deadline: number): Promise<void> {
    let lastErr: unknown;
    for (;;) {
      this.#checkAlive(running, 'before accepting connections');
      try {
        await probeInfo(this.host, this.#port, Math.max(100, Math.min(1000, deadline - Date.now())));
        this.#checkAlive(running, 'right after accepting a connection');
        return;
      } catch (err) {
        lastErr = err;
      }
      if (Date.now() > deadline) {
        const why = lastErr instanceof Error ? lastErr.message : String(lastErr);
        throw this.#failure(`did not accept connections on ${this.url} within ${this.#startTimeoutMs} ms (${why})`);
      }
      await sleep(20);
    }
  }

  #terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const running = this.#running;
    if (running === undefined) return this.#stopping ?? Promise.resolve();
    if (signal === 'SIGKILL') {
      running.child.kill('SIGKILL');
    } else if (this.#stopping !== undefined) {
      return this.#stopping;
    }
    const stopping = (async () => {
      if (signal === 'SIGTERM') running.child.kill('SIGTERM');
      const grace = setTimeout(() => running.child.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        await running.exited;
      } finally {
        clearTimeout(grace);
        if (this.#running === running) this.#running = undefined;
        liveChildren.delete(running.child);
      }
    })();
    this.#stopping = stopping;
    void stopping.finally(() => {
      if (this.#stopping === stopping) this.#stopping = undefined;
    });
    return stopping;
  }
}
