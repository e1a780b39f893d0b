/**
 * One supervised child process: a service or the local nats-server. It runs in its own process
 * group (so a terminal's Ctrl-C reaches only the supervisor, which stops children in order), its
 * stdout and stderr go line by line into the mesh's log stream, and once it has been healthy a
 * crash is followed by a restart after an exponential backoff. `stop()` sends SIGTERM to its
 * group and SIGKILL after its grace.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceStartError } from './errors.js';
import { lineSplitter } from './log-stream.js';
import type { LogStream } from './log-stream.js';

/** Lifecycle of a supervised child. */
export type ChildState = 'idle' | 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped';

/** Restart policy (see the mesh options restartDelayMs, restartMaxDelayMs, restartResetMs). */
export interface RestartPolicy {
  readonly delayMs: number;
  readonly maxDelayMs: number;
  readonly resetMs: number;
}

/** How to run and watch one child. */
export interface ChildSpec {
  /** Its name in logs and the state file. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** One readiness probe: resolves true when the child is healthy. Must not throw. */
  readonly probe: () => Promise<boolean>;
  /** How long a start (or restart) may take to become healthy, ms. */
  readonly readyTimeoutMs: number;
  /** After the stop signal, how long the child may take to exit before SIGKILL, ms. */
  readonly graceMs: number;
  /** The signal that asks it to stop gracefully. @default 'SIGTERM' */
  readonly stopSignal?: NodeJS.Signals;
  readonly restart: RestartPolicy;
  readonly log: LogStream;
  /** Called after every state change (the supervisor rewrites its state file). */
  readonly onChange?: () => void;
}

/** How the child last exited. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
  /** ISO time. */
  readonly at: string;
}

/** How often readiness is probed while a child starts, ms. */
const PROBE_INTERVAL_MS = 200;
/** Lines of output kept for error messages. */
const TAIL_LINES = 30;
/** After the process exits, how long its output pipes may take to drain, ms. */
const CLOSE_WAIT_MS = 2000;

/** The wait before restart number `crashesInRow` (1 = first crash): delay · 2^(n−1), capped. */
export function backoffDelay(policy: RestartPolicy, crashesInRow: number): number {
  return Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.max(0, crashesInRow - 1));
}

