/**
 * The training job: the model's `retraining.command` run as a child process in its own process
 * group, so that a timeout, a cancel or a restarted retrainer can kill the whole tree (a Python
 * trainer's DataLoader workers included). The command's contract: read the dataset named by
 * `{dataset}`, write `{output}/model.onnx` and `{output}/metrics.json` (a JSON object), and
 * optionally a drift reference in `{output}/reference/` (reference.json, inputs.npy, outputs.npy).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { TrainingResult } from './types.js';

/** Placeholders a training command may use. */
export const COMMAND_PLACEHOLDERS = ['dataset', 'output', 'seed', 'model', 'parent_version', 'run_id'] as const;

/** Delay between SIGTERM and SIGKILL of a job's process group, in ms. */
export const KILL_GRACE_MS = 5_000;

/** Log lines kept for the message of a failed job. */
export const TAIL_LINES = 20;

/** Why a training job failed ('api': the Kubernetes API refused or failed a call of the Job runner). */
export type TrainingErrorKind = 'spawn' | 'exit' | 'timeout' | 'cancelled' | 'contract' | 'api';

/** A training job that did not produce a model. */
export class TrainingError extends Error {
  /** What went wrong: the command could not start, exited non-zero, ran too long, was cancelled, broke the output contract, or the Kubernetes API failed. */
  readonly kind: TrainingErrorKind;
  /** The exit code (kind 'exit'), else null. */
  readonly exitCode: number | null;
  /** The signal that ended the process, when one did. */
  readonly signal: NodeJS.Signals | null;

  constructor(kind: TrainingErrorKind, message: string, opts: { exitCode?: number | null; signal?: NodeJS.Signals | null; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'TrainingError';
    this.kind = kind;
    this.exitCode = opts.exitCode ?? null;
    this.signal = opts.signal ?? null;
  }
}

/**
 * Fills the placeholders `{dataset}` `{output}` `{seed}` `{model}` `{parent_version}` `{run_id}`
 * of a command template (anywhere inside an argument, several per argument allowed).
 * @throws InvalidArgumentError naming an unknown placeholder, or a known one without a value.
 */
export function fillCommand(template: readonly string[], values: Readonly<Record<string, string>>): string[] {
  if (template.length === 0) throw new InvalidArgumentError('retraining.command: must name a program', { field: 'retraining.command' });
  return template.map((arg, i) =>
    arg.replace(/\{([^{}]*)\}/g, (_, name: string) => {
      const field = `retraining.command[${i}]`;
      if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new InvalidArgumentError(`${field}: unknown placeholder {${name}} (known: ${COMMAND_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`, { field });
      }
      const v = values[name];
      if (v === undefined) throw new InvalidArgumentError(`${field}: no value for placeholder {${name}}`, { field });
      return v;
    }),
  );
}

/**
 * Sends `signal` to a process group (the job's pid is its group id, as `runTraining` spawns it
 * detached). Used by a restarted retrainer to end a job its predecessor left running.
 * @returns false when no such group exists (ESRCH); true when the signal was sent.
 * @throws the system error for anything else (e.g. EPERM).
 */
export function killProcessGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!Number.isInteger(pid) || pid <= 1) throw new InvalidArgumentError(`pid: must be an integer > 1, got ${pid}`, { field: 'pid' });
  try {
    process.kill(-pid, signal);
    return true;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** A training job to run. */
export interface TrainingJob {
  /** argv, placeholders already filled ({@link fillCommand}). */
  command: string[];
  /** Working directory (the model's folder). */
  cwd: string;
  /** The folder the job writes into (created when missing). */
  outputDir: string;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Longest run before the job is killed, in ms. */
  timeoutMs: number;
  /** Extra environment variables (added to the retrainer's own). */
  env?: Record<string, string>;
  /** Aborting kills the job (TrainingError kind 'cancelled'). */
  signal?: AbortSignal;
  /** Each output line (stdout and stderr, without the newline), in order. */
  onLine?: (line: string) => void;
  /** Called with the pid (= process group id) once the job started. */
  onSpawn?: (pid: number) => void;
  /** SIGTERM → SIGKILL delay, in ms. @default KILL_GRACE_MS */
  killGraceMs?: number;
}

/** Flattens a JSON object to numbers: nested objects joined with dots, everything else dropped. */
export function flattenMetrics(obj: Record<string, unknown>, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (typeof v === 'boolean') out[key] = v ? 1 : 0;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenMetrics(v as Record<string, unknown>, `${key}.`, out);
  }
  return out;
}

const exists = (p: string): Promise<boolean> => stat(p).then((s) => s.isFile(), () => false);

/**
 * Checks what a job left behind in its output folder (the same for every runner).
 * @throws TrainingError kind 'contract' naming the missing or bad file.
 */
