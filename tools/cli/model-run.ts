/** `model add` at work: the result printed, a progress bar for the reference. */
import { relative } from 'node:path';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import { addModel } from '../model/add.js';
import type { AddedModel } from '../model/add.js';
import { UsageError } from './errors.js';
import type { ModelAddCliOptions } from './model.js';
import { printer } from './output.js';
import { startProgress } from './progress.js';
import type { Progress } from './progress.js';

/** A path as people read it: relative to the working folder when inside it. */
function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel === '' || rel.startsWith('..') ? p : rel;
}

function text(r: AddedModel): string {
  const t = (x: { name: string; datatype: string; shape: number[] }) => `${x.name} ${x.datatype} [${x.shape.map((d) => (d === -1 ? '-1' : String(d))).join(', ')}]`;
  return [
    `added ${r.model} version ${r.version} in ${shown(r.dir)}`,
    ...r.inputs.map((x) => `  input   ${t(x)}`),
    ...r.outputs.map((x) => `  output  ${t(x)}`),
    `  config  ${r.config === 'written' ? 'written' : 'kept'}: ${shown(r.configFile)} (max_batch_size ${r.maxBatchSize}${r.maxBatchSize > 0 ? ', dynamic batching' : ', not batching'})`,
    `  manifest ${Object.keys(r.manifest.files).length} file(s), SHA-256 model.onnx ${r.manifest.files['model.onnx']}`,
    r.reference ? `  reference ${r.reference.rows} rows, outputs from ${r.reference.output} [${r.reference.outputShape.join(', ')}]` : '  reference none (add one with --reference inputs.npy)',
    `The inference service loads it at start (MLMESH_INFERENCE_STARTUP_MODELS=* by default) or with RepositoryModelLoad; a running one serving ${r.model} with polling on (MLMESH_INFERENCE_REPOSITORY_POLL_MS) picks the version up.`,
  ].join('\n');
}

/** Runs `model add`; `flags` are the batching options given for a model whose config is kept. */
export async function modelAdd(name: string, file: string, o: ModelAddCliOptions, flags: readonly string[]): Promise<void> {
  const out = printer(o.json);
  let bar: Progress | undefined;
  let result: AddedModel;
  try {
    result = await addModel({
      repo: o.repo,
      name,
      file,
      ...(o.version !== undefined ? { version: o.version } : {}),
      ...(o.maxBatchSize !== undefined ? { maxBatchSize: o.maxBatchSize } : {}),
      ...(o.maxQueueDelayUs !== undefined ? { maxQueueDelayUs: o.maxQueueDelayUs } : {}),
      ...(o.instances !== undefined ? { instances: o.instances } : {}),
      ...(o.output ? { outputs: o.output } : {}),
      ...(o.trainingData !== undefined ? { trainingData: o.trainingData } : {}),
      ...(o.parent !== undefined ? { parent: o.parent } : {}),
      ...(o.metrics !== undefined ? { metrics: o.metrics } : {}),
      ...(o.source !== undefined ? { source: o.source } : {}),
      ...(o.reference !== undefined ? { reference: o.reference } : {}),
      ...(o.referenceOutput !== undefined ? { referenceOutput: o.referenceOutput } : {}),
      onReferenceProgress: (done, total) => {
        bar ??= startProgress('reference', { unit: 'rows', total });
        bar.update(done);
      },
    });
  } catch (e: unknown) {
    // A name that is not a model name is a bad command line.
    if (e instanceof InvalidArgumentError) throw new UsageError(e.message, { cause: e });
    throw e;
  } finally {
    bar?.stop();
  }
  if (result.config === 'kept' && flags.length > 0) out.note(`note: ${flags.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} ignored: ${name} keeps its config (${result.configFile})`);
  out.record({ ...result, manifest: { files: result.manifest.files, provenance: result.manifest.provenance } }, () => text(result));
}
