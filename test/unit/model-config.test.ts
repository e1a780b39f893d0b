/**
 * Unit tests of the model config.json parser (Triton's fields, validated with messages naming the
 * field path) and of version selection.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { Code } from '../../shared/errors/index.js';
import { ModelLoadError } from '../../services/inference/errors.js';
import { DEFAULT_MODEL_CONFIG, completeModelConfig, parseModelConfig, selectVersions } from '../../services/inference/model-config.js';
import type { ParsedModelConfig } from '../../services/inference/model-config.js';
import type { TensorMeta } from '../../services/inference/worker-protocol.js';

const EXAMPLES = join(projectRoot(), 'examples/models');

function example(name: string): unknown {
  return JSON.parse(readFileSync(join(EXAMPLES, name, 'config.json'), 'utf8'));
}

test('model-config - every committed example config.json parses under its folder name', (t) => {
  const names = readdirSync(EXAMPLES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  t.true(names.length >= 4);
  for (const name of names) {
    const cfg = parseModelConfig(example(name), name);
    t.is(cfg.name, name);
    t.is(cfg.platform, 'onnxruntime_onnx');
    t.true(cfg.inputs.length > 0, name);
  }
});

test('model-config - digits_mlp parses to the expected values', (t) => {
  const expected: ParsedModelConfig = {
    name: 'digits_mlp',
    platform: 'onnxruntime_onnx',
    maxBatchSize: 256,
    inputs: [{ name: 'input', datatype: 'FP32', dims: [64] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', dims: [10] }],
    predictionLog: { sampleRate: 1, logInputs: true },
    dynamicBatching: { maxQueueDelayUs: 2000, preferredBatchSizes: [], maxQueueSize: 1024, defaultQueueTimeoutUs: 0 },
    instanceCount: 1,
    executionProviders: ['cpu'],
    intraOpThreads: 1,
    versionPolicy: { kind: 'latest', numVersions: 1 },
  };
  t.deepEqual(parseModelConfig(example('digits_mlp'), 'digits_mlp'), expected);
});

test('model-config - each example parses to the tensors, batching and instances its file declares', (t) => {
  // Derived from each file rather than hard-coded, so that adding or changing an example does not
  // break this test; the parser must carry every declared value over unchanged.
  type RawTensor = { name: string; data_type: string; dims: number[] };
  type Raw = {
    max_batch_size: number;
    input: RawTensor[];
    output: RawTensor[];
    instance_group: { count: number }[];
    dynamic_batching: { max_queue_delay_microseconds: number; max_queue_size: number };
  };
  const names = readdirSync(EXAMPLES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  for (const name of names) {
    const raw = example(name) as Raw;
    const cfg = parseModelConfig(raw, name);
    const tensors = (list: RawTensor[]) => list.map((x) => ({ name: x.name, datatype: x.data_type.replace(/^TYPE_/, ''), dims: x.dims }));
    t.deepEqual(cfg.inputs, tensors(raw.input), name);
    t.deepEqual(cfg.outputs, tensors(raw.output), name);
    t.is(cfg.maxBatchSize, raw.max_batch_size, name);
    t.is(cfg.instanceCount, raw.instance_group.reduce((n, g) => n + g.count, 0), name);
    t.is(cfg.dynamicBatching.maxQueueDelayUs, raw.dynamic_batching.max_queue_delay_microseconds, name);
    t.is(cfg.dynamicBatching.maxQueueSize, raw.dynamic_batching.max_queue_size, name);
  }
});

test('model-config - prediction_log: sample rate and input logging, validated', (t) => {
  t.deepEqual(parseModelConfig({ prediction_log: { sample_rate: 0.25, log_inputs: false } }, 'm').predictionLog, { sampleRate: 0.25, logInputs: false });
  t.throws(() => parseModelConfig({ prediction_log: { sample_rate: 1.5 } }, 'm'), { message: /prediction_log.sample_rate: must be a number from 0 to 1/ });
  t.throws(() => parseModelConfig({ prediction_log: { log_inputs: 'no' } }, 'm'), { message: /prediction_log.log_inputs: must be true or false/ });
  t.throws(() => parseModelConfig({ prediction_log: { sample: 1 } }, 'm'), { message: /prediction_log.sample: unknown field/ });
});

test('model-config - an empty config takes every default; max_batch_size is left to the ONNX file', (t) => {
  const expected: ParsedModelConfig = {
    name: 'bare',
    platform: 'onnxruntime_onnx',
    maxBatchSize: undefined,
    inputs: [],
    outputs: [],
    predictionLog: { sampleRate: 1, logInputs: true },
    dynamicBatching: { maxQueueDelayUs: 0, preferredBatchSizes: [], maxQueueSize: 1024, defaultQueueTimeoutUs: 0 },
    instanceCount: 1,
    executionProviders: ['cpu'],
    intraOpThreads: 1,
    versionPolicy: { kind: 'latest', numVersions: 1 },
  };
  t.deepEqual(parseModelConfig({}, 'bare'), expected);
  t.is(DEFAULT_MODEL_CONFIG.maxQueueSize, 1024);
});

test('model-config - omitted nested fields take their defaults', (t) => {
  const cfg = parseModelConfig(
    { max_batch_size: 8, dynamic_batching: { preferred_batch_size: [4] }, input: [{ name: 'x', data_type: 'FP32' }], instance_group: [{}] },
    'm',
  );
  t.deepEqual(cfg.dynamicBatching, { maxQueueDelayUs: 0, preferredBatchSizes: [4], maxQueueSize: 1024, defaultQueueTimeoutUs: 0 });
  t.deepEqual(cfg.inputs, [{ name: 'x', datatype: 'FP32', dims: [] }]);
  t.is(cfg.instanceCount, 1);
});

test('model-config - TYPE_FP32 and FP32 are both accepted', (t) => {
  const cfg = parseModelConfig(
    {
      input: [
        { name: 'a', data_type: 'TYPE_FP32', dims: [2] },
        { name: 'b', data_type: 'FP32', dims: [-1, 3] },
      ],
      output: [{ name: 'y', data_type: 'TYPE_INT64', dims: [1] }],
    },
    'm',
  );
  t.deepEqual(cfg.inputs.map((i) => i.datatype), ['FP32', 'FP32']);
  t.deepEqual(cfg.inputs[1]?.dims, [-1, 3]);
  t.is(cfg.outputs[0]?.datatype, 'INT64');
});

test('model-config - instance counts add up, providers are lower-cased, preferred sizes sorted', (t) => {
  const cfg = parseModelConfig(
    {
      max_batch_size: 32,
      dynamic_batching: { preferred_batch_size: [16, 4, 8] },
      instance_group: [{ count: 2, kind: 'KIND_CPU' }, { count: 3, kind: 'KIND_GPU' }, { kind: 'KIND_AUTO' }],
      execution_providers: ['CUDA', 'cpu'],
      intra_op_threads: 0,
    },
    'm',
  );
  t.is(cfg.instanceCount, 6);
  t.deepEqual(cfg.executionProviders, ['cuda', 'cpu']);
  t.deepEqual(cfg.dynamicBatching.preferredBatchSizes, [4, 8, 16]);
  t.is(cfg.intraOpThreads, 0);
});

test('model-config - backend onnxruntime is accepted as the platform', (t) => {
  t.is(parseModelConfig({ backend: 'onnxruntime' }, 'm').platform, 'onnxruntime_onnx');
});

test('model-config - version policies all and specific parse', (t) => {
  t.deepEqual(parseModelConfig({ version_policy: { all: {} } }, 'm').versionPolicy, { kind: 'all' });
  t.deepEqual(parseModelConfig({ version_policy: { specific: { versions: [1, 3] } } }, 'm').versionPolicy, { kind: 'specific', versions: [1, 3] });
  t.deepEqual(parseModelConfig({ version_policy: { latest: { num_versions: 2 } } }, 'm').versionPolicy, { kind: 'latest', numVersions: 2 });
});

const meta = (name: string, shape: number[], datatype: TensorMeta['datatype'] = 'FP32'): TensorMeta => ({ name, datatype, ortType: datatype ? 'float32' : 'non-tensor', shape });
const X = [meta('x', [-1, 64])];
const Y = [meta('y', [-1, 10])];

test('model-config - completeModelConfig: no max_batch_size and a dynamic first dimension everywhere: batching with the default', (t) => {
  const { config, auto } = completeModelConfig(parseModelConfig({}, 'm'), X, Y, 64);
  t.is(config.maxBatchSize, 64);
  t.regex(auto ?? '', /max_batch_size 64/);
  t.is(completeModelConfig(parseModelConfig({}, 'm'), X, Y, 8).config.maxBatchSize, 8, 'the service option decides');
  t.is(DEFAULT_MODEL_CONFIG.autoMaxBatchSize, 64);
});

test('model-config - completeModelConfig: an explicit max_batch_size is kept as it is, 0 included', (t) => {
  t.deepEqual(completeModelConfig(parseModelConfig({ max_batch_size: 0 }, 'm'), X, Y, 64), { config: { ...parseModelConfig({}, 'm'), maxBatchSize: 0 }, auto: undefined });
  t.is(completeModelConfig(parseModelConfig({ max_batch_size: 3 }, 'm'), X, Y, 64).config.maxBatchSize, 3);
});

test('model-config - completeModelConfig: a fixed first dimension anywhere means no batching', (t) => {
  const { config, auto } = completeModelConfig(parseModelConfig({}, 'm'), X, [meta('y', [1, 10])], 64);
  t.is(config.maxBatchSize, 0);
  t.regex(auto ?? '', /'y' has no dynamic first dimension \[1, 10\]/);
  t.is(completeModelConfig(parseModelConfig({}, 'm'), [meta('s', [])], Y, 64).config.maxBatchSize, 0, 'a scalar input');
});

test('model-config - completeModelConfig: only the served outputs count (a ZipMap output left out of the config does not stop batching)', (t) => {
  const outputs = [meta('label', [-1]), meta('zipmap', [], undefined)];
  t.is(completeModelConfig(parseModelConfig({}, 'm'), X, outputs, 64).config.maxBatchSize, 0, 'serving every output: the sequence has no batch axis');
  const cfg = parseModelConfig({ output: [{ name: 'label', data_type: 'INT64', dims: [] }] }, 'm');
  t.is(completeModelConfig(cfg, X, outputs, 64).config.maxBatchSize, 64);
});

test('model-config - completeModelConfig: config dims of full rank mean full shapes (no batching); dims without the batch dimension mean batching', (t) => {
  const full = parseModelConfig({ input: [{ name: 'x', data_type: 'FP32', dims: [-1, 64] }] }, 'm');
  const { config, auto } = completeModelConfig(full, X, Y, 64);
  t.is(config.maxBatchSize, 0);
  t.regex(auto ?? '', /full-rank dims/);
  const rows = parseModelConfig({ input: [{ name: 'x', data_type: 'FP32', dims: [64] }] }, 'm');
  t.is(completeModelConfig(rows, X, Y, 64).config.maxBatchSize, 64);
});

test('model-config - completeModelConfig: preferred batch sizes raise the default; defaultMaxBatchSize 0 turns auto-batching off', (t) => {
  const cfg = parseModelConfig({ dynamic_batching: { preferred_batch_size: [100] } }, 'm');
  t.is(completeModelConfig(cfg, X, Y, 64).config.maxBatchSize, 100);
  t.is(completeModelConfig(parseModelConfig({}, 'm'), X, Y, 0).config.maxBatchSize, 0);
});

test('model-config - keys and values a client sends in a config are clipped in the message', (t) => {
  const err = t.throws(() => parseModelConfig({ ['k'.repeat(20_000)]: 1 }, 'm'), { instanceOf: ModelLoadError });
  t.true((err?.message.length ?? 0) < 400, `${err?.message.length} characters`);
  t.regex(err?.message ?? '', /\(20000 characters\)/);
  const err2 = t.throws(() => parseModelConfig({ platform: 'p'.repeat(20_000) }, 'm'), { instanceOf: ModelLoadError });
  t.true((err2?.message.length ?? 0) < 800, `${err2?.message.length} characters`);
});

/** [title, raw config, field path the message must name, fragment of the message]. */
const INVALID: [string, unknown, string, string][] = [
  ['a top level that is not an object', [], '(top level)', 'must be an object'],
  ['an unknown top-level key', { max_batch_sise: 8 }, 'max_batch_sise', 'unknown field'],
  ['a name that does not match the folder', { name: 'other' }, 'name', `'other' does not match the folder name 'm'`],
  ['an unsupported platform', { platform: 'tensorflow_savedmodel' }, 'platform', 'unsupported platform'],
  ['an unsupported backend', { backend: 'pytorch' }, 'platform', 'unsupported platform "pytorch"'],
  ['a negative max_batch_size', { max_batch_size: -1 }, 'max_batch_size', 'must be an integer >= 0, got -1'],
  ['a fractional max_batch_size', { max_batch_size: 2.5 }, 'max_batch_size', 'must be an integer >= 0'],
  ['a string max_batch_size', { max_batch_size: '8' }, 'max_batch_size', 'got "8"'],
  ['a preferred size above max_batch_size', { max_batch_size: 4, dynamic_batching: { preferred_batch_size: [2, 8] } }, 'dynamic_batching.preferred_batch_size', '8 is larger than max_batch_size 4'],
  ['a preferred size of 0', { max_batch_size: 4, dynamic_batching: { preferred_batch_size: [0] } }, 'dynamic_batching.preferred_batch_size[0]', 'must be an integer >= 1'],
  ['a preferred size that is not a list', { max_batch_size: 4, dynamic_batching: { preferred_batch_size: 4 } }, 'dynamic_batching.preferred_batch_size', 'must be a list of integers'],
  ['dynamic_batching that is not an object', { dynamic_batching: true }, 'dynamic_batching', 'must be an object'],
  ['a negative max_queue_delay_microseconds', { dynamic_batching: { max_queue_delay_microseconds: -5 } }, 'dynamic_batching.max_queue_delay_microseconds', 'must be an integer >= 0'],
  ['a negative max_queue_size', { dynamic_batching: { max_queue_size: -1 } }, 'dynamic_batching.max_queue_size', 'must be an integer >= 0'],
  ['a string default_queue_timeout_microseconds', { dynamic_batching: { default_queue_timeout_microseconds: '100' } }, 'dynamic_batching.default_queue_timeout_microseconds', 'must be an integer >= 0'],
  ['an input list that is not a list', { input: { name: 'x' } }, 'input', 'must be a list'],
  ['an input that is not an object', { input: ['x'] }, 'input[0]', 'must be an object'],
  ['an input without a name', { input: [{ data_type: 'FP32', dims: [1] }] }, 'input[0].name', 'must be a non-empty string'],
  ['an unsupported input data_type', { input: [{ name: 'x', data_type: 'TYPE_STRING', dims: [1] }] }, 'input[0].data_type', 'unsupported data type TYPE_STRING'],
  ['an output data_type of BF16', { output: [{ name: 'y', data_type: 'BF16', dims: [1] }] }, 'output[0].data_type', 'unsupported data type BF16'],
  ['a missing data_type', { input: [{ name: 'x', dims: [1] }] }, 'input[0].data_type', 'must be a non-empty string'],
  ['a dim below -1', { input: [{ name: 'x', data_type: 'FP32', dims: [4, -2] }] }, 'input[0].dims[1]', 'must be an integer >= -1, got -2'],
  ['a duplicate input name', { input: [{ name: 'x', data_type: 'FP32' }, { name: 'x', data_type: 'INT64' }] }, 'input', `'x' is declared twice`],
  ['a duplicate output name', { output: [{ name: 'y', data_type: 'FP32' }, { name: 'y', data_type: 'FP32' }] }, 'output', `'y' is declared twice`],
  ['instance_group that is not a list', { instance_group: { count: 1 } }, 'instance_group', 'must be a list'],
  ['an instance count of 0', { instance_group: [{ count: 0 }] }, 'instance_group[0].count', 'must be an integer >= 1, got 0'],
  ['a bad instance_group kind', { instance_group: [{ count: 1 }, { count: 1, kind: 'KIND_TPU' }] }, 'instance_group[1].kind', 'unknown kind "KIND_TPU"'],
  ['empty execution_providers', { execution_providers: [] }, 'execution_providers', 'must be a non-empty list'],
  ['execution_providers that is a string', { execution_providers: 'cpu' }, 'execution_providers', 'must be a non-empty list'],
  ['a non-string execution provider', { execution_providers: ['cpu', 3] }, 'execution_providers[1]', 'must be a non-empty string'],
  ['a negative intra_op_threads', { intra_op_threads: -1 }, 'intra_op_threads', 'must be an integer >= 0'],
  ['a version_policy that is not an object', { version_policy: 'latest' }, 'version_policy', 'must be an object'],
  ['a version_policy with two policies', { version_policy: { all: {}, latest: { num_versions: 1 } } }, 'version_policy', 'must have exactly one of latest, all, specific'],
  ['an unknown version_policy', { version_policy: { newest: {} } }, 'version_policy', 'unknown policy newest'],
  ['latest.num_versions of 0', { version_policy: { latest: { num_versions: 0 } } }, 'version_policy.latest.num_versions', 'must be an integer >= 1'],
  ['latest without num_versions', { version_policy: { latest: {} } }, 'version_policy.latest.num_versions', 'must be an integer >= 1'],
  ['an empty specific list', { version_policy: { specific: { versions: [] } } }, 'version_policy.specific.versions', 'must list at least one version'],
  ['a specific version of 0', { version_policy: { specific: { versions: [1, 0] } } }, 'version_policy.specific.versions[1]', 'must be an integer >= 1'],
];

