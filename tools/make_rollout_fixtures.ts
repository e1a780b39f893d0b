/**
 * Makes the candidate versions the rollout tests roll out against digits_mlp version 1
 * (test/fixtures/rollout/<name>/model.onnx): graphs derived from the trained
 * examples/models/digits_mlp/1/model.onnx by appending nodes to it, written with protobufjs (no
 * Python onnx package is needed). Same input (`input` FP32 [batch,64]) and output
 * (`probabilities` FP32 [batch,10]) as version 1:
 *
 * - `permuted`: the probabilities' columns permuted (class k answers as PERMUTATION[k]): the
 *   model one gets from training on permuted labels — fast, error-free, wrong.
 * - `slow`: version 1's answer plus 0 × a side chain of 12 MatMul(2048×2048)+Tanh on the input
 *   (weights made in-graph by ConstantOfShape, so the file stays small): same answers, slow.
 * - `flaky`: version 1's answer gathered through indices that go out of range when a row's
 *   first pixel is above 0.9, so a batch holding such a row fails (onnxruntime error).
 *
 * Run: `node dist/tools/make_rollout_fixtures.js` (after `npx tsc -p .`).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { projectRoot } from '../shared/config/index.js';

/** The permutation of the `permuted` fixture: a derangement (no class keeps its label). */
const PERMUTATION = [3, 7, 0, 9, 1, 8, 2, 5, 4, 6] as const;
/** A row whose first pixel is above this fails in the `flaky` fixture. */
const FLAKY_PIXEL_THRESHOLD = 0.9;