function describeExit(e: ExitInfo | undefined): string {
  if (!e) return 'exited';
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** One running process with its exit promises. */
interface Run {
  readonly proc: ChildProcess;
  /** Resolves when the process has exited (or failed to spawn). */
  readonly exited: Promise<void>;
  /** Resolves when it has exited and its output is drained (or CLOSE_WAIT_MS after exit). */
  readonly closed: Promise<void>;
  exitedFlag: boolean;
}

/** A supervised child process. */
export class SupervisedChild {
  readonly spec: ChildSpec;
  private stateValue: ChildState = 'idle';
  private run: Run | undefined;
  private restartsValue = 0;
  private crashesInRow = 0;
  private readySince: number | undefined;
  private startedAtValue: string | undefined;
  private lastExitValue: ExitInfo | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** True until the first start has succeeded: a failure then is the caller's, not a restart. */
  private initial = true;
  private readonly tailLines: string[] = [];

  constructor(spec: ChildSpec) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }
  get state(): ChildState {
    return this.stateValue;
  }
  /** pid of the running process (also its process group id), if any. */
  get pid(): number | undefined {
    return this.run && !this.run.exitedFlag ? this.run.proc.pid : undefined;
  }
  /** Restarts after crashes so far. */
  get restarts(): number {
    return this.restartsValue;
  }
  /** When the current process was started (ISO). */
  get startedAt(): string | undefined {
    return this.startedAtValue;
  }
  get lastExit(): ExitInfo | undefined {
    return this.lastExitValue;
  }
  /** The last lines of output. */
  get tail(): readonly string[] {
    return this.tailLines;
  }

  private setState(s: ChildState): void {
    this.stateValue = s;
    this.spec.onChange?.();
  }

  private spawnOnce(): Run {
    const { spec } = this;
    const proc = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.startedAtValue = new Date().toISOString();
    let onExited: () => void = () => undefined;
    let onClosed: () => void = () => undefined;
    const exited = new Promise<void>((r) => (onExited = r));
    const closed = new Promise<void>((r) => (onClosed = r));
    const run: Run = { proc, exited, closed, exitedFlag: false };
    const keep = (line: string): void => {
      this.tailLines.push(line);
      if (this.tailLines.length > TAIL_LINES) this.tailLines.shift();
    };
    for (const [stream, src] of [['stdout', proc.stdout], ['stderr', proc.stderr]] as const) {
      const split = lineSplitter((line) => {
        keep(line);
        spec.log.child(spec.name, stream, line);
      });
      src?.setEncoding('utf8');
      src?.on('data', (c: string) => split.push(c));
      src?.on('end', () => split.end());
    }
    // stdin stays open and unused: when the supervisor dies, it closes and the service drains
    // itself (tools/mesh/parent-watch.ts). EPIPE on it is expected once the child is gone.
    proc.stdin?.on('error', () => undefined);
    const finish = (code: number | null, signal: string | null): void => {
      if (run.exitedFlag) return;
      run.exitedFlag = true;
      this.lastExitValue = { code, signal, at: new Date().toISOString() };
      onExited();
      setTimeout(onClosed, CLOSE_WAIT_MS).unref();
      this.onExit(run);
    };
    proc.on('error', (err) => {
      // A spawn failure (ENOENT, EACCES) comes without an exit event.
      if (proc.pid === undefined) {
        keep(`cannot start ${spec.command}: ${err.message}`);
        finish(null, null);
        onClosed();
      }
    });
    proc.once('exit', (code, signal) => finish(code, signal));
    proc.once('close', () => onClosed());
    this.run = run;
    return run;
  }

  /** Probes until healthy; rejects when the process exits first or the timeout passes. */
  private async waitReady(run: Run): Promise<void> {
    const deadline = Date.now() + this.spec.readyTimeoutMs;
    for (;;) {
      if (run.exitedFlag) throw new Error(`${describeExit(this.lastExitValue)} before it was healthy`);
      if (await this.spec.probe()) {
        if (run.exitedFlag) continue;
        return;
      }
      if (Date.now() > deadline) throw new Error(`not healthy within ${this.spec.readyTimeoutMs} ms`);
      await Promise.race([sleep(PROBE_INTERVAL_MS), run.exited]);
    }
  }

  /**
   * Starts the child and waits until it is healthy. From then on a crash is restarted.
   * @throws ServiceStartError (with its last output) when it exits first or is not healthy in time
   *   (it is then killed).
   */
  async start(): Promise<void> {
    // stop() came first (the mesh is draining while it starts): never spawn after it.
    if (this.stopping) throw new ServiceStartError(this.name, 'stopped before it was started', []);
    this.setState('starting');
    const run = this.spawnOnce();
    try {
      await this.waitReady(run);
    } catch (e: unknown) {
      await this.killRun(run);
      this.setState('stopped');
      throw new ServiceStartError(this.name, e instanceof Error ? e.message : String(e), [...this.tailLines], { cause: e });
    }
    this.initial = false;
    this.readySince = Date.now();
    this.spec.log.mesh('info', `${this.name} is healthy`, { pid: run.proc.pid });
    this.setState('ready');
  }

  private onExit(run: Run): void {
    if (this.stopping || this.initial || this.run !== run) return;
    if (this.readySince !== undefined && Date.now() - this.readySince >= this.spec.restart.resetMs) this.crashesInRow = 0;
    this.readySince = undefined;
    this.crashesInRow++;
    const delayMs = backoffDelay(this.spec.restart, this.crashesInRow);
    this.spec.log.mesh('warn', `${this.name} ${describeExit(this.lastExitValue)}: restart ${this.restartsValue + 1} in ${delayMs} ms`, {
      exitCode: this.lastExitValue?.code ?? null,
      signal: this.lastExitValue?.signal ?? null,
      crashesInRow: this.crashesInRow,
      restart: this.restartsValue + 1,
      delayMs,
    });
    this.setState('backoff');
    this.backoffTimer = setTimeout(() => void this.restartNow(), delayMs);
  }

  private async restartNow(): Promise<void> {
    this.backoffTimer = undefined;
    if (this.stopping) return;
    this.restartsValue++;
    this.setState('starting');
    const run = this.spawnOnce();
    try {
      await this.waitReady(run);
    } catch (e: unknown) {
      if (this.stopping) return;
      this.spec.log.mesh('error', `${this.name} restart ${this.restartsValue} failed: ${e instanceof Error ? e.message : String(e)}`);
      // Not healthy in time: kill it; its exit schedules the next restart. Exited: already scheduled.
      if (!run.exitedFlag) this.signalGroup(run, 'SIGKILL');
      return;
    }
    if (this.stopping) return;
    this.readySince = Date.now();
    this.spec.log.mesh('info', `${this.name} is healthy again after restart ${this.restartsValue}`, { pid: run.proc.pid, restarts: this.restartsValue });
    this.setState('ready');
  }

  private signalGroup(run: Run, signal: NodeJS.Signals): void {
    const pid = run.proc.pid;
    if (pid === undefined || run.exitedFlag) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone (or was never made): signal the process itself.
      try {
        run.proc.kill(signal);
      } catch {
        // already exited
      }
    }
  }

  private async killRun(run: Run): Promise<void> {
    this.signalGroup(run, 'SIGKILL');
    await run.closed;
  }

  /**
   * Stops the child: no more restarts; the stop signal (SIGTERM) to its process group, SIGKILL
   * after `graceMs`.
   * Resolves with how it ended: `exited` (by itself after SIGTERM), `killed`, or `not-running`.
   */
  async stop(): Promise<'exited' | 'killed' | 'not-running'> {
    this.stopping = true;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    const run = this.run;
    if (!run || run.exitedFlag) {
      this.setState('stopped');
      return 'not-running';
    }
    this.setState('stopping');
    const signal = this.spec.stopSignal ?? 'SIGTERM';
    this.signalGroup(run, signal);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), this.spec.graceMs);
    });
    const outcome = await Promise.race([run.exited.then(() => 'exited' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.spec.log.mesh('warn', `${this.name} did not exit within ${this.spec.graceMs} ms of ${signal}: SIGKILL`);
      this.signalGroup(run, 'SIGKILL');
    }
    await run.closed;
    this.setState('stopped');
    return outcome === 'timeout' ? 'killed' : 'exited';
  }

  /** SIGKILL to the child's group now (a forced stop); no restart follows. */
  kill(): void {
    this.stopping = true;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    if (this.run) this.signalGroup(this.run, 'SIGKILL');
  }
}
