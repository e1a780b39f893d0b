/**
 * The labelling queue and live quality through the running monitor: prediction logs on a private
 * NATS JetStream, the queue exported over gRPC and by `mlmesh feedback export`, the labelled file
 * sent back by `mlmesh feedback import` (twice: counted once), a bad file refused with nothing
 * sent, GetQuality's Wilson intervals and the QualityAlert event when accuracy drops.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type { NatsConnection } from 'nats';
import { projectRoot } from '../../shared/config/index.js';
import { parseCsv } from '../../shared/csv/index.js';
import { STREAMS, SUBJECTS, decodeQualityAlert, encodePredictionLog } from '../../shared/events/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { copyRepository, waitFor } from '../helpers/inference.js';
import { call, startMonitor } from '../helpers/monitor.js';
import type { MonitorFixture } from '../helpers/monitor.js';
import { runNode } from '../helpers/process.js';
import { wilson } from '../../services/monitor/quality.js';
import type { GetLabelQueueResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetLabelQueueResponse.js';
import type { GetQualityResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetQualityResponse.js';

interface Ctx {
  nats: NatsServer;
  nc: NatsConnection;
  monitor: MonitorFixture;
  repo: string;
  dir: string;
}
const test = anyTest as TestFn<Ctx>;

const MODEL = 'digits_mlp';
const clean = readNpy(join(projectRoot(), 'test/fixtures/drift/digits_clean.npy'));

test.before(async (t) => {
  const nats = await NatsServer.start({ jetstream: true });
  const repo = await copyRepository([MODEL]);
  const monitor = await startMonitor({
    natsUrl: nats.url,
    repo,
    overrides: { windowRows: 50, windowSeconds: 0, permutations: 50, labelQueueRows: 10, accuracyThreshold: 0.8, qualityMinLabels: 10 },
  });
  const nc = await connect({ servers: nats.url });
  t.context = { nats, nc, monitor, repo, dir: await mkdtemp(join(tmpdir(), 'mlmesh-quality-')) };
  await waitFor(() => monitor.service.ready, 10_000, 'monitor ready');
});

test.after.always(async (t) => {
  await t.context.nc?.close();
  await t.context.monitor?.stop();
  await t.context.nats?.dispose();
  for (const d of [t.context.repo, t.context.dir]) if (d) await rm(d, { recursive: true, force: true });
});

async function cli(args: readonly string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = runNode('tools/cli/main.js', args);
  const code = await child.exited;
  return { code, stdout: child.stdout.join('\n'), stderr: child.stderr.join('\n') };
}

/** Publishes `n` one-row prediction logs (digits rows, probabilities peaked on class k % 10). */
async function predict(nc: NatsConnection, from: number, n: number): Promise<void> {
  const js = nc.jetstream();
  for (let k = from; k < from + n; k++) {
    const i = k % 100;
    const probs = Float32Array.from({ length: 10 }, (_, c) => (c === k % 10 ? 0.55 + 0.04 * (k % 9) : (0.45 - 0.04 * (k % 9)) / 9));
    const log = encodePredictionLog({
      meta: { event_id: `e${k}`, time_unix_ms: String(1_700_000_000_000 + k) },
      request_id: `req-${k}`,
      model: MODEL,
      version: '1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '64'], raw: Buffer.from(clean.data.subarray(i * 64 * 4, (i + 1) * 64 * 4)) }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['1', '10'], raw: Buffer.from(probs.buffer) }],
    });
    await js.publish(SUBJECTS.prediction(MODEL, '1'), log, { msgID: `req-${k}` });
  }
}

