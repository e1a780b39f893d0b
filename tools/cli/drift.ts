/**
 * `mlmesh drift …`: the drift monitor over gRPC with the client package (mlmesh/client):
 * status per model version, closed-window reports, one report, and an ad-hoc two-sample test on
 * .npy files (implementation in drift-run.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { onRun } from './action.js';
import { addressOption, jsonOption, modelOption, nonEmpty, nonNegativeInt, positiveInt, timeoutOption, versionOption, required } from './options.js';
import type { CliContext } from './program.js';

/** Options every `drift` command has. */
export interface DriftCommon {
  address: string;
  timeoutMs: number;
  json?: boolean;
}

/** Options of `drift test`. */
export interface DriftTestOptions extends DriftCommon {
  reference: string;
  test: string;
  referenceOutputs?: string;
  testOutputs?: string;
  detectors?: string[];
  categorical?: number[];
  alpha?: number;
  correction?: string;
  kernel?: string;
  permutations?: number;
  seed?: number;
  outputKind?: string;
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
const intList = (v: string): number[] => list(v).map((s) => {
  if (!/^\d+$/.test(s)) throw new InvalidArgumentError('must be column indices, e.g. 0,3');
  return Number(s);
});
const alpha = (v: string): number => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
};

function common(cmd: Command, timeoutMs = 10_000): Command {
  return cmd.addOption(addressOption('monitor')).addOption(timeoutOption(timeoutMs)).addOption(jsonOption());
}

/** Registers the `drift` group. */
export function registerDrift(program: Command, ctx: CliContext): void {
  const g = program.command('drift').description('the drift monitor: status, reports, two-sample tests (build a reference with mlmesh reference)');
  const status = common(g.command('status').description('per model version: open window, windows closed, drift streak, last report, reference and accuracy').addOption(modelOption('only this model', false)));
  onRun<DriftCommon & { model?: string }>(status, ctx, async (_a, o) => (await import('./drift-run.js')).status(o));
  const reports = common(
    g
      .command('reports')
      .description("a model's closed-window reports, oldest first, with each window's late-label accuracy")
      .addOption(modelOption())
      .addOption(versionOption('only this version'))
      .addOption(new Option('--from <ms>', 'windows ending at or after this time (epoch ms)').argParser(nonNegativeInt))
      .addOption(new Option('--to <ms>', 'windows starting before this time (epoch ms)').argParser(nonNegativeInt))
      .addOption(new Option('--limit <n>', 'at most n reports').argParser(positiveInt)),
  );
  onRun<DriftCommon & { model: string; version?: string; from?: number; to?: number; limit?: number }>(reports, ctx, async (_a, o) => (await import('./drift-run.js')).reports(o));
  const report = common(g.command('report').description('one report with every detector and its late-label performance').argument('<report-id>', '<model>/<version>/<window index>'));
  onRun<DriftCommon>(report, ctx, async (args, o) => (await import('./drift-run.js')).report(args[0] as string, o));
  const quality = common(
    g
      .command('quality')
      .description("a model's live quality per version: accuracy per window with its 95% Wilson interval, MAE/RMSE from numeric feedback, calibration (confidence vs accuracy) and quality alerts")
      .addOption(modelOption())
      .addOption(versionOption('only this version')),
  );
  onRun<DriftCommon & { model: string; version?: string }>(quality, ctx, async (_a, o) => (await import('./drift-run.js')).quality(o));
  const segments = common(
    g
      .command('segments')
      .description("per-segment prediction rates, confidence and live accuracy of a version (the model's segment_parameter or segment_feature), with chi-squared tests between segments and the flagged ones")
      .addOption(modelOption())
      .addOption(versionOption('this version (default: the newest)'))
      .addOption(new Option('--from-window <n>', 'first window (default 0)').argParser(nonNegativeInt))
      .addOption(new Option('--to-window <n>', 'last window, inclusive (default: no end)').argParser(nonNegativeInt)),
  );
  onRun<DriftCommon & { model: string; version?: string; fromWindow?: number; toWindow?: number }>(segments, ctx, async (_a, o) => (await import('./drift-run.js')).segments(o));
  const test = common(
    g
      .command('test')
      .description('run the drift detectors on two samples (.npy, rows × features): the live path\'s tests, corrections and decision; exit 0 whether or not they drifted (the verdict is in the output)')
      .addOption(required(new Option('--reference <ref.npy>', 'reference rows')).argParser(nonEmpty))
      .addOption(required(new Option('--test <test.npy>', 'rows to test against the reference')).argParser(nonEmpty))
      .addOption(new Option('--reference-outputs <npy>', "the model's outputs on the reference rows (for bbsd, confidence, predicted_class)").argParser(nonEmpty))
      .addOption(new Option('--test-outputs <npy>', "the model's outputs on the test rows").argParser(nonEmpty))
      .addOption(new Option('--detectors <list>', 'ks, chi2, mmd, bbsd, confidence, predicted_class (default: every one the data allows)').argParser(list))
      .addOption(new Option('--categorical <columns>', 'column indices tested with chi2 instead of ks').argParser(intList))
      .addOption(new Option('--alpha <p>', 'significance level (default 0.05)').argParser(alpha))
      .addOption(new Option('--correction <name>', 'within ks, chi2 and bbsd: bonferroni (default), bh, none').choices(['bonferroni', 'bh', 'none']))
      .addOption(new Option('--kernel <name>', 'MMD kernel').choices(['gaussian', 'laplacian', 'rational_quadratic']))
      .addOption(new Option('--permutations <n>', 'MMD permutations (default 1000)').argParser(positiveInt))
      .addOption(new Option('--seed <n>', 'seed of the permutations (default: from the data)').argParser(nonNegativeInt))
      .addOption(new Option('--output-kind <kind>', 'what the outputs are').choices(['probabilities', 'logits'])),
    300_000,
  );
  onRun<DriftTestOptions>(test, ctx, async (_a, o) => (await import('./drift-run.js')).twoSampleTest(o));
}
