/**
 * `mlmesh pipeline …`: fit and run preprocessing pipelines offline, with the same code the
 * preprocess service runs online, so training and serving see the same numbers
 * (implementation in pipeline-run.ts).
 */
import { Command, Option } from 'commander';
import { onRun } from './action.js';
import { jsonOption, nonEmpty, required } from './options.js';
import type { CliContext } from './program.js';

/** Where artifacts go without --store: the preprocess service's default artifactDir. */
export const DEFAULT_STORE = 'var/preprocess/pipelines';

/** Options of `pipeline fit`. */
export interface FitCliOptions {
  data: string;
  spec: string;
  name?: string;
  version?: string;
  store: string;
  out?: string;
  json?: boolean;
}

/** Options of `pipeline transform`. */
export interface TransformCliOptions {
  artifact: string;
  data: string;
  out: string;
  store: string;
  strict?: boolean;
  errors?: string;
  rowIndex?: boolean;
  json?: boolean;
}

function storeOption(): Option {
  return new Option('--store <dir>', 'content-addressed artifact folder (the preprocess service reads it as artifactDir)').default(DEFAULT_STORE).argParser(nonEmpty);
}

/** Registers the `pipeline` group. */
export function registerPipeline(program: Command, ctx: CliContext): void {
  const g = program.command('pipeline').description('preprocessing pipelines offline: fit on a CSV, transform a CSV, list artifacts');
  const fit = g
    .command('fit')
    .description('fit a pipeline spec on a CSV (streamed, several passes, never the whole file in memory) and store the artifact; prints name, version, sha256 and path')
    .addOption(required(new Option('--data <train.csv>', 'training CSV')).argParser(nonEmpty))
    .addOption(required(new Option('--spec <spec.yaml>', 'pipeline spec, YAML or JSON')).argParser(nonEmpty))
    .addOption(new Option('--name <name>', "artifact name (default: the spec's)").argParser(nonEmpty))
    .addOption(new Option('--version <v>', "artifact version (default: the spec's, else the next free one)").argParser(nonEmpty))
    .addOption(storeOption())
    .addOption(new Option('--out <dir>', 'old name of --store').hideHelp().argParser(nonEmpty))
    .addOption(jsonOption());
  onRun<FitCliOptions>(fit, ctx, async (_a, o) => (await import('./pipeline-run.js')).fit(o, ctx.signal));
  const transform = g
    .command('transform')
    .description('run an artifact over a CSV: features to .csv (RFC 4180, float32 values in shortest exact form) or .f32 (raw little-endian float32 [rows, features]); refused rows are left out and listed')
    .addOption(required(new Option('--artifact <ref>', 'a path to an artifact .json, or name[@version], or a sha256 in --store')).argParser(nonEmpty))
    .addOption(required(new Option('--data <data.csv>', 'CSV to transform')).argParser(nonEmpty))
    .addOption(required(new Option('--out <out.csv|out.f32>', 'output file')).argParser(nonEmpty))
    .addOption(storeOption())
    .option('--strict', 'any refused row fails the command and nothing is written')
    .addOption(new Option('--errors <errors.jsonl>', 'write refused rows here as JSON lines (row = data row index)').argParser(nonEmpty))
    .option('--row-index', 'first CSV column: the data row index (.csv only)')
    .addOption(jsonOption());
  onRun<TransformCliOptions>(transform, ctx, async (_a, o) => (await import('./pipeline-run.js')).transform(o, ctx.signal));
  const list = g.command('list').description('list the artifacts in --store').addOption(storeOption()).addOption(jsonOption());
  onRun<{ store: string; json?: boolean }>(list, ctx, async (_a, o) => (await import('./pipeline-run.js')).list(o));
}
