/**
 * One supervisor per var folder: before a mesh starts from a folder, the state file of the last
 * one there is checked. A live supervisor means "refuse"; a dead one (SIGKILL, OOM) may have
 * left processes behind — its services drain themselves when their stdin closes, but its
 * nats-server (or a service stuck in a drain) may still run, holding ports and the JetStream store.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MeshRunningError } from './errors.js';
import type { LogStream } from './log-stream.js';
import { natsFiles } from './nats.js';
import { pidAlive, processCommandLine, readState } from './state-file.js';

/** How long leftovers get to exit after SIGTERM before SIGKILL, ms. */
const LEFTOVER_GRACE_MS = 10_000;

/**
 * Refuses `varDir` when another live supervisor uses it; stops what a dead one left running
 * (only processes whose command line shows they are this mesh's: its nats-server config, or a
 * service entry point).
 * @throws MeshRunningError naming the live supervisor's pid.
 */
export async function takeOverVarDir(varDir: string, log: LogStream): Promise<void> {
  const old = readState(varDir);
  if (!old || old.state === 'stopped') return;
  if (old.supervisorPid !== process.pid && pidAlive(old.supervisorPid)) {
    throw new MeshRunningError(old.supervisorPid, `a mesh is already running from ${varDir} (supervisor pid ${old.supervisorPid}, since ${old.startedAt}): see \`mlmesh status\`, or stop it (Ctrl-C, or kill ${old.supervisorPid})`);
  }
  const nats = natsFiles(varDir).configFile;
  const leftovers = old.services.filter((s) => {
    if (!s.pid || !pidAlive(s.pid)) return false;
    const cmd = processCommandLine(s.pid) ?? '';
    return cmd.includes(nats) || cmd.includes('dist/services/');
  });
  for (const s of leftovers) {
    log.mesh('warn', `stopping ${s.name} (pid ${s.pid}) left running by a supervisor that died (pid ${old.supervisorPid})`);
    try {
      process.kill(-(s.pid as number), 'SIGTERM');
    } catch {
      process.kill(s.pid as number, 'SIGTERM'); // not a group leader after all
    }
  }
  const deadline = Date.now() + LEFTOVER_GRACE_MS;
  while (leftovers.some((s) => pidAlive(s.pid)) && Date.now() < deadline) await sleep(100);
  for (const s of leftovers.filter((l) => pidAlive(l.pid))) process.kill(s.pid as number, 'SIGKILL');
}
