import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodePredictionLog, encodePredictionLog, STREAMS, SUBJECTS } from '../../shared/events/index.js';
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { buildSnapshot, logRows, readDataset } from '../../services/retrainer/dataset.js';
import { SOURCE_BASE, SOURCE_LOGGED } from '../../services/retrainer/types.js';
import type { DatasetPart } from '../../services/retrainer/types.js';
import { CLASSES, makeBase, publishFeedback, publishLog, rowsOf, snapshotOptions, startCtx } from '../helpers/retrainer-dataset.js';
import type { Ctx } from '../helpers/retrainer-dataset.js';

const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  t.context = await startCtx();
});
test.after.always(async (t) => {
  await t.context.nc?.close();
  await t.context.nats?.dispose();
  if (t.context.tmp) await rm(t.context.tmp, { recursive: true, force: true });
});

/** The test's own reading of the split rule: sha256(`seed:request:row`) first 4 bytes / 2^32 < fraction. */
const inHoldout = (seed: number, id: string, row: number, fraction: number): boolean => createHash('sha256').update(`${seed}:${id}:${row}`).digest().readUInt32BE(0) / 2 ** 32 < fraction;

/** Logged rows of a part as `[x..., y]`, in order. */
function logged(p: DatasetPart, fc: number): number[][] {
  return rowsOf(p.x, fc).flatMap((r, i) => (p.source[i] === SOURCE_LOGGED ? [[...r, p.y[i] as number]] : []));
}

test('snapshot - base rows keep their split, labelled logged rows are joined, split by hash, skips counted', async (t) => {
  const { js } = t.context;
  const model = 'snap_main';
  const base = await makeBase(join(t.context.tmp, 'bases'), model);
  // Another model's logs and feedback are on other subjects and never read.
  await publishLog(js, 'snap_other', 'r1', [[9, 9, 9]]);
  const first = await publishLog(js, model, 'r1', [[1, 1, 1]]);
  await publishLog(js, model, 'r2', [[2, 0, 0], [2, 1, 1]]);
  await publishLog(js, model, 'r3', [[3, 0, 0], [3, 1, 1], [3, 2, 2]]);
  await publishLog(js, model, 'r2', [[7, 7, 7], [7, 7, 7]], { shadow: true });
  await publishLog(js, model, 'r5', [[5, 5, 5]], { inputsOmitted: true });
  await publishLog(js, model, 'r6', [[6, 6, 6, 6]]);
  await publishLog(js, model, 'r8', [[8, 8, 8]], { tensor: 'other' });
  // 'snap.main' has the same subject token as 'snap_main': read, and skipped by its name.
  await publishLog(js, 'snap.main', 'r1', [[9, 9, 9]]);
  const last = await publishLog(js, model, 'r7', [[4, 4, 4]]);
  await publishFeedback(js, 'snap_other', { request_id: 'r1', label: 'cat' });
  await publishFeedback(js, model, { request_id: 'r1', label: 'dog' });
  await publishFeedback(js, model, { request_id: 'r2', labels: ['cat', 'eel'] });
  await publishFeedback(js, model, { request_id: 'r3', label: 'dog', row: 1 });
  await publishFeedback(js, model, { request_id: 'r6', label: 'dog' });
  await publishFeedback(js, model, { request_id: 'nobody', label: 'dog' });
  await publishFeedback(js, model, { request_id: 'r7', label: 'zebra' });
  await publishFeedback(js, model, { request_id: 'r3', label: 'cat', row: 5 });
  await publishFeedback(js, 'snap.main', { request_id: 'r1', label: 'cat' });
  // Later feedback for the same row replaces the earlier: r1 is an eel.
  const lastFb = await publishFeedback(js, model, { request_id: 'r1', label: 'eel' });

  const opts = snapshotOptions(t.context, model, { base, seed: 4, holdoutFraction: 0.5 });
  const built = await buildSnapshot(opts);
  const d = built.loaded;
  t.deepEqual(built.skipped, { other_model: 1, shadow: 1, inputs_omitted: 1, missing_tensor: 1, wrong_width: 1, malformed: 0, non_finite: 0, undecodable: 0, replaced: 0 });

  const labelled: Array<[string, number, number[], number]> = [
    ['r1', 0, [1, 1, 1], 2],
    ['r2', 0, [2, 0, 0], 0],
    ['r2', 1, [2, 1, 1], 2],
    ['r3', 1, [3, 1, 1], 1],
  ];
  const side = (h: boolean) => labelled.filter(([id, row]) => inHoldout(4, id, row, 0.5) === h).map(([, , x, y]) => [...x, y]);
  t.deepEqual(logged(d.train, 3), side(false));
  t.deepEqual(logged(d.holdout, 3), side(true));
  // Base rows first, in their own split, every one SOURCE_BASE.
  t.deepEqual(rowsOf(d.train.x, 3).slice(0, 4), rowsOf(base.train.x, 3));
  t.deepEqual([...d.train.y.subarray(0, 4)], [...base.train.y]);
  t.deepEqual(rowsOf(d.holdout.x, 3).slice(0, 2), rowsOf(base.holdout.x, 3));
  t.deepEqual([...d.train.source.subarray(0, 4), ...d.holdout.source.subarray(0, 2)], Array(6).fill(SOURCE_BASE));
  t.true(side(false).length > 0 && side(true).length > 0, 'both sides get logged rows');
  t.is(d.train.rows, 4 + side(false).length);
  t.is(d.holdout.rows, 2 + side(true).length);

  const m = d.manifest;
  t.deepEqual(m.classes, CLASSES);
  t.is(m.parent_version, '1');
  t.deepEqual(m.sources.base, { dataset_sha256: base.sha256, train_rows: 4, holdout_rows: 2 });
  t.deepEqual(m.sources.logged.ranges, [
    { stream: STREAMS.predictions.name, subject: SUBJECTS.predictionsOf(model), first_sequence: first, last_sequence: last, messages: 9 },
    { stream: STREAMS.feedback.name, subject: SUBJECTS.feedback(model), first_sequence: m.sources.logged.ranges[1]?.first_sequence ?? -1, last_sequence: lastFb, messages: 9 },
  ]);
  // Logged rows: r1 (1) + r2 (2) + r3 (3) + r7 (1); labelled: r1, both of r2, row 1 of r3.
  // Unmatched: r6 (skipped log), nobody, zebra (no such class), r3 row 5.
  t.deepEqual(m.label_join, { logged_rows: 7, labelled_rows: 4, coverage: 4 / 7, feedback_messages: 8, feedback_unmatched: 4 });
  t.deepEqual(built.summary, {
    sha256: d.sha256,
    path: d.path,
    rows_by_source: { base: 6, logged: 4 },
    train_rows: d.train.rows,
    holdout_rows: d.holdout.rows,
    logged_rows: 7,
    labelled_rows: 4,
    label_coverage: 4 / 7,
    ranges: m.sources.logged.ranges,
    feedback_messages: 8,
    feedback_unmatched: 4,
    base_sha256: base.sha256,
  });

  // On disk it verifies and reads back the same; the same inputs give the same snapshot.
  const back = await readDataset(d.path, d.sha256);
  t.deepEqual(back.train, d.train);
  t.deepEqual(back.holdout, d.holdout);
  const again = await buildSnapshot(opts);
  t.is(again.loaded.sha256, d.sha256);
  t.deepEqual(await readdir(opts.rootDir), [d.sha256]);
});

