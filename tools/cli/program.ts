/**
 * The `mlmesh` command: one commander program holding every command group (the table
 * {@link COMMANDS}), run by {@link run}, which owns the exit codes: 0 done, 1 the operation
 * failed (its message on stderr; the stack too with `--debug` or MLMESH_LOG_LEVEL=debug), 2 a
 * bad command line (one line naming the problem and the command's `--help`).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ActionFailure } from './action.js';
import { UsageError, EXIT } from './errors.js';
import { registerAuth } from './auth.js';
import { registerBench } from './bench.js';
import { addConnectionOptions, setConnection } from './connection.js';
import type { ConnectionFlags } from './connection.js';
import { registerDrift } from './drift.js';
import { registerFeatures } from './features.js';
import { registerFeedback, registerLogs } from './logs.js';
import { registerDeployments, registerPredict } from './gateway.js';
import { registerLoadtest } from './loadtest.js';
import { registerManifest } from './manifest.js';
import { registerStatus, registerUp } from './mesh.js';
import { registerModel } from './model.js';
import { registerPipeline } from './pipeline.js';
import { registerReference } from './reference.js';
import { registerRollout } from './rollout.js';
import { registerRoutes } from './routes.js';
import { registerRetrain } from './retrain.js';

/** What every command's action gets besides its options. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long commands stop cleanly. */
  signal: AbortSignal;
  /** --debug or MLMESH_LOG_LEVEL=debug: stacks on failure. */
  debug: boolean;
  /** The exit code an action asks for (a plan with errors exits 1 after printing it). */
  exitCode: number;
}

/** Adds a command group (or a single command) to the program. */
export type Registrar = (program: Command, ctx: CliContext) => void;

/**
 * Every top-level command, in the order `mlmesh --help` lists them. A new group registers here.
 */
export const COMMANDS: readonly { name: string; register: Registrar }[] = [
  { name: 'up', register: registerUp },
  { name: 'status', register: registerStatus },
  { name: 'model', register: registerModel },
  { name: 'manifest', register: registerManifest },
  { name: 'reference', register: registerReference },
  { name: 'pipeline', register: registerPipeline },
  { name: 'features', register: registerFeatures },
  { name: 'predict', register: registerPredict },
  { name: 'deployments', register: registerDeployments },
  { name: 'drift', register: registerDrift },
  { name: 'rollout', register: registerRollout },
  { name: 'routes', register: registerRoutes },
  { name: 'retrain', register: registerRetrain },
  { name: 'logs', register: registerLogs },
  { name: 'feedback', register: registerFeedback },
  { name: 'loadtest', register: registerLoadtest },
  { name: 'bench', register: registerBench },
  { name: 'auth', register: registerAuth },
];

/** The package's version (package.json beside dist/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `mlmesh logs tail` for a command. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Every command under `cmd` (itself included), depth first, without commander's `help`. */
export function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.filter((c) => c.name() !== 'help').flatMap(allCommands)];
}

/** Builds the program. Commander's own exits become exceptions that {@link run} maps. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('mlmesh')
    .description('mlmesh: serve ONNX models over gRPC, and keep watching them once they are live')
    .version(packageVersion(), '--version', 'print the version of mlmesh')
    .option('--debug', 'print stacks of failures (also MLMESH_LOG_LEVEL=debug)')
    // Program options only before a command: `--version` after one is the model version.
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nExit codes: 0 done, 1 the operation failed, 2 bad usage.\nEvery command has --help; docs/cli.md lists them all.');
  addConnectionOptions(program);
  // Every command's calls use the connection options given before it (or their variables).
  program.hook('preAction', () => setConnection(program.opts<ConnectionFlags>()));
  for (const c of COMMANDS) c.register(program, ctx);
  return program;
}

/** Where commander reported an error, so the message can name the command. */
interface ErrorSite {
  cmd: Command | undefined;
}

function watchErrors(program: Command, site: ErrorSite): void {
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.configureOutput({
      // Errors and error-help are printed by run(), as one line naming the command.
      writeErr: () => void (site.cmd ??= cmd),
      outputError: () => void (site.cmd ??= cmd),
    });
  }
}

function usageLine(path: string, message: string): string {
  return `${path}: ${message} (see '${path} --help')\n`;
}

/**
 * Runs the command line (without `node` and the script) and returns the exit code.
 * Data goes to stdout, messages to stderr.
 */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const debug = argv.includes('--debug') || (env['MLMESH_LOG_LEVEL'] ?? '').toLowerCase() === 'debug';
  const shutdown = new AbortController();
  const onSignal = (): void => shutdown.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ctx: CliContext = { env, signal: shutdown.signal, debug, exitCode: EXIT.ok };
  const program = buildProgram(ctx);
  const site: ErrorSite = { cmd: undefined };
  watchErrors(program, site);
  try {
    // --debug may stand anywhere; commander sees it only where the program's options go.
    await program.parseAsync(argv.filter((a) => a !== '--debug'), { from: 'user' });
    return ctx.exitCode;
  } catch (e: unknown) {
    if (e instanceof ActionFailure) return report(e.error, e.command, debug);
    return report(e, site.cmd ?? program, debug);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Prints a failure and returns its exit code. */
function report(e: unknown, cmd: Command, debug: boolean): number {
  const path = commandPath(cmd);
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
    if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') {
      const subs = cmd.commands.filter((c) => c.name() !== 'help').map((c) => c.name());
      process.stderr.write(usageLine(path, `missing command (one of: ${subs.join(', ')})`));
      return EXIT.usage;
    }
    process.stderr.write(usageLine(path, e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')));
    return EXIT.usage;
  }
  if (e instanceof UsageError) {
    process.stderr.write(usageLine(path, e.message));
    return EXIT.usage;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${path}: ${message}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return EXIT.failed;
}