// The subset of onnx.proto (field numbers from the ONNX specification) these graphs use.
const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto { optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4; optional TensorProto t = 5; optional GraphProto g = 6; repeated float floats = 7; repeated int64 ints = 8; repeated bytes strings = 9; repeated TensorProto tensors = 10; repeated GraphProto graphs = 11; optional string doc_string = 13; optional int32 type = 20; optional string ref_attr_name = 21; }
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message NodeProto { repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4; repeated AttributeProto attribute = 5; optional string doc_string = 6; optional string domain = 7; }
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto { optional int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; optional string producer_name = 2; optional string producer_version = 3; optional string domain = 4; optional int64 model_version = 5; optional string doc_string = 6; optional GraphProto graph = 7; repeated StringStringEntryProto metadata_props = 14; }
message GraphProto { repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5; optional string doc_string = 10; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13; }
message TensorProto { repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true]; repeated int32 int32_data = 5 [packed = true]; repeated bytes string_data = 6; repeated int64 int64_data = 7 [packed = true]; optional string name = 8; optional string doc_string = 12; optional bytes raw_data = 9; repeated double double_data = 10 [packed = true]; repeated uint64 uint64_data = 11 [packed = true]; }
message TensorShapeProto { message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } optional string denotation = 3; } repeated Dimension dim = 1; }
message TypeProto { message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; } oneof value { Tensor tensor_type = 1; } optional string denotation = 6; }
`;

const FLOAT = 1;
const INT64 = 7;

interface Node {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute?: object[];
}
interface Graph {
  node: Node[];
  initializer: object[];
  output: Array<{ name: string }>;
}

function i64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): object {
  return { name, data_type: INT64, dims: [...dims], int64_data: [...values] };
}

function f32Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): object {
  return { name, data_type: FLOAT, dims: [...dims], float_data: [...values] };
}

/** Renames version 1's output to `raw` (its producer now writes `raw`), so appended nodes can write `probabilities`. */
function detachOutput(g: Graph, raw: string): void {
  const out = g.output[0]?.name ?? 'probabilities';
  for (const n of g.node) n.output = n.output.map((o) => (o === out ? raw : o));
}

function permuted(g: Graph): void {
  detachOutput(g, 'v1_probabilities');
  g.initializer.push(i64Tensor('rollout_permutation', PERMUTATION.map((_, k) => PERMUTATION.indexOf(k as (typeof PERMUTATION)[number]))));
  // probabilities[:, j] = v1[:, inverse[j]]: the class v1 calls k is answered as PERMUTATION[k].
  g.node.push({ input: ['v1_probabilities', 'rollout_permutation'], output: ['probabilities'], name: 'rollout_permute', op_type: 'Gather', attribute: [{ name: 'axis', i: 1, type: 2 }] });
}

function slow(g: Graph): void {
  detachOutput(g, 'v1_probabilities');
  const width = 2048;
  g.initializer.push(i64Tensor('slow_w0_shape', [64, width]), i64Tensor('slow_w_shape', [width, width]), f32Tensor('slow_zero', [0], []), i64Tensor('slow_axes', [1]));
  const value = (v: number) => [{ name: 'value', t: f32Tensor('v', [v], [1]), type: 4 }];
  g.node.push({ input: ['slow_w0_shape'], output: ['slow_w0'], name: 'slow_w0', op_type: 'ConstantOfShape', attribute: value(0.01) });
  g.node.push({ input: ['slow_w_shape'], output: ['slow_w'], name: 'slow_w', op_type: 'ConstantOfShape', attribute: value(0.0004) });
  g.node.push({ input: ['input', 'slow_w0'], output: ['slow_h0'], name: 'slow_mm0', op_type: 'MatMul' });
  let h = 'slow_h0';
  for (let i = 1; i <= 12; i++) {
    g.node.push({ input: [h, 'slow_w'], output: [`slow_m${i}`], name: `slow_mm${i}`, op_type: 'MatMul' });
    g.node.push({ input: [`slow_m${i}`], output: [`slow_h${i}`], name: `slow_tanh${i}`, op_type: 'Tanh' });
    h = `slow_h${i}`;
  }
  g.node.push({ input: [h, 'slow_axes'], output: ['slow_sum'], name: 'slow_sum', op_type: 'ReduceSum', attribute: [{ name: 'keepdims', i: 1, type: 2 }] });
  g.node.push({ input: ['slow_sum', 'slow_zero'], output: ['slow_nothing'], name: 'slow_times_zero', op_type: 'Mul' });
  g.node.push({ input: ['v1_probabilities', 'slow_nothing'], output: ['probabilities'], name: 'slow_add', op_type: 'Add' });
}

function flaky(g: Graph): void {
  detachOutput(g, 'v1_probabilities');
  g.initializer.push(
    i64Tensor('flaky_cols', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    i64Tensor('flaky_first', [0]),
    f32Tensor('flaky_threshold', [FLAKY_PIXEL_THRESHOLD], []),
    i64Tensor('flaky_jump', [1000], []),
  );
  g.node.push({ input: ['input', 'flaky_first'], output: ['flaky_px'], name: 'flaky_px', op_type: 'Gather', attribute: [{ name: 'axis', i: 1, type: 2 }] });
  g.node.push({ input: ['flaky_px'], output: ['flaky_max'], name: 'flaky_max', op_type: 'ReduceMax', attribute: [{ name: 'keepdims', i: 0, type: 2 }] });
  g.node.push({ input: ['flaky_max', 'flaky_threshold'], output: ['flaky_bad'], name: 'flaky_bad', op_type: 'Greater' });
  g.node.push({ input: ['flaky_bad'], output: ['flaky_bad_i'], name: 'flaky_cast', op_type: 'Cast', attribute: [{ name: 'to', i: INT64, type: 2 }] });
  g.node.push({ input: ['flaky_bad_i', 'flaky_jump'], output: ['flaky_offset'], name: 'flaky_offset', op_type: 'Mul' });
  g.node.push({ input: ['flaky_cols', 'flaky_offset'], output: ['flaky_idx'], name: 'flaky_idx', op_type: 'Add' });
  g.node.push({ input: ['v1_probabilities', 'flaky_idx'], output: ['probabilities'], name: 'flaky_gather', op_type: 'Gather', attribute: [{ name: 'axis', i: 1, type: 2 }] });
}

/** The fixtures by name. */
const ROLLOUT_FIXTURES = { permuted, slow, flaky } as const;

async function main(): Promise<void> {
  const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  const Model = root.lookupType('onnx.ModelProto');
  const src = await readFile(join(projectRoot(), 'examples/models/digits_mlp/1/model.onnx'));
  for (const [name, edit] of Object.entries(ROLLOUT_FIXTURES)) {
    const m = Model.toObject(Model.decode(src), { longs: Number, bytes: Buffer, defaults: false }) as { graph: Graph; producer_name?: string; doc_string?: string };
    edit(m.graph);
    m.doc_string = `digits_mlp version 1 with tools/make_rollout_fixtures.ts '${name}' appended`;
    const out = join(projectRoot(), 'test/fixtures/rollout', name);
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'model.onnx'), Model.encode(Model.fromObject(m)).finish());
    console.log(`wrote ${join(out, 'model.onnx')}`);
  }
}

await main();
