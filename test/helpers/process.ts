/** Runs mlmesh entry points as real child processes and reads their JSON log lines. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';

/**
 * The fields of /proc/<pid>/stat after the command name (Linux): [0] is the state (`R`, `S`,
 * `T` stopped, `Z`...), [1] the parent pid, [2] the process group, [11] and [12] utime and
 * stime in clock ticks. The name may hold spaces, so the split starts after its closing
 * parenthesis. @throws Error when the process does not exist.
 */
export function procStat(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A child process with its output collected line by line. */
export interface Child {
  proc: ChildProcessWithoutNullStreams;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first stdout JSON record (already received or to come) for which `match` is true. */
  waitForLog(match: (rec: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/** A JSON log line as a record, or undefined for a plain text line. */
function asRecord(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Starts `node dist/<script>` with `env` added to the environment. */
export function runNode(script: string, args: readonly string[] = [], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--enable-source-maps', join(projectRoot(), 'dist', script), ...args], {
    cwd: projectRoot(),
    // NATS_URL from the machine's environment must not turn prediction logging on by accident.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NATS_URL')), ...env },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { match: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }[] = [];
  const lines = (sink: string[], onLine?: (l: string) => void) => {
    let buf = '';
    return (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        sink.push(line);
        onLine?.(line);
      }
    };
  };
  proc.stdout.on(
    'data',
    lines(stdout, (line) => {
      const rec = asRecord(line);
      if (!rec) return; // plain text line: kept in stdout, not a log record
      for (const w of [...waiters]) {
        if (w.match(rec)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(rec);
        }
      }
    }),
  );
  proc.stderr.on('data', lines(stderr));
  // 'exit' can come before the last stdout/stderr chunks are read: resolve once both pipes have
  // ended too (or after 2 s, in case a grandchild still holds them), so callers see every line.
  const ended = (s: NodeJS.ReadableStream): Promise<void> => new Promise((r) => s.once('close', () => r()));
  const pipesEnded = Promise.all([ended(proc.stdout), ended(proc.stderr)]);
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      const status = code ?? signal ?? -1;
      const timer = setTimeout(() => resolve(status), 2000);
      void pipesEnded.then(() => {
        clearTimeout(timer);
        resolve(status);
      });
    }),
  );
  return {
    proc,
    stdout,
    stderr,
    exited,
    waitForLog(match, timeoutMs = 30_000) {
      // Lines already received count too: several lines can arrive in one chunk, before the
      // caller has asked for the next one.
      for (const line of stdout) {
        const rec = asRecord(line);
        if (rec && match(rec)) return Promise.resolve(rec);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before the log line; stderr:\n${stderr.join('\n')}`));
        });
      });
    },
  };
}

/** The mlmesh command run to its end: exit code, stdout lines, stderr as one string. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string[]; stderr: string }> {
  const child = runNode('tools/cli/main.js', args, env);
  const code = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr.join('\n') };
}