test('snapshot - a range starting mid-stream reads only from there; feedback for earlier requests is unmatched', async (t) => {
  const { js } = t.context;
  const model = 'snap_mid';
  await publishLog(js, model, 'a', [[1, 2, 3]]);
  const mid = await publishLog(js, model, 'b', [[0, 0, 0], [0, 0, 0]]);
  // A later log with the same request id replaces the earlier one (rows and position).
  const end = await publishLog(js, model, 'b', [[4, 5, 6]]);
  await publishFeedback(js, model, { request_id: 'a', label: 'cat' });
  await publishFeedback(js, model, { request_id: 'b', label: 'dog' });
  const built = await buildSnapshot(snapshotOptions(t.context, model, { range: { firstSequence: mid }, holdoutFraction: 0 }));
  t.deepEqual(logged(built.loaded.train, 3), [[4, 5, 6, 1]]);
  t.is(built.loaded.holdout.rows, 0);
  t.like(built.loaded.manifest.sources.logged.ranges[0], { first_sequence: mid, last_sequence: end, messages: 2 });
  t.is(built.skipped.replaced, 1);
  t.like(built.loaded.manifest.label_join, { logged_rows: 1, labelled_rows: 1, feedback_messages: 2, feedback_unmatched: 1 });
});

test('snapshot - the newest maxLoggedRows are kept, and a re-run on more data keeps earlier rows on their side', async (t) => {
  const { js } = t.context;
  const model = 'snap_max';
  const ids = Array.from({ length: 12 }, (_, i) => `q${i}`);
  for (const [i, id] of ids.slice(0, 8).entries()) {
    await publishLog(js, model, id, [[i, i, i]]);
    await publishFeedback(js, model, { request_id: id, label: CLASSES[i % 3] });
  }
  const o = snapshotOptions(t.context, model, { holdoutFraction: 0.4, seed: 3, maxLoggedRows: 5 });
  const one = await buildSnapshot(o);
  const all = (p: DatasetPart) => logged(p, 3).map((r) => r[0]);
  t.deepEqual([...all(one.loaded.train), ...all(one.loaded.holdout)].sort(), [3, 4, 5, 6, 7]);
  t.is(one.loaded.manifest.label_join.labelled_rows, 8);
  for (const [i, id] of ids.slice(8).entries()) {
    await publishLog(js, model, id, [[8 + i, 8 + i, 8 + i]]);
    await publishFeedback(js, model, { request_id: id, label: 'cat' });
  }
  const two = await buildSnapshot({ ...o, maxLoggedRows: 100 });
  t.true(all(two.loaded.holdout).length > 0 && all(two.loaded.train).length > 0, 'both sides get rows');
  t.not(two.loaded.sha256, one.loaded.sha256);
  for (const [i, id] of ids.entries()) {
    const h = inHoldout(3, id, 0, 0.4);
    t.is(all(two.loaded.holdout).includes(i), h, `row ${id}`);
    if (i >= 3 && i < 8) t.is(all(one.loaded.holdout).includes(i), h, `row ${id} in the first run`);
  }
});

