/** `mlmesh reference`: completes a version's drift reference (outputs.npy and reference.json). */
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { onRun } from './action.js';
import { CommandError } from './errors.js';
import { jsonOption, modelOption, nonEmpty, repoOption } from './options.js';
import { printer } from './output.js';
import type { CliContext } from './program.js';
import { startProgress } from './progress.js';
import type { Progress } from './progress.js';

interface ReferenceCliOptions {
  repo: string;
  model: string;
  version: string;
  input?: string;
  output?: string;
  source?: string;
  producedBy?: string;
  trainingDataSha256?: string;
  sourceDataSha256?: string;
  json?: boolean;
}

function sha256Hex(v: string): string {
  if (!/^[0-9a-f]{64}$/.test(v)) throw new InvalidArgumentError('must be a lowercase hex SHA-256 (64 characters)');
  return v;
}

/** Registers `reference`. */
export function registerReference(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('reference')
    .description("complete a version's drift reference: run <repo>/<model>/<version>/reference/inputs.npy through the model, write outputs.npy and reference.json (SHA-256 of both, provenance) for the monitor")
    .addOption(repoOption())
    .addOption(modelOption())
    .addOption(new Option('--version <v>', 'model version').default('1').argParser(nonEmpty))
    .addOption(new Option('--input <name>', "the model input fed with inputs.npy (default: the model's first)").argParser(nonEmpty))
    .addOption(new Option('--output <name>', 'the output written to outputs.npy, FP32 (default: the first FP32 output)').argParser(nonEmpty))
    .addOption(new Option('--source <text>', "provenance: what produced the reference (default: 'mlmesh reference')").argParser(nonEmpty))
    .addOption(new Option('--produced-by <text>', 'old name of --source').hideHelp().argParser(nonEmpty))
    .addOption(new Option('--training-data-sha256 <hex>', 'provenance: SHA-256 of the data the rows were drawn from').argParser(sha256Hex))
    .addOption(new Option('--source-data-sha256 <hex>', 'old name of --training-data-sha256').hideHelp().argParser(sha256Hex))
    .addOption(jsonOption());
  onRun<ReferenceCliOptions>(cmd, ctx, async (_a, o) => {
    const { completeReference, ReferenceError } = await import('../reference.js');
    let bar: Progress | undefined;
    try {
      const r = await completeReference({
        versionDir: join(o.repo, o.model, o.version),
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.output !== undefined ? { output: o.output } : {}),
        producedBy: o.source ?? o.producedBy ?? 'mlmesh reference',
        sourceDataSha256: o.trainingDataSha256 ?? o.sourceDataSha256 ?? null,
        onProgress: (done, total) => {
          bar ??= startProgress('reference', { unit: 'rows', total });
          bar.update(done);
        },
      });
      bar?.stop();
      printer(o.json).record({ ...r }, () => `${r.dir}: outputs.npy [${r.outputShape.join(', ')}] from ${r.output}, reference.json written (${r.rows} rows)`);
    } catch (e: unknown) {
      if (e instanceof ReferenceError) throw new CommandError(e.message);
      throw e;
    } finally {
      bar?.stop();
    }
  });
}
