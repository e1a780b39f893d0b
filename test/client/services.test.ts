/**
 * mlmesh/client against real preprocess, features (SQLite) and monitor (NATS) services: every
 * RPC of each, the helpers that spare byte handling (transformTensor, toMatrix, toNpy), and the
 * typed errors with the server's field violations.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { parseArtifact } from '../../services/preprocess/index.js';
import {
  AlreadyExistsError,
  FeaturesClient,
  InvalidArgumentError,
  MonitorClient,
  NotFoundError,
  PreprocessClient,
  fromNpy,
  toMatrix,
  toNpy,
  transformTensor,
} from '../../shared/client/index.js';
import type { DriftReport } from '../../shared/client/index.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { freshLocation, startFeatures } from '../helpers/features.js';
import type { FeaturesFixture, StoreLocation } from '../helpers/features.js';
import { copyRepository, waitFor } from '../helpers/inference.js';
import { startMonitor } from '../helpers/monitor.js';
import type { MonitorFixture } from '../helpers/monitor.js';
import { NatsServer } from '../helpers/nats-server.js';
import { FIXTURES, expected, firstFloat32Mismatch, readCsv, specText } from '../helpers/preprocess-fixtures.js';
import { csvToRecords, startPreprocess } from '../helpers/preprocess.js';
import type { PreprocessFixture } from '../helpers/preprocess.js';

interface Ctx {
  pre: PreprocessFixture;
  loc: StoreLocation;
  feat: FeaturesFixture;
  nats: NatsServer;
  repo: string;
  mon: MonitorFixture;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const loc = await freshLocation('sqlite');
  const nats = await NatsServer.start({ jetstream: true });
  const repo = await copyRepository(['digits_mlp']);
  const [pre, feat, mon] = await Promise.all([startPreprocess(), startFeatures(loc), startMonitor({ natsUrl: nats.url, repo })]);
  t.context = { pre, loc, feat, nats, repo, mon };
  await waitFor(() => mon.service.ready, 10_000, 'monitor ready');
});
test.after.always(async (t) => {
  const c = t.context;
  await Promise.all([c.pre?.stop(), c.feat?.stop(), c.mon?.stop()]);
  await c.loc?.cleanup();
  await c.nats?.dispose();
  if (c.repo) await rm(c.repo, { recursive: true, force: true });
});

test('client preprocess - fit, list, get, transform (tensor as a Float32Array), strict mode names every refused field', async (t) => {
  using client = new PreprocessClient(t.context.pre.service.address);
  const fit = await client.fit({ name: 'diab', spec: specText('sklearn'), csv: readFileSync(join(FIXTURES, 'train.csv')) });
  t.is(fit.pipeline?.version, '1');
  t.deepEqual((await client.listPipelines()).pipelines.map((p) => `${p.name}@${p.version}`), ['diab@1']);
  const got = await client.getPipeline({ pipeline: { name: 'diab' } });
  const artifact = parseArtifact(got.artifact_json, 'response', got.pipeline?.sha256 ?? '');

  const { header, rows } = await readCsv('test.csv');
  const records = csvToRecords(artifact.input_schema, header, rows);
  const res = await client.transform({ pipeline: { name: 'diab', version: '1' }, records });
  const tensor = transformTensor(res);
  t.is(tensor.datatype, 'FP32');
  t.deepEqual(tensor.shape, [rows.length, expected('sklearn').feature_names.length]);
  t.true(tensor.data instanceof Float32Array);
  t.is(firstFloat32Mismatch(tensor.data as Float32Array, expected('sklearn').test.flat()), undefined, 'scikit-learn’s numbers');

  const bad = records.slice(0, 4).map((r) => ({ fields: { ...r.fields } }));
  delete bad[1]?.fields?.['age'];
  if (bad[3]?.fields) bad[3].fields['sex'] = { string_value: 'other' };
  const err = await t.throwsAsync(client.transform({ pipeline: { name: 'diab' }, records: bad, mode: 'STRICT' }));
  t.true(err instanceof InvalidArgumentError, String(err));
  const e = err as InvalidArgumentError;
  t.is(e.field, 'records[1].fields.age');
  t.deepEqual(e.fieldViolations.map((v) => v.field), ['records[1].fields.age', 'records[3].fields.sex']);
  t.regex(e.fieldViolations[1]?.description ?? '', /^UNKNOWN_CATEGORY: /);

  const again = await t.throwsAsync(client.fit({ name: 'diab', version: '1', spec: specText('sklearn'), csv: readFileSync(join(FIXTURES, 'train.csv')) }));
  t.true(again instanceof AlreadyExistsError, String(again));
  t.true((await t.throwsAsync(client.getPipeline({ pipeline: { name: 'nope' } }))) instanceof NotFoundError);
});

test('client features - register, get, list, feature services, write, online and historical reads, materialize', async (t) => {
  using client = new FeaturesClient(t.context.feat.service.address);
  const push = { name: 'clicks_1h', version: 1, entity: 'user', value_type: 'INT64' as const, source: { push: {} } };
  const reg = await client.registerFeature({ definition: push });
  t.true(reg.created);
  t.false((await client.registerFeature({ definition: push })).created, 'the same content again is a no-op');
  t.is((await client.getFeature({ feature: 'clicks_1h@1' })).definition?.entity, 'user');
  t.deepEqual((await client.listFeatures()).features.map((f) => `${f.definition?.name}@${f.definition?.version}`), ['clicks_1h@1']);
  await client.registerFeatureService({ service: { name: 'ranker_v1', features: ['clicks_1h@1'] } });
  t.deepEqual((await client.getFeatureService({ name: 'ranker_v1' })).service?.features, ['clicks_1h@1']);

  const w = await client.writeFeatures({
    writes: [
      { feature: 'clicks_1h@1', entity_id: 'u1', event_time_ms: 1_000, value: { int64_value: 3 } },
      { feature: 'clicks_1h@1', entity_id: 'u1', event_time_ms: 2_000, value: { int64_value: '9007199254740993' } },
      { feature: 'clicks_1h@1', entity_id: 'u2', event_time_ms: 1_500, value: { int64_value: 7 } },
    ],
  });
  t.is(w.written, 3);
  const online = await client.getOnlineFeatures({ feature_service: 'ranker_v1', entity_ids: ['u1', 'u2', 'u3'] });
  t.deepEqual(online.columns[0]?.values.map((v) => v.int64_value ?? null), ['9007199254740993', '7', null]);
  t.deepEqual(online.columns[0]?.statuses, ['PRESENT', 'PRESENT', 'NOT_FOUND']);

  const rows = [];
  for await (const chunk of client.getHistoricalFeatures({ features: { refs: ['clicks_1h@1'] }, rows: [{ entity_id: 'u1', time_ms: 1_500 }, { entity_id: 'u1', time_ms: 2_500 }, { entity_id: 'u2', time_ms: 1_000 }], chunk_rows: 1 })) {
    rows.push(...chunk.rows);
  }
  t.deepEqual(rows.map((r) => [r.row_index, r.values[0]?.value?.int64_value ?? null]), [[0, '3'], [1, '9007199254740993'], [2, null]]);

  const bad = await t.throwsAsync(client.writeFeatures({ writes: [{ feature: 'clicks_1h@1', entity_id: 'u1', event_time_ms: 0, value: { int64_value: 1 } }] }));
  t.true(bad instanceof InvalidArgumentError, String(bad));
  t.is((bad as InvalidArgumentError).field, 'writes[0].event_time_ms');

  const fromFile = {
    name: 'avg_balance_30d', version: 1, entity: 'user', value_type: 'FLOAT' as const,
    source: { entity_column: 'user_id', timestamp_column: 'ts', file: { path: 'test/fixtures/features/transactions.csv', format: 'CSV' as const } },
    transforms: [{ window: { column: 'balance', aggregation: 'AVG' as const, window_ms: 2_592_000_000, output: 'value' } }],
  };
  await client.registerFeature({ definition: fromFile });
  const m = await client.materialize({ feature: 'avg_balance_30d@1', start_ms: 0, end_ms: Date.parse('2030-01-01') });
  t.true(Number(m.values_written) > 0 && m.entities > 0, JSON.stringify(m));
  const notFound = await t.throwsAsync(client.getFeature({ feature: 'nope@1' }));
  t.true(notFound instanceof NotFoundError, String(notFound));
});

function normals(seed: number, n: number, cols: number, shiftCol = -1, shift = 0): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n * cols);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand()) + (i % cols === shiftCol ? shift : 0);
  return out;
}

test('client monitor - status, two-sample test from typed arrays, a reference from toNpy, reports and a watch stream', async (t) => {
  using client = new MonitorClient(`127.0.0.1:${t.context.mon.service.grpcPort}`);
  t.deepEqual((await client.getStatus()).versions, []);
  const res = await client.twoSampleTest({
    reference: toMatrix(normals(1, 300, 4), [300, 4]),
    test: toMatrix(normals(2, 200, 4, 2, 0.8), [200, 4]),
    detectors: ['ks'],
    feature_names: ['a', 'b', 'c', 'd'],
  });
  t.true(res.drifted);
  t.deepEqual(res.detectors[0]?.features.filter((f) => f.drifted).map((f) => f.feature), ['c']);
  const rowsIn = await client.twoSampleTest({ reference: toMatrix([[0, 1], [1, 2], [2, 3]]), test: toMatrix([[0, 1], [1, 2], [2, 3]]), detectors: ['ks'] });
  t.false(rowsIn.drifted);
  const badMatrix = await t.throwsAsync(client.twoSampleTest({ reference: { rows: 10, cols: 4, data: Buffer.alloc(12) }, test: toMatrix(normals(3, 10, 4), [10, 4]) }));
  t.true(badMatrix instanceof InvalidArgumentError, String(badMatrix));
  t.regex((badMatrix as InvalidArgumentError).details, /reference\.data: 12 bytes/);

  const inputs = normals(4, 50, 64);
  const ref = await client.replaceReference({ model: 'digits_mlp', version: '1', inputs_npy: toNpy(inputs, [50, 64]), produced_by: 'client-test' });
  t.is(Number(ref.rows), 50);
  const stored = fromNpy(readFileSync(join(t.context.repo, 'digits_mlp/1/reference/inputs.npy')));
  t.deepEqual(stored.shape, [50, 64]);
  t.deepEqual(stored.data, inputs, 'numpy bytes round-trip through the service');

  const notMonitored = await t.throwsAsync(client.listReports({ model: 'digits_mlp' }));
  t.true(notMonitored instanceof NotFoundError, String(notMonitored));

  // A watch ends when the caller aborts; nothing arrives meanwhile (no prediction logs).
  const ac = new AbortController();
  const seen: DriftReport[] = [];
  const watching = (async () => {
    for await (const r of client.watchReports({}, { signal: ac.signal })) seen.push(r);
  })();
  setTimeout(() => ac.abort(), 200).unref();
  const err = await t.throwsAsync(watching);
  t.is(err?.name, 'CancelledError');
  t.deepEqual(seen, []);
});
