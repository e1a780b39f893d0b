/**
 * The labelling queue: the sampler (sizes, strata, uncertainty ranks), the queue a closing window
 * stores (request ids and rows mapped to the right window rows, split requests and a restart
 * mid-window included), and the labelled CSV coming back through `feedback import`'s parser into
 * live accuracy, once per request row.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { allocate, sampleForLabelling } from '../../services/monitor/label-queue.js';
import type { Candidate } from '../../services/monitor/label-queue.js';
import { queueCsv } from '../../services/monitor/label-csv.js';
import { parseCsv } from '../../shared/csv/index.js';
import { encodeFeedback } from '../../shared/events/index.js';
import { LabelCsvError, labelsFromCsv } from '../../tools/cli/feedback-csv.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx } from '../helpers/monitor-engine.js';
import type { MonitorEngine, StreamMessage } from '../../services/monitor/engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

/** 3-class probabilities with argmax c and max probability conf. */
const probs = (c: number, conf: number): number[] => [0, 1, 2].map((k) => (k === c ? conf : (1 - conf) / 2));
const row = (k: number): number[] => [Math.sin(k), Math.cos(k)];

function candidates(n: number, classOf: (i: number) => number, seed = 1): Candidate[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({ pos: i, requestId: `r${i}`, row: 0, predicted: classOf(i), confidence: 0.34 + 0.66 * rand(), value: null }));
}

test('label queue - allocate: proportional by largest remainder, every class at least one, never beyond a stratum', (t) => {
  t.deepEqual(allocate([50, 30, 20], 10), [5, 3, 2]);
  t.deepEqual(allocate([45, 35, 20], 10), [5, 3, 2], 'remainders .5 .5 0: the earlier stratum first');
  t.deepEqual(allocate([97, 2, 1], 10), [8, 1, 1], 'rare classes get one each, taken from the largest');
  t.deepEqual(allocate([3, 0, 2], 10), [3, 0, 2], 'n above the rows: everything');
  t.deepEqual(allocate([90, 5, 5], 2), [2, 0, 0], 'fewer rows than classes: proportional only');
  for (let n = 0; n <= 40; n++) t.is(allocate([17, 11, 7, 3, 1, 1], n).reduce((a, b) => a + b, 0), Math.min(n, 40));
});

