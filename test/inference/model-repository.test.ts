/**
 * The repository as an operator lays it out: a path that does not exist, folders the server
 * cannot serve, models without config.json (auto-completed from the ONNX file, batching on when
 * the model has a batch axis), and a scikit-learn model exported the way skl2onnx does by
 * default (a ZipMap output onnxruntime-node cannot return).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { InferenceService } from '../../services/inference/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { copyRepository, f32, metricValue, startInference } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

const S = grpc.status;
const FIXTURE_MODELS = join(projectRoot(), 'test/fixtures/models');
const PARITY = join(projectRoot(), 'test/fixtures/parity');

/** A repository with copies of example models and of test/fixtures/models, without their config.json when asked. */
async function repoWith(opts: { examples?: string[]; fixtures?: string[]; dropConfig?: boolean }): Promise<string> {
  const dir = await copyRepository(opts.examples ?? []);
  for (const m of opts.fixtures ?? []) await cp(join(FIXTURE_MODELS, m), join(dir, m), { recursive: true });
  if (opts.dropConfig) for (const m of opts.examples ?? []) await rm(join(dir, m, 'config.json'));
  return dir;
}

function parsedLogs(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('repository - a model repository path that does not exist refuses to start, naming the path', async (t) => {
  const missing = join(tmpdir(), `mlmesh-no-such-repo-${process.pid}`);
  const err = await t.throwsAsync(
    InferenceService.create({
      env: {},
      overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, modelRepository: missing },
      logger: createLogger({ service: 'test', level: 'silent' }),
    }),
  );
  t.is(err?.name, 'RepositoryError');
  t.true(err?.message.includes(missing), err?.message);
  t.true(err?.message.includes('does not exist'), err?.message);
  t.true(err?.message.includes('MLMESH_INFERENCE_MODEL_REPOSITORY'), err?.message);
});

test('repository - a repository path that is a file refuses to start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-repo-file-'));
  const file = join(dir, 'models');
  await writeFile(file, 'not a folder');
  try {
    const err = await t.throwsAsync(
      InferenceService.create({ env: {}, overrides: { grpcPort: 0, httpPort: 0, modelRepository: file }, logger: createLogger({ service: 'test', level: 'silent' }) }),
    );
    t.regex(err?.message ?? '', /is not a folder/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('repository - every folder that is not served is logged at start with its reason; models without config.json are served', async (t) => {
  const repo = await repoWith({ examples: ['digits_mlp'] });
  await mkdir(join(repo, 'empty_folder'));
  await mkdir(join(repo, 'only_docs'));
  await writeFile(join(repo, 'only_docs', 'README.md'), 'no versions here');
  await mkdir(join(repo, 'bad name with spaces', '1'), { recursive: true });
  await mkdir(join(repo, '.git'));
  await writeFile(join(repo, 'NOTES.txt'), 'a file at the top is not a folder to report');
  await cp(join(projectRoot(), 'examples/models/digits_mlp/1'), join(repo, 'no_config', '1'), { recursive: true });
  const f = await startInference({ repo, captureLogs: true });
  try {
    const skipped = parsedLogs(f.logs).filter((r) => r['msg'] === 'model repository: folder skipped');
    const byFolder = new Map(skipped.map((r) => [r['folder'], String(r['reason'])]));
    t.deepEqual([...byFolder.keys()].sort(), ['.git', 'bad name with spaces', 'empty_folder', 'only_docs']);
    t.regex(byFolder.get('empty_folder') ?? '', /no config\.json and no version folder/);
    t.regex(byFolder.get('only_docs') ?? '', /no config\.json and no version folder/);
    t.regex(byFolder.get('bad name with spaces') ?? '', /not a name a model can have/);
    t.true(skipped.every((r) => r['level'] === 'warn'), 'logged as warnings');
    // The folder without config.json is a model, and is served.
    const index = await f.client.repositoryIndex();
    t.deepEqual(index.models.map((m) => `${m.name}:${m.state}`), ['digits_mlp:READY', 'no_config:READY']);
  } finally {
    await f.stop();
    await rm(repo, { recursive: true, force: true });
  }
});

test('config - a model without config.json loads, with inputs/outputs from the ONNX file and batching on (max_batch_size 64)', async (t) => {
  const repo = await repoWith({ examples: ['digits_mlp'], dropConfig: true });
  const f = await startInference({ repo, captureLogs: true });
  try {
    const md = await f.client.modelMetadata('digits_mlp');
    t.deepEqual(md.inputs.map((i) => ({ ...i, shape: i.shape.map(Number) })), [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }]);
    t.deepEqual(md.outputs.map((i) => ({ ...i, shape: i.shape.map(Number) })), [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }]);
    const inputs = readNpy(join(PARITY, 'digits_mlp/inputs.npy')).data;
    const rows = (n: number) => ({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 64] }], raw_input_contents: [Buffer.from(inputs.subarray(0, n * 256))] });
    const ok = await f.client.infer(rows(64));
    t.deepEqual(ok.outputs[0]?.shape.map(Number), [64, 10]);
    // Batching is on with the chosen max_batch_size: 65 rows are served as two chunks (64 + 1),
    // and the request is bounded by maxRequestBatches (16) × 64.
    const split = await f.client.infer(rows(65));
    t.deepEqual(split.outputs[0]?.shape.map(Number), [65, 10]);
    const big = { model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1025, 64] }], raw_input_contents: [Buffer.alloc(1025 * 256)] };
    await assertStatus(t, f.client.infer(big), S.INVALID_ARGUMENT, /batch of 1025 exceeds the largest request of 1024 rows \(maxRequestBatches × the model's max_batch_size 64\)/);
    const loaded = parsedLogs(f.logs).find((r) => r['msg'] === 'model version loaded' && r['model'] === 'digits_mlp');
    t.is(loaded?.['maxBatchSize'], 64);
    t.regex(String(loaded?.['autoConfig']), /config has no max_batch_size: max_batch_size 64/);
  } finally {
    await f.stop();
    await rm(repo, { recursive: true, force: true });
  }
});

