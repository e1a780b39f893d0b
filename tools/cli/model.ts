/**
 * `mlmesh model add NAME FILE.onnx`: getting a model in (implementation in tools/model/add.ts).
 */
import { Command, Option } from 'commander';
import { onRun, sourceOf } from './action.js';
import { jsonOption, nonEmpty, nonNegativeInt, positiveInt, repoOption } from './options.js';
import type { CliContext } from './program.js';

/** Options of `model add`. */
export interface ModelAddCliOptions {
  repo: string;
  version?: number;
  maxBatchSize?: number;
  maxQueueDelayUs?: number;
  instances?: number;
  output?: string[];
  trainingData?: string;
  parent?: string;
  metrics?: string;
  source?: string;
  reference?: string;
  referenceOutput?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Registers the `model` group. */
export function registerModel(program: Command, ctx: CliContext): void {
  const g = program.command('model').description('models in the repository');
  const add = g
    .command('add')
    .description(
      "add an ONNX file as a model version: config.json from the file itself (inputs, outputs, datatypes, dynamic batch axis; batching defaults) for a new model, or checked against the model's config.json / config.pbtxt; model.onnx, manifest.json (SHA-256, provenance) and the drift reference (--reference) in the next free version folder",
    )
    .argument('<name>', 'model name (letters, digits, _ . -)')
    .argument('<file.onnx>', 'the ONNX file')
    .addOption(repoOption())
    .addOption(new Option('--version <n>', 'version number (default: the next free one)').argParser(positiveInt))
    .addOption(new Option('--max-batch-size <n>', 'a new model\'s max_batch_size; 0 serves a model without a dynamic batch axis unbatched').default(64).argParser(nonNegativeInt))
    .addOption(new Option('--max-queue-delay-us <us>', "a new model's dynamic_batching.max_queue_delay_microseconds").default(0).argParser(nonNegativeInt))
    .addOption(new Option('--instances <n>', "a new model's session workers (instance_group count)").default(1).argParser(positiveInt))
    .addOption(new Option('--output <name>', 'serve only this output (repeat for several; e.g. the tensor outputs of a ZipMap model)').argParser(collect))
    .addOption(new Option('--training-data <file>', 'provenance: the training data, hashed (SHA-256)').argParser(nonEmpty))
    .addOption(new Option('--parent <version>', 'provenance: the version this one derives from').argParser(nonEmpty))
    .addOption(new Option('--metrics <file.json>', 'provenance: metrics, a JSON object of name: number').argParser(nonEmpty))
    .addOption(new Option('--source <text>', "provenance: who or what produced the model, e.g. train.py@abc123 (default: 'mlmesh model add')").argParser(nonEmpty))
    .addOption(new Option('--reference <inputs.npy>', 'drift reference: held-out inputs (rows × features); the model is run on them for the outputs').argParser(nonEmpty))
    .addOption(new Option('--reference-output <name>', "the output written to the reference (default: the first FP32 output)").argParser(nonEmpty))
    .addOption(jsonOption());
  onRun<ModelAddCliOptions>(add, ctx, async (args, o, command) => {
    const keep = ['maxBatchSize', 'maxQueueDelayUs', 'instances'].filter((k) => sourceOf(command, k) === 'cli');
    return (await import('./model-run.js')).modelAdd(args[0] as string, args[1] as string, o, keep);
  });
}
