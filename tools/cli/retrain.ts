/**
 * `mlmesh retrain MODEL`, `mlmesh runs list|get|watch|cancel` and `mlmesh lineage MODEL VERSION`:
 * retraining runs and version provenance over gRPC with the client package's RetrainerClient
 * (implementation in retrain-run.ts; docs/retrainer.md).
 */
import { Command, Option } from 'commander';
import { onRun } from './action.js';
import { addressOption, jsonOption, nonEmpty, nonNegativeInt, timeoutOption } from './options.js';
import type { CliContext } from './program.js';

/** Options every retrainer command has. */
export interface RetrainCommon {
  address: string;
  timeoutMs: number;
  json?: boolean;
}

/** Options of `retrain`. */
export interface RetrainOptions extends RetrainCommon {
  reason?: string;
  watch?: boolean;
}

function common(cmd: Command): Command {
  return cmd.addOption(addressOption('retrainer')).addOption(timeoutOption(15_000)).addOption(jsonOption());
}

/** Registers `retrain`, `runs` and `lineage`. */
export function registerRetrain(program: Command, ctx: CliContext): void {
  const retrain = common(
    program
      .command('retrain')
      .description("retrain MODEL now: a run builds a dataset snapshot, runs the model's training command, gates the candidate against the champion, registers it and rolls it out (joins the model's active run if there is one)")
      .argument('<model>', 'the model (its config.json needs a `retraining` section)')
      .addOption(new Option('--reason <text>', 'why (recorded in the run and its events)').argParser(nonEmpty))
      .addOption(new Option('--watch', 'follow the run to its end (exit 0 promoted, 1 otherwise)')),
  );
  onRun<RetrainOptions>(retrain, ctx, async (args, o) => (await import('./retrain-run.js')).retrain(args[0] as string, o, ctx.signal));
  const runs = program.command('runs').description('retraining runs (docs/retrainer.md)');
  const list = common(runs.command('list').description('runs, newest first: one line each').argument('[model]', 'only this model').addOption(new Option('--limit <n>', 'at most this many').argParser(nonNegativeInt)));
  onRun<RetrainCommon & { limit?: number }>(list, ctx, async (args, o) => (await import('./retrain-run.js')).list(args[0], o));
  const get = common(runs.command('get').description('one run: stages, dataset, gate numbers, trigger, rollout').argument('<run>', 'the run id'));
  onRun<RetrainCommon>(get, ctx, async (args, o) => (await import('./retrain-run.js')).get(args[0] as string, o));
  const watch = common(runs.command('watch').description("follow a run: its stages and the training job's output, until it ends (exit 0 promoted, 1 otherwise)").argument('<run>', 'the run id'));
  onRun<RetrainCommon>(watch, ctx, async (args, o) => (await import('./retrain-run.js')).watch(args[0] as string, o, ctx.signal));
  const cancel = common(runs.command('cancel').description('cancel a run: its training job is killed, its rollout aborted, nothing more registered').argument('<run>', 'the run id').addOption(new Option('--reason <text>', 'why').argParser(nonEmpty)));
  onRun<RetrainCommon & { reason?: string }>(cancel, ctx, async (args, o) => (await import('./retrain-run.js')).cancel(args[0] as string, o));
  const lineage = common(
    program
      .command('lineage')
      .description('the provenance chain of a version: served version → run → gate numbers → dataset snapshot (hashes, sources, ranges) → trigger → drift reports → parent version, up to the first version')
      .argument('<model>', 'the model')
      .argument('<version>', 'the version'),
  );
  onRun<RetrainCommon>(lineage, ctx, async (args, o) => (await import('./retrain-run.js')).lineage(args[0] as string, args[1] as string, o));
}
