/**
 * Completes a drift reference: runs `<version>/reference/inputs.npy` through the version's ONNX
 * model (onnxruntime-node, CPU), writes the outputs as `outputs.npy` and `reference.json` (SHA-256
 * of both files + provenance), so the monitor can test inputs and outputs.
 *
 *   npm run reference -- --repo examples/models --model digits_mlp --version 1 \
 *     [--input input] [--output probabilities] [--produced-by "train.py@abc"] [--source-data-sha256 H]
 *
 * A training job that already has its model's outputs can write outputs.npy itself with np.save
 * (then reference.json is optional, or written by ReplaceReference).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { encodeNpy, readNpy } from '../shared/tensors/index.js';
import type { Datatype } from '../shared/tensors/index.js';

const { values } = parseArgs({
  options: {
    repo: { type: 'string', default: 'examples/models' },
    model: { type: 'string' },
    version: { type: 'string', default: '1' },
    input: { type: 'string' },
    output: { type: 'string' },
    'produced-by': { type: 'string', default: 'mlmesh reference tool' },
    'source-data-sha256': { type: 'string' },
  },
});
if (!values.model) {
  process.stderr.write('usage: npm run reference -- --model <name> [--repo dir] [--version v] [--input name] [--output name]\n');
  process.exit(2);
}
const dir = join(values.repo, values.model, values.version, 'reference');
const inputs = readNpy(join(dir, 'inputs.npy'));
const ORT_OF: Partial<Record<Datatype, ort.Tensor.Type>> = { FP32: 'float32', FP64: 'float64', INT64: 'int64', INT32: 'int32' };
const ortType = ORT_OF[inputs.datatype];
if (!ortType) {
  process.stderr.write(`inputs.npy: datatype ${inputs.datatype} is not supported by this tool\n`);
  process.exit(2);
}
const session = await ort.InferenceSession.create(await readFile(join(values.repo, values.model, values.version, 'model.onnx')));
const inputName: string = values.input ?? (session.inputNames[0] as string);
const outputName: string = values.output ?? (session.outputNames[0] as string);
const copy = new Uint8Array(inputs.data);
const ctor = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array }[ortType as 'float32'];
const tensor = new ort.Tensor(ortType, new ctor(copy.buffer, 0, copy.byteLength / ctor.BYTES_PER_ELEMENT), inputs.shape);
const result = await session.run({ [inputName]: tensor }, [outputName]);
const out = result[outputName] as ort.Tensor;
if (out.type !== 'float32') {
  process.stderr.write(`output ${outputName} is ${out.type}; the monitor expects float32 probabilities or logits\n`);
  process.exit(2);
}
const outData = out.data as Float32Array;
const outputsNpy = encodeNpy('FP32', out.dims, new Uint8Array(outData.buffer, outData.byteOffset, outData.byteLength));
await writeFile(join(dir, 'outputs.npy'), outputsNpy);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const meta = {
  format: 'mlmesh.reference/v1',
  files: { 'inputs.npy': sha(await readFile(join(dir, 'inputs.npy'))), 'outputs.npy': sha(outputsNpy) },
  rows: inputs.shape[0],
  provenance: {
    produced_by: values['produced-by'],
    source_data_sha256: values['source-data-sha256'] ?? null,
    created_at: new Date().toISOString(),
    previous_sha256: null,
  },
};
await writeFile(join(dir, 'reference.json'), JSON.stringify(meta, null, 2) + '\n');
process.stdout.write(`${dir}: outputs.npy [${out.dims.join(', ')}] from ${outputName}, reference.json written\n`);
await session.release();
