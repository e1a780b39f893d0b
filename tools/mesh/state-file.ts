/**
 * The state file a running supervisor keeps at `<varDir>/mesh/state.json`: its pid, the config it
 * runs, and per service the pid, state, addresses and restarts. `mlmesh status` reads it; a second
 * `mlmesh up` on the same var folder reads it to refuse to start twice. It is rewritten (write to
 * a temporary file, then rename) at every change, and marked `stopped` when the mesh exits.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Format tag of the file. */
export const STATE_FORMAT = 'mlmesh.mesh-state/v1';

/** One entry of the status table. */
export interface ServiceRecord {
  readonly name: string;
  /** What it is (`feature store`, `NATS JetStream`…). */
  readonly role: string;
  readonly pid: number | null;
  /** idle, starting, ready, backoff, stopping, stopped; `external` for a NATS the mesh did not start. */
  readonly state: string;
  /** `host:port` of its gRPC server (for NATS: the client URL). */
  readonly grpc: string | null;
  /** `http://host:port` of its HTTP server, or null. */
  readonly http: string | null;
  readonly restarts: number;
  readonly startedAt: string | null;
  readonly lastExit: { code: number | null; signal: string | null; at: string } | null;
}

/** The whole file. */
export interface MeshState {
  readonly format: typeof STATE_FORMAT;
  /** running while the supervisor runs; stopping while it drains; stopped once it has exited. */
  readonly state: 'starting' | 'running' | 'stopping' | 'stopped';
  readonly supervisorPid: number;
  /** mlmesh's version (package.json) the services run. */
  readonly version: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly configFile: string | null;
  readonly projectDir: string;
  readonly varDir: string;
  /** The NATS URL the services use, or null when the mesh runs without NATS. */
  readonly natsUrl: string | null;
  /** `local`, `external`, `none` or `unneeded`. */
  readonly natsMode: string;
  /** The supervisor's TLS files when the services run with TLS (`mlmesh up --tls`; `mlmesh status` probes with them), else null. */
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string } | null;
  readonly services: readonly ServiceRecord[];
}

/** `<varDir>/mesh/state.json`. */
export function stateFilePath(varDir: string): string {
  return join(varDir, 'mesh', 'state.json');
}

/** Writes the state atomically. */
export async function writeState(varDir: string, state: MeshState): Promise<void> {
  const path = stateFilePath(varDir);
  await mkdir(join(varDir, 'mesh'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, path);
}

/** The state file, or undefined when there is none. @throws Error when it exists but is not a state file. */
export function readState(varDir: string): MeshState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFilePath(varDir), 'utf8');
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const data = JSON.parse(text) as Partial<MeshState>;
  if (data.format !== STATE_FORMAT) throw new Error(`${stateFilePath(varDir)} is not a mesh state file (format ${JSON.stringify(data.format)})`);
  return data as MeshState;
}

/** Whether a process with this pid exists (and may be signalled by us). */
export function pidAlive(pid: number | null | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process (Linux /proc), or undefined. */
export function processCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined; // gone, or not Linux
  }
}
