/**
 * `mlmesh rollout start|status|watch|pause|resume|promote|abort`: canary rollouts over gRPC with
 * the client package's RolloutClient (implementation in rollout-run.ts; docs/rollout.md).
 */
import { Command, Option } from 'commander';
import { onRun } from './action.js';
import { addressOption, finiteNumber, jsonOption, nonEmpty, nonNegativeInt, timeoutOption } from './options.js';
import type { CliContext } from './program.js';

/** Options every rollout command has. */
export interface RolloutCommon {
  address: string;
  timeoutMs: number;
  json?: boolean;
}

/** Options of `rollout start`. */
export interface StartOptions extends RolloutCommon {
  baseline?: string;
  steps?: string;
  holdRequests?: number;
  holdSeconds?: number;
  maxWaitSeconds?: number;
  shadowPercent?: number;
  sticky?: string;
  stickyParameter?: string;
  retireGraceSeconds?: number;
  drainSeconds?: number;
  unload?: boolean;
  predictionKind?: string;
  criterion?: string[];
}

/** Options of the actions (pause, resume, promote, abort). */
export interface ActionOptions extends RolloutCommon {
  reason?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function common(cmd: Command): Command {
  return cmd.addOption(addressOption('rollout')).addOption(timeoutOption(15_000)).addOption(jsonOption());
}

/** Registers `rollout` and its subcommands. */
export function registerRollout(program: Command, ctx: CliContext): void {
  const group = program.command('rollout').description('canary rollouts of a model version: route weights step by step, analysis against the baseline, promotion or roll-back (docs/rollout.md)');
  const start = common(
    group
      .command('start')
      .description("start a rollout of CANDIDATE; options left out come from the model's config.json `rollout` section, then the defaults")
      .argument('<model>', 'the model')
      .argument('<candidate>', 'the version to roll out')
      .addOption(new Option('--baseline <version>', "the version it replaces (default: the route's heaviest, else the newest other served)").argParser(nonEmpty))
      .addOption(new Option('--steps <percents>', 'candidate share per step, ascending, the last 100, e.g. 1,10,100').argParser(nonEmpty))
      .addOption(new Option('--hold-requests <n>', 'candidate requests a step needs before its analysis counts').argParser(nonNegativeInt))
      .addOption(new Option('--hold-seconds <s>', 'seconds a step lasts at least').argParser(finiteNumber))
      .addOption(new Option('--max-wait-seconds <s>', 'a step whose criteria still wait for data after this long pauses').argParser(finiteNumber))
      .addOption(new Option('--shadow-percent <p>', "share of the baseline's routed requests copied to the candidate (agreement on identical inputs)").argParser(finiteNumber))
      .addOption(new Option('--sticky <mode>', 'none, parameter or request_id').choices(['none', 'parameter', 'request_id']))
      .addOption(new Option('--sticky-parameter <name>', 'the request parameter that keeps a caller on one version (with --sticky parameter)').argParser(nonEmpty))
      .addOption(new Option('--retire-grace-seconds <s>', 'how long the old version keeps weight 0 at 100% before it is unloaded').argParser(finiteNumber))
      .addOption(new Option('--drain-seconds <s>', 'after a roll-back, how long before the candidate is unloaded').argParser(finiteNumber))
      .addOption(new Option('--no-unload', 'leave a rolled-back candidate and a retired baseline loaded (weight 0)'))
      .addOption(new Option('--prediction-kind <kind>', 'how predictions are compared: class (argmax, chi-squared) or value (KS)').choices(['class', 'value']))
      .addOption(new Option('--criterion <name.field=value>', 'a criterion setting, repeatable: e.g. accuracy.enabled=on, error_rate.threshold=0.02, latency_p99_ratio.min_samples=500 (fields: enabled, threshold, alpha, min_samples)').argParser(collect)),
  );
  onRun<StartOptions>(start, ctx, async (args, o, command) => (await import('./rollout-run.js')).start(args[0] as string, args[1] as string, o, command.getOptionValueSource('unload') === 'cli'));
  const status = common(group.command('status').description('the rollout of MODEL (its steps and criteria), or one line per model').argument('[model]', 'the model'));
  onRun<RolloutCommon>(status, ctx, async (args, o) => (await import('./rollout-run.js')).status(args[0], o));
  const watch = common(group.command('watch').description('follow a rollout: steps, traffic shares and each criterion with its numbers, in place on a terminal, one line per change otherwise; ends with the rollout').argument('<model>', 'the model'));
  onRun<RolloutCommon>(watch, ctx, async (args, o) => (await import('./rollout-run.js')).watch(args[0] as string, o, ctx.signal));
  for (const [name, what] of [
    ['pause', 'hold the rollout at its step (the route stays)'],
    ['resume', 'go on with a paused rollout at its step (its hold starts again)'],
    ['promote', 'send 100% to the candidate now; the baseline retires after the grace'],
    ['abort', 'roll back now: the candidate gets weight 0, then is unloaded'],
  ] as const) {
    const cmd = common(group.command(name).description(what).argument('<model>', 'the model').addOption(new Option('--reason <text>', 'why (in the event and the state)').argParser(nonEmpty)));
    onRun<ActionOptions>(cmd, ctx, async (args, o) => (await import('./rollout-run.js')).action(name, args[0] as string, o));
  }
}
