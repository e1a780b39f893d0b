/**
 * The protobuf text format reader (config.pbtxt) and the mapping of Triton's ModelConfig onto
 * mlmesh's config: the forms protobuf's TextFormat accepts, Triton's own example configs, and
 * malformed files (errors name the line and column).
 */
import test from 'ava';
import { TextFormatError, parseModelConfig, parseTextFormat, readTritonConfig } from '../../services/inference/index.js';

// docs/examples/model_repository/densenet_onnx/config.pbtxt of triton-inference-server/server.
const DENSENET = `name: "densenet_onnx"
platform: "onnxruntime_onnx"
max_batch_size : 1
input [
  {
    name: "data_0"
    data_type: TYPE_FP32
    format: FORMAT_NCHW
    dims: [ 3, 224, 224 ]
  }
]
output [
  {
    name: "fc6_1"
    data_type: TYPE_FP32
    dims: [ 1000 ]
    reshape { shape: [ 1000, 1, 1 ] }
    label_filename: "densenet_labels.txt"
  }
]`;

// docs/examples/model_repository/simple/config.pbtxt (its licence comment kept short).
const SIMPLE = `# Copyright (c) 2025, NVIDIA CORPORATION. All rights reserved.
#
name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "INPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "OUTPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
`;

function fails(t: { throws: (fn: () => unknown, e: object) => unknown }, text: string, re: RegExp): TextFormatError {
  return t.throws(() => readTritonConfig(text, 'm/config.pbtxt'), { instanceOf: TextFormatError, message: re }) as TextFormatError;
}

test('text format - fields, nested messages in { } and < >, lists, comments, separators, strings with escapes and concatenation', (t) => {
  const m = parseTextFormat(`# a comment
a: 1, b: -2.5e3f ; c: 0x1F d: 017
s: 'it\\'s' "\\x41\\101\\u00e9\\n" # adjacent strings are one
msg { x: true } msg: < y: [1, 2,3] > e: KIND_GPU
list [ { k: 1 }, { k: 2 } ]
empty: []
neg: -inf`, 'x');
  const names = m.fields.map((f) => f.name);
  t.deepEqual(names, ['a', 'b', 'c', 'd', 's', 'msg', 'msg', 'e', 'list', 'list', 'neg']);
  const v = (i: number) => m.fields[i]?.value as { kind: string; text?: string; value?: string };
  t.like(v(1), { kind: 'number', text: '-2.5e3f' });
  t.like(v(2), { kind: 'number', text: '0x1F' });
  t.like(v(4), { kind: 'string', value: "it'sAAé\n" });
  t.like(v(7), { kind: 'identifier', text: 'KIND_GPU' });
  t.like(v(10), { kind: 'identifier', text: '-inf' });
  const second = m.fields[6]?.value as { kind: string; fields: { name: string }[] };
  t.deepEqual(second.fields.map((f) => f.name), ['y', 'y', 'y']);
  t.deepEqual(m.fields[5]?.at, { line: 4, col: 1 });
});

test("triton config - Triton's densenet_onnx example maps its fields and names the ignored ones (reshape served as the model's shape)", (t) => {
  const { config, ignored } = readTritonConfig(DENSENET, 'densenet_onnx/config.pbtxt');
  t.deepEqual(config, {
    name: 'densenet_onnx',
    platform: 'onnxruntime_onnx',
    max_batch_size: 1,
    input: [{ name: 'data_0', data_type: 'TYPE_FP32', dims: [3, 224, 224] }],
    output: [{ name: 'fc6_1', data_type: 'TYPE_FP32', dims: [1000, 1, 1] }],
  });
  t.deepEqual(ignored, ['output[0].label_filename', 'input[0].format (FORMAT_NCHW: tensors are passed as they are)', "output[0].reshape (served with the model's shape [1000, 1, 1] instead of dims [1000])"]);
  const parsed = parseModelConfig(config, 'densenet_onnx');
  t.like(parsed, { maxBatchSize: 1, inputs: [{ name: 'data_0', datatype: 'FP32', dims: [3, 224, 224] }] });
});

test("triton config - Triton's simple example: two inputs, two outputs, INT32, max_batch_size 8; nothing ignored", (t) => {
  const { config, ignored } = readTritonConfig(SIMPLE, 'simple/config.pbtxt');
  t.deepEqual(ignored, []);
  const parsed = parseModelConfig(config, 'simple');
  t.is(parsed.maxBatchSize, 8);
  t.deepEqual(parsed.inputs.map((i) => [i.name, i.datatype, i.dims]), [['INPUT0', 'INT32', [16]], ['INPUT1', 'INT32', [16]]]);
  t.deepEqual(parsed.outputs.map((i) => i.name), ['OUTPUT0', 'OUTPUT1']);
});

