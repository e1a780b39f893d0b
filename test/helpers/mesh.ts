/**
 * Runs the real mesh supervisor (`node dist/tools/mesh/main.js up`) for tests: a temp project
 * folder with its own mlmesh.yaml (every port 0, a private copy of digits_mlp, state under the
 * folder's var/), JSON log stream, and a teardown that drains it (or, failing that, kills every
 * process the state file names).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { readState } from '../../tools/mesh/index.js';
import type { MeshState, ServiceRecord } from '../../tools/mesh/index.js';
import { copyRepository } from './inference.js';
import { runNode } from './process.js';
import type { Child } from './process.js';

/** A temp project: its folder, its mlmesh.yaml, its var folder and model repository. */
export interface MeshProject {
  dir: string;
  configFile: string;
  varDir: string;
  repo: string;
  /** Removes the folder and the repository copy. */
  remove(): Promise<void>;
}

/** Sections of the test config: merged over the defaults (ports 0, the private repository). */
export type Sections = Record<string, Record<string, unknown>>;

/**
 * Writes a project whose mlmesh.yaml runs every service on free ports with `sections` merged in
 * (a section set to `null` is left out of the file).
 */
export async function meshProject(sections: Record<string, Record<string, unknown> | null> = {}): Promise<MeshProject> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-mesh-'));
  const repo = await copyRepository(['digits_mlp']);
  const base: Sections = {
    mesh: { natsPort: 0, restartDelayMs: 200, readyTimeoutMs: 90_000 },
    features: { grpcPort: 0, httpPort: 0, logLevel: 'info' },
    preprocess: { grpcPort: 0, httpPort: 0 },
    inference: { grpcPort: 0, httpPort: 0, modelRepository: repo, startupModels: ['digits_mlp'] },
    monitor: { grpcPort: 0, httpPort: 0, modelRepository: repo, windowRows: 100, permutations: 200 },
    gateway: { grpcPort: 0, httpPort: 0 },
    // Free ports for these too: two meshes of concurrent test files must not both want 8051/8061.
    rollout: { grpcPort: 0, httpPort: 0, modelRepository: repo },
    retrainer: { grpcPort: 0, httpPort: 0, modelRepository: repo },
  };
  const doc: Sections = {};
  for (const name of new Set([...Object.keys(base), ...Object.keys(sections)])) {
    const extra = sections[name];
    if (extra === null) continue;
    doc[name] = { ...base[name], ...extra };
  }
  const configFile = join(dir, 'mlmesh.yaml');
  await writeFile(configFile, stringify(doc));
  return {
    dir,
    configFile,
    varDir: join(dir, 'var'),
    repo,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      await rm(repo, { recursive: true, force: true });
    },
  };
}

/** A running supervisor. */
export interface MeshRun {
  project: MeshProject;
  child: Child;
  /** The state file now. */
  state(): MeshState;
  /** One service's record in the state file. */
  record(name: string): ServiceRecord;
  /** Every JSON record on stdout so far. */
  records(): Array<Record<string, unknown>>;
  /** SIGTERM and the exit code (or signal). */
  stop(): Promise<number | string>;
  /** Stops it (SIGKILL and every pid of the state file if it does not drain) and removes the project. */
  dispose(): Promise<void>;
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Kills every process a state file names (process groups), then the supervisor. */
export function killAll(varDir: string, supervisor?: number): void {
  let state: MeshState | undefined;
  try {
    state = readState(varDir);
  } catch {
    state = undefined; // half-written or missing: nothing to kill from it
  }
  for (const s of state?.services ?? []) {
    if (!s.pid) continue;
    for (const target of [-s.pid, s.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  if (supervisor) {
    try {
      process.kill(supervisor, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Runs `mlmesh up` (JSON logs) on `project` with `args`; `waitUp` waits for the "mesh up" line. */
export function runMesh(project: MeshProject, args: readonly string[] = [], env: Record<string, string> = {}): MeshRun {
  const child = runNode('tools/mesh/main.js', ['up', '--config', project.configFile, '--log-format', 'json', ...args], env);
  const run: MeshRun = {
    project,
    child,
    state: () => readState(project.varDir) as MeshState,
    record(name) {
      const r = run.state().services.find((s) => s.name === name);
      if (!r) throw new Error(`no ${name} in the state file`);
      return r;
    },
    records: () => child.stdout.map(parse).filter((r): r is Record<string, unknown> => r !== undefined),
    async stop() {
      child.proc.kill('SIGTERM');
      return child.exited;
    },
    async dispose() {
      if (child.proc.exitCode === null && child.proc.signalCode === null) {
        child.proc.kill('SIGTERM');
        const done = await Promise.race([child.exited.then(() => true), sleep(30_000).then(() => false)]);
        if (!done) killAll(project.varDir, child.proc.pid);
      }
      await project.remove();
    },
  };
  return run;
}

/** Waits for the supervisor's "mesh up" line; rejects with its output when it exits first. */
export async function waitUp(run: MeshRun, timeoutMs = 150_000): Promise<Record<string, unknown>> {
  return run.child.waitForLog((r) => r['service'] === 'mesh' && r['msg'] === 'mesh up', timeoutMs);
}

/** Polls `check` until it is true; rejects naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Whether a process exists. */
export function alive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A port free right now on 127.0.0.1 (for a test's own fake service). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Pids of every live process of the mesh in `varDir`, found by the OS, not the state file: the
 * services (their environment names `<varDir>/mesh/config.json` as MLMESH_CONFIG) and the local
 * nats-server (its command line names `<varDir>/nats/nats-server.conf`).
 */
export async function meshProcesses(varDir: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const config = `MLMESH_CONFIG=${join(varDir, 'mesh', 'config.json')}`;
  const natsConf = join(varDir, 'nats', 'nats-server.conf');
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [environ, cmdline] = await Promise.all([readFile(`/proc/${entry}/environ`, 'utf8').catch(() => ''), readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')]);
    const zombie = (await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.startsWith('Z') ?? false;
    if (zombie) continue;
    if (environ.split('\0').includes(config) || cmdline.split('\0').includes(natsConf)) found.push(Number(entry));
  }
  return found;
}