test('label queue - stratified_uncertainty: the least-confident rows first, the rest stratified by predicted class; ranks are confidence order', (t) => {
  // 200 rows: class 0 for 60%, 1 for 30%, 2 for 10%.
  const cands = candidates(200, (i) => (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));
  const picks = sampleForLabelling(cands, { rows: 20, strategy: 'stratified_uncertainty', uncertainShare: 0.5, seed: 'm/1/0' });
  t.is(picks.length, 20);
  t.is(new Set(picks.map((p) => p.pos)).size, 20, 'no row twice');
  const sorted = [...cands].sort((a, b) => (a.confidence as number) - (b.confidence as number));
  const uncertain = picks.filter((p) => p.stratum === 'uncertain');
  t.deepEqual(uncertain.map((p) => p.pos), sorted.slice(0, 10).map((c) => c.pos), 'the 10 least confident, in order');
  t.deepEqual(uncertain.map((p) => p.uncertaintyRank), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Every pick's rank is its place in the window's confidence order.
  for (const p of picks) t.is(p.uncertaintyRank, sorted.findIndex((c) => c.pos === p.pos) + 1);
  // The other 10 follow the class shares of the rows left (allocate on their sizes).
  const left = cands.filter((c) => !uncertain.some((u) => u.pos === c.pos));
  const sizes = [0, 1, 2].map((k) => left.filter((c) => c.predicted === k).length);
  const want = allocate(sizes, 10);
  t.deepEqual([0, 1, 2].map((k) => picks.filter((p) => p.stratum === `class:${k}`).length), want);
  for (const p of picks) if (p.stratum.startsWith('class:')) t.is(p.stratum, `class:${p.predicted}`);
  // Ranks in the sample: uncertainty picks first.
  t.deepEqual(picks.map((p) => p.rank), Array.from({ length: 20 }, (_, i) => i));
  // Seeded: the same window gives the same sample, another window another.
  t.deepEqual(sampleForLabelling(cands, { rows: 20, strategy: 'stratified_uncertainty', uncertainShare: 0.5, seed: 'm/1/0' }), picks);
  t.notDeepEqual(sampleForLabelling(cands, { rows: 20, strategy: 'stratified_uncertainty', uncertainShare: 0.5, seed: 'm/1/1' }).map((p) => p.pos), picks.map((p) => p.pos));
});

test('label queue - the other strategies, small windows and regressors', (t) => {
  const cands = candidates(100, (i) => i % 4);
  const byConf = [...cands].sort((a, b) => (a.confidence as number) - (b.confidence as number));
  const u = sampleForLabelling(cands, { rows: 7, strategy: 'uncertainty', uncertainShare: 0.5, seed: 's' });
  t.deepEqual(u.map((p) => p.pos), byConf.slice(0, 7).map((c) => c.pos));
  const s = sampleForLabelling(cands, { rows: 12, strategy: 'stratified', uncertainShare: 0.5, seed: 's' });
  t.deepEqual([0, 1, 2, 3].map((k) => s.filter((p) => p.stratum === `class:${k}`).length), [3, 3, 3, 3]);
  const r = sampleForLabelling(cands, { rows: 9, strategy: 'random', uncertainShare: 0.5, seed: 's' });
  t.is(r.length, 9);
  t.true(r.every((p) => p.stratum === 'random'));
  t.is(sampleForLabelling(cands.slice(0, 5), { rows: 20, strategy: 'stratified_uncertainty', uncertainShare: 0.5, seed: 's' }).length, 5, 'a window smaller than the sample: every row');
  t.deepEqual(sampleForLabelling([], { rows: 20, strategy: 'random', uncertainShare: 0.5, seed: 's' }), []);
  // A regressor: strata are predicted-value quintiles, no uncertainty part.
  const reg: Candidate[] = Array.from({ length: 50 }, (_, i) => ({ pos: i, requestId: `v${i}`, row: 0, predicted: null, confidence: null, value: i }));
  const rp = sampleForLabelling(reg, { rows: 10, strategy: 'stratified_uncertainty', uncertainShare: 0.5, seed: 's' });
  t.deepEqual(['value_q1', 'value_q2', 'value_q3', 'value_q4', 'value_q5'].map((q) => rp.filter((p) => p.stratum === q).length), [2, 2, 2, 2, 2]);
  for (const p of rp) t.is(p.stratum, `value_q${1 + Math.floor((p.value as number) / 10)}`);
  t.true(rp.every((p) => p.uncertaintyRank === 0));
});

/** Single-row request k: input row(k), class k % 3, confidence rising with k % 7. */
const single = (seq: number, k: number): StreamMessage => msg(seq, [row(k)], { requestId: `q${k}`, probs: [probs(k % 3, 0.4 + 0.08 * (k % 7))] });

test('label queue - a closing window queues rows with their request ids, rows, predictions and inputs; split requests and a restart mid-window included', async (t) => {
  const { engine, restart } = await setup(t.context, { window_rows: 30, window_seconds: 0, detectors: ['ks'], label_queue_rows: 30, label_queue_strategy: 'random' });
  // Window 0: 10 single-row requests, then a 7-row request 'a' …
  const aClasses = [0, 1, 2, 0, 1, 2, 1];
  const multi = (seq: number, id: string, n: number, base: number): StreamMessage => msg(seq, Array.from({ length: n }, (_, i) => row(base + i)), { requestId: id, probs: Array.from({ length: n }, (_, i) => probs(aClasses[i % 7] as number, 0.5)) });
  await engine.applyPredictions(Array.from({ length: 10 }, (_, i) => single(i + 1, i)));
  await engine.applyPredictions([multi(11, 'a', 7, 100)]);
  // … a restart (the window's first 17 rows now come from the store only) …
  const again = await restart();
  // … then 10 more single rows and a 7-row request 'b' split between window 0 (3 rows) and window 1 (4).
  await again.applyPredictions([...Array.from({ length: 10 }, (_, i) => single(12 + i, 10 + i)), multi(22, 'b', 7, 200)]);
  const q = again.labelQueue({ model: 'm', version: '1', windows: [0], unlabelledOnly: false, limit: 100 });
  t.is(q.length, 30, 'a 30-row sample of a 30-row window is every row');
  const byId = new Map(q.map((x) => [`${x.requestId}/${x.row}`, x]));
  for (let k = 0; k < 20; k++) {
    const item = byId.get(`q${k}/0`);
    t.is(item?.predicted, k % 3, `q${k} prediction`);
    t.true(Math.abs((item?.confidence ?? 0) - (0.4 + 0.08 * (k % 7))) < 1e-6, `q${k} confidence`);
    t.true(Math.abs((item?.inputs[0] ?? 9) - Math.sin(k)) < 1e-6, `q${k} inputs`);
  }
  for (let i = 0; i < 7; i++) t.true(Math.abs((byId.get(`a/${i}`)?.inputs[0] ?? 9) - Math.sin(100 + i)) < 1e-6, `a row ${i}`);
  t.deepEqual([0, 1, 2].map((i) => byId.get(`b/${i}`)?.predicted), [0, 1, 2]);
  t.is(byId.get('b/3'), undefined, "b's row 3 went to window 1");
  t.is(again.labelQueue({ model: 'm', version: '1', windows: [1], unlabelledOnly: false, limit: 100 }).length, 0, 'window 1 is still open');
});

/** Applies the Feedback of an imported CSV, as the feedback consumer would (sequences from `seq`). */
async function importCsv(engine: MonitorEngine, csv: string, seq: number): Promise<void> {
  const { labels } = labelsFromCsv(csv, { model: 'm' });
  await engine.applyFeedback(labels.map((l, i) => ({ seq: seq + i, timeMs: 0, data: encodeFeedback(l.feedback) })));
}

test('label queue - the exported CSV, labelled and imported, updates live accuracy once per request row; a re-import changes nothing', async (t) => {
  const { engine, metric } = await setup(t.context, { window_rows: 40, window_seconds: 0, detectors: ['ks'], label_queue_rows: 12, feature_names: ['a', 'b'] });
  await engine.applyPredictions(Array.from({ length: 40 }, (_, i) => single(i + 1, i)));
  const items = engine.labelQueue({ model: 'm', version: '', windows: [], unlabelledOnly: true, limit: 100 });
  t.is(items.length, 12);
  const csv = queueCsv(items, ['a', 'b']);
  const records = parseCsv(csv);
  t.deepEqual(records[0]?.fields, ['request_id', 'row', 'model', 'version', 'window_index', 'stratum', 'uncertainty_rank', 'prediction', 'confidence', 'label', 'a', 'b']);
  // People label it: the model is right on the first 9 rows, wrong on the other 3.
  const labelled = records
    .map((r, i) => {
      if (i === 0) return r.fields;
      const f = [...r.fields];
      f[9] = i <= 9 ? (f[7] as string) : String((Number(f[7]) + 1) % 3);
      return f;
    })
    .map((f) => f.join(','))
    .join('\n');
  await importCsv(engine, labelled, 1);
  t.like(engine.performance('m/1/0'), { labelled: 12, correct: 9, late: 12 });
  t.like(engine.quality('m', '1').total, { labelled: 12, correct: 9 });
  t.is(await metric(engine, 'mlmesh_monitor_live_accuracy', { model: 'm', version: '1' }), 0.75);
  // Imported again (a second run of the command, new stream sequences): counted once.
  await importCsv(engine, labelled, 100);
  t.like(engine.performance('m/1/0'), { labelled: 12, correct: 9 });
  t.is(await metric(engine, 'mlmesh_monitor_feedback_total', { outcome: 'duplicate' }), 12);
  t.is(engine.labelQueue({ model: 'm', version: '1', windows: [0], unlabelledOnly: true, limit: 100 }).length, 0, 'every queued row is labelled now');
  t.true(engine.labelQueue({ model: 'm', version: '1', windows: [0], unlabelledOnly: false, limit: 100 }).every((q) => q.labelled));
});

test('label queue - bad CSV rows are refused, every problem named by line and column, nothing taken', (t) => {
  const csv = [
    'request_id,row,model,label,value',
    'q1,0,m,3,',
    ',0,m,1,', // line 3: empty request id
    'q2,x,m,1,', // line 4: bad row
    'q3,0,other,1,', // line 5: another model than --model
    'q4,0,m,1,2.5', // line 6: both label and value
    'q5,0,m,,abc', // line 7: value not a number
    'q6,0,m,1', // line 8: a field short
    'q1,0,m,4,', // line 9: q1 row 0 labelled differently
    'q7,0,m,,', // unlabelled: skipped, not a problem
  ].join('\r\n');
  const e = t.throws(() => labelsFromCsv(csv, { model: 'm' }), { instanceOf: LabelCsvError });
  t.deepEqual(e?.problems, [
    'line 3, column request_id: empty',
    "line 4, column row: 'x' is not a row index (a non-negative integer)",
    "line 5, column model: 'other' is not the --model given ('m')",
    'line 6, column value: give label or value, not both',
    "line 7, column value: 'abc' is not a finite number",
    'line 8: 4 fields, the header has 5',
    "line 9, column label: request 'q1' row 0 is labelled differently on line 2",
  ]);
  t.throws(() => labelsFromCsv('request_id,prediction\nq1,3\n', { model: 'm' }), { message: /line 1: no label or value column/ });
  t.throws(() => labelsFromCsv('request_id,label\nq1,3\n'), { message: /no model column; give --model/ });
  t.throws(() => labelsFromCsv('request_id,label\n"q1,3\n', { model: 'm' }), { message: /line 2: unterminated quoted field/ });
  // A good file: quoted fields (a comma, quotes, a line break), CRLF and LF, a BOM, a repeated
  // identical row, an unlabelled one, a numeric target.
  const ok = labelsFromCsv('\ufeffrequest_id,row,label,value,note\r\n"q,1",0,"a ""b""",,"x\ny"\r\n"q,1",0,"a ""b""",,\nq2,,,,\nq3,2,,1.5,\n', { model: 'm' });
  t.is(ok.labels.length, 2);
  t.is(ok.repeated, 1);
  t.is(ok.unlabelled, 1);
  t.like(ok.labels[0], { line: 2, msgId: 'feedback-q,1/0', feedback: { request_id: 'q,1', model: 'm', label: 'a "b"', row: 0 } });
  t.like(ok.labels[1], { line: 6, msgId: 'feedback-q3/2', feedback: { request_id: 'q3', numeric: 1.5, row: 2 } });
});

test('label queue - one batch closing several windows queues each of them; the queue follows the join when it prunes', async (t) => {
  const { engine } = await setup(t.context, { window_rows: 10, window_seconds: 0, detectors: ['ks'], label_queue_rows: 4 }, { config: { feedbackRetentionRows: 25 } });
  // 35 single-row requests in one batch: windows 0, 1 and 2 close, all their join rows pending.
  await engine.applyPredictions(Array.from({ length: 35 }, (_, i) => single(i + 1, i)));
  const all = engine.labelQueue({ model: 'm', version: '1', windows: [], unlabelledOnly: false, limit: 100 });
  // The join keeps the newest 25 rows (q10 … q34): window 0's sample can no longer be labelled.
  t.deepEqual([...new Set(all.map((q) => q.windowIndex))], [1, 2]);
  t.is(all.length, 8);
  for (const q of all) t.true(Number(q.requestId.slice(1)) >= 10 * q.windowIndex && Number(q.requestId.slice(1)) < 10 * (q.windowIndex + 1), `${q.requestId} is a row of window ${q.windowIndex}`);
});