test('triton config - dynamic batching, queue policy, instance groups, version policy, accelerators and parameters map onto mlmesh\'s fields', (t) => {
  const { config, ignored } = readTritonConfig(
    `name: "m"
backend: "onnxruntime"
max_batch_size: 32
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 100
  preserve_ordering: true
  default_queue_policy { max_queue_size: 16 default_timeout_microseconds: 5000 timeout_action: REJECT }
}
instance_group [ { count: 2 kind: KIND_GPU gpus: [ 0 ] }, { count: 1, kind: KIND_CPU } ]
version_policy: { specific: { versions: [1, 3] } }
optimization { execution_accelerators {
  gpu_execution_accelerator : [ { name : "tensorrt" parameters { key: "precision_mode" value: "FP16" } } ]
  cpu_execution_accelerator : [ { name : "openvino" } ]
}}
parameters { key: "intra_op_thread_count" value: { string_value: "3" } }
parameters { key: "cudnn_conv_algo_search" value: { string_value: "1" } }
model_warmup [ { name: "w" batch_size: 1 inputs { key: "x" value: { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } } } ]
response_cache { enable: true }`,
    'm/config.pbtxt',
  );
  const parsed = parseModelConfig(config, 'm');
  t.like(parsed, {
    maxBatchSize: 32,
    dynamicBatching: { maxQueueDelayUs: 100, preferredBatchSizes: [4, 8], maxQueueSize: 16, defaultQueueTimeoutUs: 5000 },
    instanceCount: 3,
    executionProviders: ['tensorrt', 'cuda', 'cpu'],
    intraOpThreads: 3,
    versionPolicy: { kind: 'specific', versions: [1, 3] },
  });
  t.deepEqual(ignored.sort(), [
    'dynamic_batching.preserve_ordering',
    'model_warmup',
    'optimization.execution_accelerators.cpu_execution_accelerator[0] (\'openvino\': served on onnxruntime\'s CPU provider)',
    'optimization.execution_accelerators.gpu_execution_accelerator[0].parameters',
    'parameters[cudnn_conv_algo_search]',
    'response_cache',
  ]);
});

test('triton config - malformed files fail naming the line and column', (t) => {
  const e = fails(t, 'name: "m"\nmax_batch_size: 8\ninput [\n  { name: "x" data_type: TYPE_FLOAT32 dims: [4] }\n]', /^m\/config\.pbtxt:4:26: field 'input\[0\]\.data_type': 'TYPE_FLOAT32' is not a DataType/);
  t.is(e.line, 4);
  t.is(e.col, 26);
  fails(t, 'name: "m"\nmax_batch_sise: 4', /^m\/config\.pbtxt:2:1: ModelConfig has no field 'max_batch_sise'/);
  fails(t, 'name "m"', /^m\/config\.pbtxt:1:6: expected ':' or '\{' after field name 'name', got a string/);
  fails(t, 'input {\n  name: "x"\n', /:3:1: expected '\}' to close the message opened at line 1, column 7, got the end of the file/);
  fails(t, 'max_batch_size: 8.5', /:1:17: field 'max_batch_size' is an integer \(int32\), got '8\.5'/);
  fails(t, 'max_batch_size: "8"', /field 'max_batch_size' is an integer/);
  fails(t, 'name: m', /field 'name' is a string: write it in quotes/);
  fails(t, 'name: "a"\nname: "b"', /:2:1: field 'name' is given twice \(first at line 1, column 1\)/);
  fails(t, 'version_policy { latest { num_versions: 1 } all {} }', /only one of latest, all, specific may be set/);
  fails(t, 'name: "unterminated\n', /:1:7: unterminated string/);
  fails(t, 'max_batch_size: 4294967296', /out of range for int32/);
  fails(t, 'input [ { name: "x" } { name: "y" } ]', /expected ',' or '\]' in the list of field 'input'/);
  fails(t, '[ext.field]: 1', /extension and Any fields/);
  fails(t, 'instance_group { kind: KIND_TPU }', /'KIND_TPU' is not a Kind \(one of KIND_AUTO, KIND_GPU, KIND_CPU, KIND_MODEL\)/);
  fails(t, 'dynamic_batching: 5', /field 'dynamic_batching' is a message \(ModelDynamicBatching\)/);
  fails(t, 'max_batch_size: 12abc', /malformed number '12abc'/);
  fails(t, 'name: "m" @', /:1:11: unexpected character '@'/);
  fails(t, 'default_model_filename: "densenet.onnx"', /:1:1: default_model_filename is 'densenet\.onnx': mlmesh loads <version>\/model\.onnx/);
});
