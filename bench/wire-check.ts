/**
 * Cost of the strict wire-format pass every gRPC request now goes through before protobufjs
 * decodes it (shared/grpc/wire-check.ts), beside the decode itself (not part of the tests):
 *
 *   npm run build && node dist/bench/wire-check.js [--rows 256] [--runs 5]
 *
 * A ModelInferRequest with one FP32 input of `rows` × 64 values in raw_input_contents (256 rows =
 * 64 KiB), two parameters and one requested output; also the same tensor sent as typed
 * `contents.fp32_contents` (a packed array the pass checks element-wise for length only).
 * Reports the median ns per call of the pass and of grpc's request deserializer (protobufjs
 * decode + toObject), over `runs` runs. Writes bench/results/<date>-wire-check.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../shared/config/index.js';
import { loadProtos, serviceDefinition } from '../shared/grpc/index.js';
import { reflectionRootOf } from '../shared/grpc/protos.js';
import { checkWireFormat } from '../shared/grpc/wire-check.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '256' }, runs: { type: 'string', default: '5' } } });
const rows = Number(values.rows);
const runs = Number(values.runs);
const pkg = loadProtos(['inference/grpc_service.proto']);
const definition = serviceDefinition(pkg, 'inference.GRPCInferenceService');
const method = definition['ModelInfer'];
const type = reflectionRootOf(definition)?.lookupType('inference.ModelInferRequest');
if (!method || !type) throw new Error('no ModelInfer');

const values64 = Float32Array.from({ length: rows * 64 }, (_, i) => (i % 17) / 16);
const base = {
  model_name: 'digits_mlp',
  id: 'bench-1',
  parameters: { entity_id: { string_param: 'user-42' }, binary_data_output: { bool_param: true } },
  outputs: [{ name: 'probabilities' }],
};
const raw = method.requestSerialize({ ...base, inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64] }], raw_input_contents: [Buffer.from(values64.buffer)] });
const typed = method.requestSerialize({ ...base, inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64], contents: { fp32_contents: Array.from(values64) } }] });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
function nsPerCall(fn: () => void): number {
  const n = 2000;
  for (let i = 0; i < 200; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

const summary: Record<string, unknown> = { rows, runs, date: new Date().toISOString() };
for (const [name, bytes] of [['raw', raw], ['typed', typed]] as const) {
  const check: number[] = [];
  const decode: number[] = [];
  for (let r = 0; r < runs; r++) {
    check.push(nsPerCall(() => checkWireFormat(bytes, type)));
    decode.push(nsPerCall(() => void method.requestDeserialize(bytes)));
  }
  summary[name] = { bytes: bytes.length, checkNs: Math.round(median(check)), decodeNs: Math.round(median(decode)), ratio: Number((median(check) / median(decode)).toFixed(4)) };
}
console.log(JSON.stringify(summary, null, 2));
const out = join(projectRoot(), 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(join(out, `${new Date().toISOString().slice(0, 10)}-wire-check.json`), JSON.stringify(summary, null, 2));
