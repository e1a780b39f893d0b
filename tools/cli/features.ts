/**
 * `mlmesh features …`: the feature service's command line over gRPC (implementation in
 * features-run.ts): plan and apply definition files, list and get definitions, materialize a
 * feature over a time range, and write point-in-time correct training rows to CSV.
 */
import { Command, Option } from 'commander';
import { onRun, sourceOf } from './action.js';
import { addressOf, addressOption, jsonOption, nonEmpty, positiveInt, targetAlias, timeoutOption, required } from './options.js';
import type { CliContext } from './program.js';

/** Options every `features` command has. */
export interface FeaturesCommon {
  address: string;
  target?: string;
  timeoutMs: number;
  json?: boolean;
}

/** Options of `features historical`. */
export interface HistoricalCliOptions extends FeaturesCommon {
  entities: string;
  out: string;
  features?: string;
  service?: string;
  entityColumn: string;
  timestampColumn: string;
  timestampFormat: string;
  statuses?: boolean;
  batchRows: number;
}

/** Options of `features materialize`. */
export interface MaterializeCliOptions extends FeaturesCommon {
  feature: string;
  start: string;
  end: string;
  chunks: number;
}

/** Deadline of the calls of materialize and historical, which may read a large source. */
export const LONG_CALL_MS = 10 * 60_000;

function common(cmd: Command, timeoutMs = 10_000): Command {
  return cmd.addOption(addressOption('features')).addOption(targetAlias()).addOption(timeoutOption(timeoutMs)).addOption(jsonOption());
}

/** Registers the `features` group. */
export function registerFeatures(program: Command, ctx: CliContext): void {
  const g = program.command('features').description('the feature service: definitions, materialization, point-in-time training rows');
  const run = async <O extends FeaturesCommon>(o: O, command: Command, fn: (m: typeof import('./features-run.js'), address: string) => Promise<number | void>): Promise<number | void> => {
    const m = await import('./features-run.js');
    return fn(m, addressOf(o, sourceOf(command, 'address')));
  };
  const defs = (name: string, apply: boolean, what: string): void => {
    const c = common(g.command(name).description(what).argument('<paths...>', 'definition files (.yaml, .yml, .json) or folders of them'));
    onRun<FeaturesCommon>(c, ctx, (paths, o, command) => run(o, command, (m, a) => m.applyDefinitions(a, o, paths, apply)));
  };
  defs('plan', false, 'what applying would do: one line per feature and feature service (add, unchanged, change, remove), then a summary; exit 1 if it cannot apply');
  defs('apply', true, 'register what the plan adds; nothing when the plan holds an error (a changed definition: definitions are immutable, register a new version)');
  defs('register', true, 'the same as apply');
  const list = common(g.command('list').description('list registered feature versions').addOption(new Option('--name <feature>', 'only versions of this feature').argParser(nonEmpty)));
  onRun<FeaturesCommon & { name?: string }>(list, ctx, (_a, o, command) => run(o, command, (m, a) => m.list(a, o)));
  const get = common(g.command('get').description('print one definition').argument('<ref>', 'name@version'));
  onRun<FeaturesCommon>(get, ctx, (args, o, command) => run(o, command, (m, a) => m.get(a, o, args[0] as string)));
  const mat = common(
    g
      .command('materialize')
      .description("run the feature's extractor and transformers over [start, end) and store the values; with --chunks the range is done in consecutive parts (the same values as one call), with progress")
      .addOption(required(new Option('--feature <ref>', 'feature name@version')).argParser(nonEmpty))
      .addOption(required(new Option('--start <time>', 'range start: epoch ms or ISO 8601 (UTC unless an offset is given)')))
      .addOption(required(new Option('--end <time>', 'range end (exclusive), as --start')))
      .addOption(new Option('--chunks <n>', 'split the range into n consecutive Materialize calls').default(1).argParser(positiveInt)),
    LONG_CALL_MS,
  );
  onRun<MaterializeCliOptions>(mat, ctx, (_a, o, command) => run(o, command, (m, a) => m.materialize(a, o, ctx.signal)));
  const hist = common(
    g
      .command('historical')
      .description("point-in-time correct training rows: for each entity row, every feature's latest value at or before the row's time, written to a CSV (entity and time columns, then one column per feature; empty when null, missing or too old; vectors as JSON)")
      .addOption(required(new Option('--entities <rows.csv>', 'CSV of entity rows')).argParser(nonEmpty))
      .addOption(required(new Option('--out <training.csv>', 'CSV to write')).argParser(nonEmpty))
      .addOption(new Option('--features <refs>', 'features to read: a@1,b@2 (or --service)').argParser(nonEmpty))
      .addOption(new Option('--service <name>', 'a feature service naming the features (or --features)').argParser(nonEmpty))
      .addOption(new Option('--entity-column <name>', 'column of entity ids').default('entity_id'))
      .addOption(new Option('--timestamp-column <name>', 'column of row times').default('ts'))
      .addOption(new Option('--timestamp-format <format>', 'how row times are written: ISO_8601 (numbers refused), EPOCH_MILLIS, EPOCH_SECONDS or EPOCH_MICROS; impossible dates are refused naming the line').default('ISO_8601'))
      .option('--statuses', 'add a <feature>:status column after each feature')
      .addOption(new Option('--batch-rows <n>', 'entity rows per GetHistoricalFeatures request').default(50_000).argParser(positiveInt)),
    LONG_CALL_MS,
  );
  onRun<HistoricalCliOptions>(hist, ctx, (_a, o, command) => run(o, command, (m, a) => m.historical(a, o, ctx.signal)));
}