test('config - without max_batch_size, concurrent requests are batched (preferred size 4 reached: one run of 4 rows)', async (t) => {
  const repo = await repoWith({ examples: ['digits_mlp'], dropConfig: true });
  // Only batching settings: max_batch_size is left to the ONNX file (before, this was refused:
  // "preferred_batch_size 4 is larger than max_batch_size 0").
  await writeFile(join(repo, 'digits_mlp', 'config.json'), JSON.stringify({ dynamic_batching: { max_queue_delay_microseconds: 30_000_000, preferred_batch_size: [4] } }));
  const f = await startInference({ repo });
  try {
    const inputs = readNpy(join(PARITY, 'digits_mlp/inputs.npy')).data;
    const expected = readNpy(join(PARITY, 'digits_mlp/outputs.npy')).data;
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        f.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [Buffer.from(inputs.subarray(i * 256, (i + 1) * 256))] }),
      ),
    );
    results.forEach((r, i) => {
      const got = new Float32Array(new Uint8Array(r.raw_output_contents[0] as Buffer).buffer);
      const want = new Float32Array(expected.buffer, expected.byteOffset + i * 40, 10);
      t.true(got.every((v, k) => Math.abs(v - (want[k] as number)) < 1e-5), `row ${i} is its own`);
    });
    t.is(await metricValue(f.http, 'mlmesh_inference_exec_count_total', { model: 'digits_mlp' }), 1, 'one session run');
    t.is(await metricValue(f.http, 'mlmesh_inference_count_total', { model: 'digits_mlp' }), 4);
  } finally {
    await f.stop();
    await rm(repo, { recursive: true, force: true });
  }
});

test('config - an explicit max_batch_size 0 still turns batching off', async (t) => {
  const repo = await repoWith({ examples: ['digits_mlp'], dropConfig: true });
  await writeFile(join(repo, 'digits_mlp', 'config.json'), JSON.stringify({ max_batch_size: 0 }));
  const f = await startInference({ repo });
  try {
    const r = await f.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [100, 64] }], raw_input_contents: [f32(new Array(6400).fill(0))] });
    t.deepEqual(r.outputs[0]?.shape.map(Number), [100, 10], 'the full shape, no batch limit');
  } finally {
    await f.stop();
    await rm(repo, { recursive: true, force: true });
  }
});

test('sklearn - a skl2onnx-style model with a ZipMap output loads when the config serves only the label, and matches scikit-learn', async (t) => {
  const repo = await repoWith({ fixtures: ['digits_logreg_zipmap'] });
  await writeFile(join(repo, 'digits_logreg_zipmap', 'config.json'), JSON.stringify({ output: [{ name: 'output_label', data_type: 'TYPE_INT64', dims: [] }] }));
  const f = await startInference({ repo });
  try {
    const md = await f.client.modelMetadata('digits_logreg_zipmap');
    t.deepEqual(md.outputs.map((o) => o.name), ['output_label']);
    const inputs = readNpy(join(PARITY, 'digits_mlp/inputs.npy')).data;
    const want = new BigInt64Array(readNpy(join(PARITY, 'digits_logreg_zipmap/labels.npy')).data.buffer);
    const got: bigint[] = [];
    for (let start = 0; start < 200; start += 50) {
      const r = await f.client.infer({
        model_name: 'digits_logreg_zipmap',
        inputs: [{ name: 'float_input', datatype: 'FP32', shape: [50, 64] }],
        raw_input_contents: [Buffer.from(inputs.subarray(start * 256, (start + 50) * 256))],
      });
      t.deepEqual(r.outputs.map((o) => o.name), ['output_label']);
      got.push(...new BigInt64Array(new Uint8Array(r.raw_output_contents[0] as Buffer).buffer));
    }
    t.deepEqual(got, [...want], "scikit-learn's own predict on the 200 held-out rows");
  } finally {
    await f.stop();
    await rm(repo, { recursive: true, force: true });
  }
});

test('sklearn - serving every output of a ZipMap model is refused at load, suggesting zipmap=False', async (t) => {
  const repo = await repoWith({ fixtures: ['digits_logreg_zipmap'] });
  const f = await startInference({ repo, overrides: { startupModels: ['none'] } });
  try {
    const err = await assertStatus(t, f.client.load('digits_logreg_zipmap'), S.FAILED_PRECONDITION, /output 'output_probability' is not a tensor/);
    t.regex(err.details, /zipmap': False/);
    t.regex(err.details, /list only the tensor outputs in config\.json "output"/);
    t.notRegex(err.details, /Non tensor type is temporarily not supported/, 'the warm-up did not fetch it');
    const row = (await f.client.repositoryIndex()).models.find((m) => m.name === 'digits_logreg_zipmap');
    t.is(row?.state, 'UNAVAILABLE');
    t.regex(row?.reason ?? '', /zipmap/);
  } finally {
    await f.stop();
    await rm(repo, { recursive: true, force: true });
  }
});