for (const [title, raw, path, fragment] of INVALID) {
  test(`model-config - ${title} is a ModelLoadError naming ${path}`, (t) => {
    const err = t.throws(() => parseModelConfig(raw, 'm'), { instanceOf: ModelLoadError });
    t.true(err?.message.startsWith(`config of model 'm': ${path}: `), err?.message);
    t.true(err?.message.includes(fragment), err?.message);
    t.is(err?.code, Code.FAILED_PRECONDITION);
  });
}

test('model-config - selectVersions latest N takes the highest N, sorted numerically', (t) => {
  t.deepEqual(selectVersions({ kind: 'latest', numVersions: 2 }, [3, 10, 1, 2]), [3, 10]);
  t.deepEqual(selectVersions({ kind: 'latest', numVersions: 1 }, [9, 10]), [10]);
  t.deepEqual(selectVersions({ kind: 'latest', numVersions: 5 }, [2, 1]), [1, 2]);
  t.deepEqual(selectVersions({ kind: 'latest', numVersions: 1 }, []), []);
});

test('model-config - selectVersions all returns every version sorted', (t) => {
  t.deepEqual(selectVersions({ kind: 'all' }, [3, 1, 20, 2]), [1, 2, 3, 20]);
});

test('model-config - selectVersions specific keeps only listed versions present on disk', (t) => {
  t.deepEqual(selectVersions({ kind: 'specific', versions: [7, 2, 3] }, [1, 2, 3, 4]), [2, 3]);
  t.deepEqual(selectVersions({ kind: 'specific', versions: [9] }, [1, 2]), []);
});

test('model-config - selectVersions does not modify its input', (t) => {
  const available = [3, 1, 2];
  selectVersions({ kind: 'all' }, available);
  t.deepEqual(available, [3, 1, 2]);
});