export async function collectOutput(outputDir: string, durationMs: number): Promise<TrainingResult> {
  const modelPath = join(outputDir, 'model.onnx');
  if (!(await exists(modelPath))) throw new TrainingError('contract', `the training command exited 0 but wrote no ${modelPath}`);
  const metricsPath = join(outputDir, 'metrics.json');
  let text: string;
  try {
    text = await readFile(metricsPath, 'utf8');
  } catch (e: unknown) {
    throw new TrainingError('contract', `the training command exited 0 but wrote no ${metricsPath}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e: unknown) {
    throw new TrainingError('contract', `${metricsPath}: not JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TrainingError('contract', `${metricsPath}: must hold a JSON object`);
  const refDir = join(outputDir, 'reference');
  return {
    modelPath,
    metrics: flattenMetrics(parsed as Record<string, unknown>),
    referenceDir: (await exists(join(refDir, 'reference.json'))) ? refDir : undefined,
    durationMs,
  };
}

/**
 * Runs a training job to its end and checks its output contract.
 * @returns the model, its flattened metrics and its reference folder.
 * @throws TrainingError: 'spawn' (the program cannot start), 'exit' (non-zero exit or a signal;
 *   the message holds the last log lines), 'timeout', 'cancelled' (the process group was
 *   SIGTERMed, then SIGKILLed after the grace), 'contract' (no model.onnx / metrics.json);
 *   InvalidArgumentError for an empty command or a timeout that is not positive.
 */
export async function runTraining(job: TrainingJob): Promise<TrainingResult> {
  const program = job.command[0];
  if (program === undefined) throw new InvalidArgumentError('command: must name a program', { field: 'command' });
  if (!(job.timeoutMs > 0)) throw new InvalidArgumentError(`timeoutMs: must be a positive number of ms, got ${job.timeoutMs}`, { field: 'timeoutMs' });
  if (job.signal?.aborted) throw new TrainingError('cancelled', 'the training job was cancelled before it started');
  const outputDir = resolve(job.outputDir);
  await mkdir(outputDir, { recursive: true });
  await mkdir(dirname(job.logFile), { recursive: true });
  const log = createWriteStream(job.logFile, { flags: 'a' });
  await new Promise<void>((ok, fail) => log.once('open', () => ok()).once('error', fail));
  // A log file that stops taking writes (disk full) must not crash the retrainer: the lines still
  // reach onLine, and the job's own outputs decide its result.
  log.on('error', () => undefined);
  const started = performance.now();
  const tail: string[] = [];
  const child = spawn(program, job.command.slice(1), {
    cwd: job.cwd,
    env: { ...process.env, ...job.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = (l: string): void => {
    tail.push(l);
    if (tail.length > TAIL_LINES) tail.shift();
    job.onLine?.(l);
  };
  const splitter = (): ((chunk: Buffer | null) => void) => {
    let rest = '';
    return (chunk) => {
      if (chunk === null) {
        if (rest !== '') line(rest);
        rest = '';
        return;
      }
      log.write(chunk);
      const parts = (rest + chunk.toString('utf8')).split(/\r?\n/);
      rest = parts.pop() ?? '';
      for (const p of parts) line(p);
    };
  };
  const out = splitter();
  const err = splitter();
  child.stdout.on('data', out);
  child.stderr.on('data', err);
  child.stdout.on('end', () => out(null));
  child.stderr.on('end', () => err(null));

  let ended: 'timeout' | 'cancelled' | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancelled'): void => {
    if (ended || child.pid === undefined) return;
    ended = why;
    // Signal the whole group: the job's own children must not outlive it.
    try {
      killProcessGroup(child.pid, 'SIGTERM');
    } catch {
      // EPERM cannot happen for our own child; the SIGKILL below is the backstop anyway.
    }
    killTimer = setTimeout(() => {
      if (child.pid !== undefined) killProcessGroup(child.pid, 'SIGKILL');
    }, job.killGraceMs ?? KILL_GRACE_MS);
  };
  const timer = setTimeout(() => stop('timeout'), job.timeoutMs);
  const onAbort = (): void => stop('cancelled');
  job.signal?.addEventListener('abort', onAbort, { once: true });
  // An abort between the first check and here (the folders and the log file were awaited) fired
  // no listener: act on it now.
  if (job.signal?.aborted) stop('cancelled');

  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok, fail) => {
      child.once('error', (e) => fail(new TrainingError('spawn', `cannot start ${program}: ${e.message}`, { cause: e })));
      child.once('exit', (code, signal) => ok({ code, signal }));
      if (child.pid !== undefined) job.onSpawn?.(child.pid);
    });
    // The leader is gone; members of its group may not be (a grandchild that ignores SIGTERM, or
    // a background process holding our pipes open): the job is over, none may survive it.
    if (child.pid !== undefined) killProcessGroup(child.pid, 'SIGKILL');
    // Every line written before the exit is seen once the pipes end.
    await Promise.all([child.stdout, child.stderr].map((s) => (s.readableEnded || s.destroyed ? Promise.resolve() : new Promise<void>((ok) => s.once('close', () => ok())))));
    const durationMs = Math.round(performance.now() - started);
    const lastLines = tail.length > 0 ? `; last output:\n${tail.join('\n')}` : '';
    if (ended === 'timeout') throw new TrainingError('timeout', `the training job ran longer than ${job.timeoutMs} ms and was killed${lastLines}`, { signal: exit.signal });
    if (ended === 'cancelled') throw new TrainingError('cancelled', 'the training job was cancelled', { signal: exit.signal });
    if (exit.code !== 0) {
      const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new TrainingError('exit', `the training command ${how}${lastLines}`, { exitCode: exit.code, signal: exit.signal });
    }
    return await collectOutput(outputDir, durationMs);
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    job.signal?.removeEventListener('abort', onAbort);
    await new Promise<void>((ok) => log.end(() => ok()));
  }
}
