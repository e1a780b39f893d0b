/**
 * End to end: digits predictions through the inference service (prediction logs on a private
 * NATS JetStream), then Gaussian-blurred digits; the monitor publishes a DriftReport per window
 * and exactly one RetrainRequest within the cooldown. Also: feedback joined into accuracy, the
 * gRPC queries, the report stream, and the drift page rendered by headless Chromium.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type * as grpc from '@grpc/grpc-js';
import { projectRoot } from '../../shared/config/index.js';
import { STREAMS, SUBJECTS, decodeDriftReport, decodeRetrainRequest, encodeFeedback } from '../../shared/events/index.js';
import type { DriftReport__Output, RetrainRequest__Output } from '../../shared/events/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import type { NpyArray } from '../../shared/tensors/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { copyRepository, metricValue, startInference, waitFor } from '../helpers/inference.js';
import { call, startMonitor } from '../helpers/monitor.js';
import type { GetStatusResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetStatusResponse.js';
import type { ListReportsResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/ListReportsResponse.js';

const root = projectRoot();
const CHROMIUM = '/usr/bin/chromium';

function rows(a: NpyArray, from: number, count: number): Buffer {
  const cols = a.shape[1] as number;
  return Buffer.from(a.data.subarray(from * cols * 4, (from + count) * cols * 4));
}

test('monitor e2e - clean then blurred digits: a report per window, drift on the blurred ones, exactly one retrain request', async (t) => {
  const nats = await NatsServer.start({ jetstream: true });
  const repo = await copyRepository(['digits_mlp']);
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  const inference = await startInference({ repo, overrides: { natsUrl: nats.url, spoolDir: spool } });
  const monitor = await startMonitor({
    natsUrl: nats.url,
    repo,
    overrides: { windowRows: 100, windowSeconds: 0, consecutiveWindows: 2, cooldownSeconds: 3600, permutations: 300 },
  });
  const nc = await connect({ servers: nats.url });
  const shots = await mkdtemp(join(tmpdir(), 'mlmesh-page-'));
  t.teardown(async () => {
    await nc.close();
    await monitor.stop();
    await inference.stop();
    await nats.dispose();
    for (const d of [repo, spool, shots]) await rm(d, { recursive: true, force: true });
  });
  await waitFor(() => monitor.service.ready, 10_000, 'monitor ready');

  // Reports as they close, over the server stream.
  const watched: DriftReport__Output[] = [];
  const watch = (monitor.client as unknown as { WatchReports: (r: object) => grpc.ClientReadableStream<DriftReport__Output> }).WatchReports({ model: 'digits_mlp' });
  watch.on('data', (r: DriftReport__Output) => watched.push(r));
  watch.on('error', () => {});
  await new Promise((r) => setTimeout(r, 200));

  // No-drift traffic: the 100 held-out digits that are not in the reference (the reference is
  // the other 100 held-out rows: same population, neither fitted by the model). Drifted
  // traffic: those digits blurred.
  const clean = readNpy(join(root, 'test/fixtures/drift/digits_clean.npy'));
  const blurred = readNpy(join(root, 'test/fixtures/drift/digits_blurred.npy'));
  const labels = new BigInt64Array(new Uint8Array(readNpy(join(root, 'test/fixtures/drift/digits_clean_labels.npy')).data).buffer);
  const infer = (data: Buffer, n: number, id?: string) =>
    inference.client.infer({ model_name: 'digits_mlp', ...(id ? { id } : {}), inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 64] }], raw_input_contents: [data] }, { deadlineMs: 10_000 });

  // Window 0: the 100 clean held-out digits one per request (so feedback can join them by request id).
  for (let i = 0; i < 100; i++) await infer(rows(clean, i, 1), 1, `clean-${i}`);
  // Window 1: the same digits 10 per request. Windows 2–5: blurred digits.
  for (let i = 0; i < 100; i += 10) await infer(rows(clean, i, 10), 10);
  for (let w = 0; w < 4; w++) for (let i = 0; i < 100; i += 10) await infer(rows(blurred, i, 10), 10);
  // Ground truth for window 0's requests.
  const js = nc.jetstream();
  for (let i = 0; i < 100; i++) {
    await js.publish(SUBJECTS.feedback('digits_mlp'), encodeFeedback({ request_id: `clean-${i}`, model: 'digits_mlp', label: String(labels[i]) }), { msgID: `fb-${i}` });
  }

  const status = async (): Promise<GetStatusResponse__Output> => call<GetStatusResponse__Output>(monitor.client, 'GetStatus', { model: 'digits_mlp' });
  // NOT_FOUND until the monitor has applied the model's first log (it consumes asynchronously).
  const polled = (): Promise<GetStatusResponse__Output | undefined> => status().catch(() => undefined);
  await waitFor(async () => Number((await polled())?.versions[0]?.windows_closed ?? 0) >= 6, 60_000, 'six windows closed');
  await waitFor(async () => Number((await polled())?.versions[0]?.feedback_rows ?? 0) >= 100, 20_000, 'feedback joined').catch(async (e: unknown) => {
    t.log(await (await fetch(`${monitor.http}/metrics`)).text().then((x) => x.split('\n').filter((l) => l.includes('feedback') || l.includes('skipped')).join('\n')));
    throw e;
  });

  // The events on NATS: one DriftReport per window, exactly one RetrainRequest.
  const jsm = await nc.jetstreamManager();
  const ci = await jsm.consumers.add(STREAMS.events.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await js.consumers.get(STREAMS.events.name, ci.name);
  const reports: DriftReport__Output[] = [];
  const retrains: RetrainRequest__Output[] = [];
  for await (const m of await consumer.fetch({ max_messages: 100, expires: 2000 })) {
    if (m.subject === SUBJECTS.drift('digits_mlp')) reports.push(decodeDriftReport(m.data));
    else if (m.subject === SUBJECTS.retrain('digits_mlp')) retrains.push(decodeRetrainRequest(m.data));
  }
  t.is(reports.length, 6);
  t.deepEqual(reports.map((r) => Number(r.window_index)), [0, 1, 2, 3, 4, 5]);
  t.true(reports.every((r) => Number(r.rows) === 100));
  t.log(reports.map((r) => `${r.window_index}: ${r.drifted ? 'DRIFT' : 'ok'} ${r.detectors.map((d) => `${d.detector}=${d.has_p_value ? d.p_value.toExponential(1) : '-'}`).join(' ')}`).join('\n'));
  t.deepEqual(reports.map((r) => r.drifted), [false, false, true, true, true, true]);
  for (const r of reports.slice(2)) {
    t.true(r.detectors.find((d) => d.detector === 'mmd')?.drifted, `mmd flags window ${r.window_index}`);
    t.true(r.detectors.find((d) => d.detector === 'bbsd')?.drifted, `bbsd flags window ${r.window_index}`);
  }
  // Windows tile the stream: contiguous sequence ranges.
  for (let i = 1; i < reports.length; i++) t.is(Number(reports[i]?.first_sequence), Number(reports[i - 1]?.last_sequence) + 1);
  t.is(retrains.length, 1, 'exactly one retrain request within the cooldown');
  const rr = retrains[0] as RetrainRequest__Output;
  t.is(rr.consecutive_windows, 2);
  t.deepEqual(rr.drifted_report_ids, ['digits_mlp/1/2', 'digits_mlp/1/3']);
  t.is(rr.first_sequence, reports[2]?.first_sequence as string);
  t.is(rr.last_sequence, reports[3]?.last_sequence as string);
  t.is(rr.report?.report_id, 'digits_mlp/1/3');

  // gRPC: status (accuracy from the joined feedback), reports by time range, the watch stream.
  const st = (await status()).versions[0];
  t.is(Number(st?.feedback_rows), 100);
  t.true((st?.accuracy ?? 0) > 0.95, `accuracy ${st?.accuracy}`);
  t.is(st?.consecutive_drifted, 4);
  t.true(Number(st?.last_retrain_ms) > 0);
  const listed = await call<ListReportsResponse__Output>(monitor.client, 'ListReports', { model: 'digits_mlp' });
  t.is(listed.reports.length, 6);
  const mid = Number(reports[3]?.window_end_ms ?? 0);
  const tail = await call<ListReportsResponse__Output>(monitor.client, 'ListReports', { model: 'digits_mlp', from_ms: mid });
  t.true(tail.reports.every((r) => Number(r.window_end_ms) >= mid) && tail.reports.length >= 1 && tail.reports.length < 6);
  await waitFor(() => watched.length >= 6, 5000, 'watched reports');
  t.deepEqual(watched.map((r) => r.report_id), reports.map((r) => r.report_id));
  t.true((st?.accuracy ?? 0) <= 1);
  watch.cancel();
  t.is(await metricValue(monitor.http, 'mlmesh_monitor_rows_total', { model: 'digits_mlp' }), 600);
  t.is(await metricValue(monitor.http, 'mlmesh_monitor_retrain_suppressed_total', { model: 'digits_mlp' }), 2);

  // The page: p-values, histograms and the PCA projection as inline SVG, rendered by Chromium.
  const page = await fetch(`${monitor.http}/models/digits_mlp`);
  t.is(page.status, 200);
  const html = await page.text();
  t.true((html.match(/<svg/g) ?? []).length >= 14, 'p-value chart + 12 histograms + projection');
  t.regex(html, /<polyline/);
  t.is((await fetch(`${monitor.http}/models/nope`)).status, 404);
  t.true(existsSync(CHROMIUM), 'Debian chromium is needed for the page test (apt-get install chromium; .ci/run installs it)');
  const run = promisify(execFile);
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(shots, 'profile')}`];
  const dom = await run(CHROMIUM, [...flags, '--dump-dom', `${monitor.http}/models/digits_mlp`], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  t.true((dom.stdout.match(/<svg/g) ?? []).length >= 14, 'Chromium parsed the page with its SVG charts');
  const png = join(shots, 'page.png');
  await run(CHROMIUM, [...flags, `--screenshot=${png}`, '--window-size=1280,2200', `${monitor.http}/models/digits_mlp`], { timeout: 60_000 });
  t.true(statSync(png).size > 20_000, 'a non-trivial screenshot');
  if (process.env['MLMESH_KEEP_SCREENSHOT']) await copyFile(png, process.env['MLMESH_KEEP_SCREENSHOT']);
});