test.serial('quality service - the queue over gRPC and the CLI, a labelled CSV imported twice counts once, a bad file sends nothing, an accuracy drop alerts', async (t) => {
  const { monitor, dir, nats } = t.context;
  const address = `127.0.0.1:${monitor.service.grpcPort}`;
  await predict(t.context.nc, 0, 100);
  const queue = (): Promise<GetLabelQueueResponse__Output> => call<GetLabelQueueResponse__Output>(monitor.client, 'GetLabelQueue', { model: MODEL });
  await waitFor(async () => (await queue().catch(() => undefined))?.items.length === 20, 60_000, 'two windows queued');
  const q = await queue();
  t.deepEqual([...new Set(q.items.map((i) => i.window_index))], ['0', '1']);
  t.true(q.items.every((i) => i.request_id.startsWith('req-') && i.row === 0 && i.inputs.length === 64 && i.has_confidence));
  t.is(q.items.filter((i) => i.stratum === 'uncertain').length, 10, 'half of each 10-row sample: the least confident');
  // The CLI's export is the RPC's CSV.
  const file = join(dir, 'queue.csv');
  const exp = await cli(['feedback', 'export', '--model', MODEL, '--address', address, '--out', file]);
  t.is(exp.code, 0, exp.stderr);
  const text = await readFile(file, 'utf8');
  t.is(text, q.csv);
  const records = parseCsv(text);
  t.is(records.length, 21);
  // Window 0's rows labelled right, window 1's 10 rows: 3 right, 7 wrong (accuracy 0.3 < 0.8).
  let wrong = 0;
  const labelled = records.map((r, i) => {
    if (i === 0) return r.fields;
    const f = [...r.fields];
    const right = f[4] === '0' || wrong >= 7;
    if (!right) wrong++;
    f[9] = right ? (f[7] as string) : String((Number(f[7]) + 1) % 10);
    return f;
  });
  const labelledFile = join(dir, 'labelled.csv');
  await writeFile(labelledFile, labelled.map((f) => f.join(',')).join('\n'));
  const imp = await cli(['feedback', 'import', labelledFile, '--nats', nats.url, '--json']);
  t.is(imp.code, 0, imp.stderr);
  t.like(JSON.parse(imp.stdout) as object, { labels: 20, stored: 20, already_stored: 0 });
  const quality = (): Promise<GetQualityResponse__Output> => call<GetQualityResponse__Output>(monitor.client, 'GetQuality', { model: MODEL });
  await waitFor(async () => Number((await quality()).versions[0]?.total?.labelled_rows ?? 0) === 20, 30_000, 'labels joined');
  const again = await cli(['feedback', 'import', labelledFile, '--nats', nats.url, '--json']);
  t.is(again.code, 0, again.stderr);
  t.like(JSON.parse(again.stdout) as object, { labels: 20, stored: 0, already_stored: 20 });
  const v = (await quality()).versions[0];
  t.like(v?.total, { labelled_rows: '20', correct: '13' });
  const w1 = v?.windows.find((w) => w.window_index === '1');
  const [lo, hi] = wilson(3, 10);
  t.like(w1, { labelled_rows: '10', correct: '3' });
  t.true(Math.abs((w1?.ci_low ?? 0) - lo) < 1e-12 && Math.abs((w1?.ci_high ?? 0) - hi) < 1e-12);
  t.true(hi < 0.8, `the Wilson upper bound ${hi} is below the threshold`);
  // The alert: once, on its subject, for window 1 only.
  const alerts = (await quality()).alerts;
  t.deepEqual(alerts.map((a) => a.alert_id), [`${MODEL}/1/1/accuracy`]);
  const jsm = await t.context.nc.jetstreamManager();
  const ci = await jsm.consumers.add(STREAMS.events.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, filter_subject: SUBJECTS.quality(MODEL) });
  const consumer = await t.context.nc.jetstream().consumers.get(STREAMS.events.name, ci.name);
  const got = [];
  for await (const m of await consumer.fetch({ max_messages: 10, expires: 1500 })) got.push(decodeQualityAlert(m.data));
  t.is(got.length, 1);
  t.like(got[0], { model: MODEL, version: '1', window_index: '1', metric: 'accuracy', value: 0.3, threshold: 0.8, labelled_rows: '10', report_id: `${MODEL}/1/1` });
  // Every queued row is labelled now.
  t.is((await call<GetLabelQueueResponse__Output>(monitor.client, 'GetLabelQueue', { model: MODEL, unlabelled_only: true })).items.length, 0);
  // A bad file: refused by the CLI with the line and column, nothing sent.
  const before = (await jsm.streams.info(STREAMS.feedback.name)).state.messages;
  const bad = join(dir, 'bad.csv');
  await writeFile(bad, `request_id,row,model,label\nreq-1,0,${MODEL},1\nreq-2,zero,${MODEL},1\n`);
  const refused = await cli(['feedback', 'import', bad, '--nats', nats.url]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /line 3, column row: 'zero' is not a row index/);
  t.is((await jsm.streams.info(STREAMS.feedback.name)).state.messages, before);
  // Refusals of the RPCs name the field.
  await t.throwsAsync(call(monitor.client, 'GetLabelQueue', { model: '' }), { message: /model: required/ });
  await t.throwsAsync(call(monitor.client, 'GetLabelQueue', { model: 'nope' }), { message: /NOT_FOUND.*not monitored/ });
  await t.throwsAsync(call(monitor.client, 'GetLabelQueue', { model: MODEL, limit: 20_000 }), { message: /limit: must be in 0\.\.10000/ });
  await t.throwsAsync(call(monitor.client, 'GetQuality', { model: MODEL, version: '9' }), { message: /version: .* no version '9'/ });
});