test('snapshot - a regressor joins numeric feedback, and a class label for it is unmatched', async (t) => {
  const { js } = t.context;
  const model = 'snap_reg';
  await publishLog(js, model, 'x1', [[1, 0, 0], [0, 1, 0]]);
  await publishFeedback(js, model, { request_id: 'x1', numeric: 2.5, row: 1 });
  await publishFeedback(js, model, { request_id: 'x1', label: 'dog', row: 0 });
  const built = await buildSnapshot(snapshotOptions(t.context, model, { task: 'regression', classes: null, holdoutFraction: 0 }));
  t.deepEqual(logged(built.loaded.train, 3), [[0, 1, 0, 2.5]]);
  t.is(built.loaded.manifest.files.train_y.dtype, '<f4');
  t.like(built.loaded.manifest.label_join, { logged_rows: 2, labelled_rows: 1, feedback_unmatched: 1 });
});

test('snapshot - classes null: integer labels are their own index, classes cover them', async (t) => {
  const { js } = t.context;
  const model = 'snap_int';
  await publishLog(js, model, 'i1', [[1, 1, 1]]);
  await publishLog(js, model, 'i2', [[2, 2, 2]]);
  await publishFeedback(js, model, { request_id: 'i1', label: '3' });
  await publishFeedback(js, model, { request_id: 'i2', label: 'three' });
  const built = await buildSnapshot(snapshotOptions(t.context, model, { classes: null, holdoutFraction: 0 }));
  t.deepEqual(built.loaded.manifest.classes, ['0', '1', '2', '3']);
  t.deepEqual(logged(built.loaded.train, 3), [[1, 1, 1, 3]]);
  t.is(built.loaded.manifest.label_join.feedback_unmatched, 1);
});

test('snapshot - refused: lastSequence past the stream end, a base of another width, bad options', async (t) => {
  const model = 'snap_refused';
  const end = await publishLog(t.context.js, model, 'z', [[1, 1, 1]]);
  await t.throwsAsync(buildSnapshot(snapshotOptions(t.context, model, { range: { firstSequence: 1, lastSequence: end + 1000 } })), { message: /ends at sequence \d+, before the range's last sequence/ });
  const base = await makeBase(join(t.context.tmp, 'bases-refused'), model);
  await t.throwsAsync(buildSnapshot(snapshotOptions(t.context, model, { base, monitoring: { input: 'input', featureCount: 4 } })), { message: /feature_count is 3, the watched input has 4 columns/ });
  await t.throwsAsync(buildSnapshot(snapshotOptions(t.context, model, { base, classes: ['cat', 'dog'] })), { message: /class "eel" is not among the model's classes/ });
  await t.throwsAsync(buildSnapshot(snapshotOptions(t.context, model, { holdoutFraction: 1.5 })), { message: /holdoutFraction: must be in \[0, 1\]/ });
  const ac = new AbortController();
  ac.abort();
  await t.throwsAsync(buildSnapshot(snapshotOptions(t.context, model, { signal: ac.signal })), { message: /cancelled/ });
});

test('logRows - any numeric datatype becomes float32 rows; malformed and non-finite tensors are named', (t) => {
  const log = (datatype: string, shape: number[], raw: Buffer): PredictionLog__Output =>
    decodePredictionLog(encodePredictionLog({ request_id: 'r', model: 'm', version: '1', inputs: [{ name: 'input', datatype, shape, raw }] }));
  const f64 = log('FP64', [2, 3], Buffer.from(Float64Array.from([1, 2, 3, 4, 5, 6.5]).buffer));
  const r = logRows(f64, 'm', 'input', 3);
  if (typeof r === 'string') return t.fail(r);
  t.is(r.rows, 2);
  t.deepEqual([...r.x], [1, 2, 3, 4, 5, 6.5]);
  const i64 = logRows(log('INT64', [1, 3], Buffer.from(BigInt64Array.from([7n, -1n, 0n]).buffer)), 'm', 'input', 3);
  t.deepEqual(typeof i64 === 'string' ? i64 : [...i64.x], [7, -1, 0]);
  t.is(logRows(log('FP32', [1, 3], Buffer.alloc(8)), 'm', 'input', 3), 'malformed');
  t.is(logRows(log('BYTES', [1, 3], Buffer.alloc(12)), 'm', 'input', 3), 'malformed');
  t.is(logRows(log('FP32', [1, 3], Buffer.from(Float32Array.from([1, NaN, 0]).buffer)), 'm', 'input', 3), 'non_finite');
  t.is(logRows(log('FP32', [1, 2, 2], Buffer.alloc(16)), 'm', 'input', 3), 'wrong_width');
  t.is(logRows(f64, 'other', 'input', 3), 'other_model');
});
