/**
 * `mlmesh up` and `mlmesh status`: the whole mesh on one machine (tools/mesh/). The flags are
 * tools/mesh's own tables (UP_FLAGS, STATUS_FLAGS), declared here as commander options, and the
 * work is tools/mesh's runUp/runStatus, loaded when the command runs; their exit codes are the
 * command's (up: 0 drained, 1 a service failed, 2 bad usage or config; status: 0 healthy, 1 not,
 * 3 no mesh running).
 */
import { Command, Option } from 'commander';
import { STATUS_FLAGS, UP_FLAGS } from '../mesh/flag-tables.js';
import { onRun } from './action.js';
import type { CliContext } from './program.js';

/** A tools/mesh flag table entry (see tools/mesh/flags.ts). */
interface MeshFlag {
  readonly type: 'string' | 'boolean';
  readonly value?: string;
  readonly doc: string;
}

/** Declares every flag of `table` but `help` (commander's own) on `cmd`. */
function addFlags(cmd: Command, table: Readonly<Record<string, MeshFlag>>): Command {
  for (const [name, spec] of Object.entries(table)) {
    if (name === 'help') continue;
    cmd.addOption(new Option(spec.type === 'string' ? `--${name} ${spec.value ?? '<value>'}` : `--${name}`, spec.doc));
  }
  return cmd;
}

/** The parsed options back as the argv tools/mesh parses (flags as given, in table order). */
function toArgv(table: Readonly<Record<string, MeshFlag>>, opts: Record<string, unknown>): string[] {
  const argv: string[] = [];
  for (const [name, spec] of Object.entries(table)) {
    if (name === 'help') continue;
    const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const v = opts[key];
    if (v === undefined || v === false) continue;
    argv.push(`--${name}`);
    if (spec.type === 'string') argv.push(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return argv;
}

/** Registers `up`. */
export function registerUp(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('up')
    .description('start the whole mesh on this machine (npm start): NATS (NATS_URL, or a local nats-server -js), then features, preprocess, inference and monitor, each supervised and waited for on its health; Ctrl-C drains in reverse order (docs/mesh.md)');
  addFlags(cmd, UP_FLAGS);
  onRun<Record<string, unknown>>(cmd, ctx, async (_args, o) => {
    const { runUp } = await import('../mesh/up.js');
    return runUp(toArgv(UP_FLAGS, o));
  });
}

/** Registers `status`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  const cmd = program.command('status').description('health, versions and addresses of the running mesh (exit 0 healthy, 1 a service is not, 3 no mesh is running)');
  addFlags(cmd, STATUS_FLAGS);
  onRun<Record<string, unknown>>(cmd, ctx, async (_args, o) => {
    const { runStatus } = await import('../mesh/status.js');
    return runStatus(toArgv(STATUS_FLAGS, o));
  });
}
