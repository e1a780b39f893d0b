/**
 * The drift page, rendered by Debian's headless Chromium: digits traffic with the model's real
 * outputs (the inference service, without logging), clean then blurred, the south region's rows
 * also noisy, a region parameter and labels, published as prediction logs on a private NATS. Checks the generic
 * detector tables (MMD with each kernel: the Gaussian one votes, the Laplacian and rational-quadratic ones shown only), the feature ranking with PSI and Wasserstein, the outputs, the p-values below
 * the plot's floor marked, retrain, alert and rollout (ModelEvent) markers on the time axis, the live-accuracy series
 * with its band, the calibration plot, the segments, PCA with its explained variance and UMAP;
 * writes a screenshot (MLMESH_KEEP_SCREENSHOT=/tmp/page.png keeps it).
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { connect } from 'nats';
import { projectRoot } from '../../shared/config/index.js';
import { SUBJECTS, encodeFeedback, encodeModelEvent, encodePredictionLog } from '../../shared/events/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { copyRepository, startInference, waitFor } from '../helpers/inference.js';
import { call, startMonitor } from '../helpers/monitor.js';
import type { GetStatusResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetStatusResponse.js';
import type { ListReportsResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/ListReportsResponse.js';
import { P_FLOOR } from '../../services/monitor/svg.js';

const root = projectRoot();
const CHROMIUM = '/usr/bin/chromium';
const MODEL = 'digits_mlp';

test('page - the drift page in Chromium: detector tables, ranking, outputs, floor markers, markers on the time axis, live accuracy, calibration, segments, PCA and UMAP', async (t) => {
  const nats = await NatsServer.start({ jetstream: true });
  const repo = await copyRepository([MODEL]);
  const cfgPath = join(repo, MODEL, 'config.json');
  const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
  cfg['monitoring'] = { ...((cfg['monitoring']) ?? {}), segment_parameter: 'region', projection: 'umap', accuracy_threshold: 0.8, quality_min_labels: 20, label_queue_rows: 10, detectors: ['ks', 'chi2', 'mmd', 'bbsd', 'confidence', 'predicted_class', 'c2st'], mmd_kernels: ['gaussian', 'laplacian', 'rational_quadratic'] };
  await writeFile(cfgPath, JSON.stringify(cfg));
  const monitor = await startMonitor({ natsUrl: nats.url, repo, overrides: { windowRows: 100, windowSeconds: 0, consecutiveWindows: 2, permutations: 200 } });
  const nc = await connect({ servers: nats.url });
  const shots = await mkdtemp(join(tmpdir(), 'mlmesh-page-'));
  t.teardown(async () => {
    await nc.close();
    await monitor.stop();
    await nats.dispose();
    for (const d of [repo, shots]) await rm(d, { recursive: true, force: true });
  });
  await waitFor(() => monitor.service.ready, 10_000, 'monitor ready');
  const clean = readNpy(join(root, 'test/fixtures/drift/digits_clean.npy'));
  const blurred = readNpy(join(root, 'test/fixtures/drift/digits_blurred.npy'));
  const labels = new BigInt64Array(new Uint8Array(readNpy(join(root, 'test/fixtures/drift/digits_clean_labels.npy')).data).buffer);
  const js = nc.jetstream();
  const regions = ['north', 'south', 'east'];
  // The model's real probabilities for a batch of rows.
  const inference = await startInference({ repo });
  t.teardown(() => inference.stop());
  const outputsOf = async (rows: Float32Array): Promise<Float32Array> => {
    const res = await inference.client.infer({ model_name: MODEL, inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length / 64, 64] }], raw_input_contents: [Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength)] }, { deadlineMs: 30_000 });
    const raw = res.raw_output_contents[0] as Buffer;
    return new Float32Array(new Uint8Array(raw).buffer);
  };
  const f32 = (a: { data: Uint8Array }) => new Float32Array(new Uint8Array(a.data).buffer);
  // Windows 0–1: the clean held-out digits; windows 2–4: blurred, and the south's rows also noisy
  // (±5 on the 0–16 pixel scale, seeded), 5 minutes apart in event time, ending now.
  const t0 = Date.now() - 25 * 60_000;
  let noise = 7;
  const rand = (): number => ((noise = (noise * 16807) % 2147483647) / 2147483647);
  let k = 0;
  for (let w = 0; w < 5; w++) {
    const x = w < 2 ? f32(clean).slice(0, 6400) : f32(blurred).slice(0, 6400);
    if (w >= 2) for (let i = 0; i < 100; i++) if (regions[i % 3] === 'south') for (let j = 0; j < 64; j++) x[i * 64 + j] = Math.min(16, Math.max(0, (x[i * 64 + j] as number) + (rand() - 0.5) * 10));
    const out = await outputsOf(x);
    for (let i = 0; i < 100; i++, k++) {
      await js.publish(
        SUBJECTS.prediction(MODEL, '1'),
        encodePredictionLog({
          meta: { event_id: `e${k}`, time_unix_ms: String(t0 + w * 300_000 + i * 1000) },
          request_id: `r${k}`,
          model: MODEL,
          version: '1',
          parameters: { region: regions[i % 3] as string },
          inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '64'], raw: Buffer.from(x.buffer, i * 256, 256) }],
          outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['1', '10'], raw: Buffer.from(out.buffer, i * 40, 40) }],
        }),
        { msgID: `r${k}` },
      );
    }
  }
  // Half of the rows labelled.
  for (let j = 0; j < 500; j += 2) await js.publish(SUBJECTS.feedback(MODEL), encodeFeedback({ request_id: `r${j}`, model: MODEL, label: String(labels[j % 100]) }), { msgID: `fb-${j}` });
  const status = () => call<GetStatusResponse__Output>(monitor.client, 'GetStatus', { model: MODEL }).catch(() => undefined);
  await waitFor(async () => Number((await status())?.versions[0]?.windows_closed ?? 0) >= 5, 90_000, 'five windows closed');
  await waitFor(async () => Number((await status())?.versions[0]?.feedback_rows ?? 0) >= 250, 30_000, 'labels joined');

  // A rollout of version 2 that was rolled back, as the rollout controller publishes it (with its
  // evidence), and an event of another model whose name maps to the same subject token.
  const rollout = [
    { kind: 'rollout_started', at: t0 + 10 * 60_000, reason: 'started by cli' },
    { kind: 'step_started', at: t0 + 10 * 60_000 + 1000, reason: 'candidate at 1%' },
    { kind: 'rolled_back', at: t0 + 16 * 60_000, reason: 'prediction_distribution failed: chi-squared p 1e-9 < 0.001' },
  ];
  for (const [i, e] of rollout.entries()) await js.publish(SUBJECTS.modelEvent(MODEL), encodeModelEvent({ meta: { event_id: `me${i}`, time_unix_ms: String(e.at) }, model: MODEL, kind: e.kind, rollout_id: 'r-test', candidate: '2', baseline: '1', candidate_percent: 1, reason: e.reason, actor: 'controller@test' }), { msgID: `me${i}` });
  await js.publish(SUBJECTS.modelEvent('digits.mlp'), encodeModelEvent({ meta: { event_id: 'other', time_unix_ms: String(t0) }, model: 'digits.mlp', kind: 'route_set', reason: 'OTHER MODEL' }), { msgID: 'other' });

  const res = await fetch(`${monitor.http}/models/${MODEL}`);
  t.is(res.status, 200);
  const html = await res.text();
  const listed = await call<ListReportsResponse__Output>(monitor.client, 'ListReports', { model: MODEL });
  const last = listed.reports[listed.reports.length - 1];
  t.deepEqual(listed.reports.map((r) => r.drifted), [false, false, true, true, true], 'clean windows pass, blurred ones drift');
  // The latest window per detector: every detector of the report, generically.
  for (const d of last?.detectors ?? []) t.true(html.includes(`<td>${d.detector}</td>`), `detector ${d.detector} in the table`);
  t.regex(html, /<table class="detectors">.*threshold.*verdict/s);
  t.regex(html, /<table class="comparison">/);
  // MMD with each kernel: the configured (Gaussian) one votes, the other two are shown only, as
  // columns of the comparison table and rows of the latest-window table.
  for (const r of listed.reports) {
    const names = r.detectors.map((d) => d.detector);
    t.deepEqual(names.slice(names.indexOf('mmd'), names.indexOf('mmd') + 3), ['mmd', 'mmd_laplacian', 'mmd_rational_quadratic'], `window ${r.window_index}: the three kernels`);
    for (const d of r.detectors.filter((x) => x.detector.startsWith('mmd_'))) {
      t.is(d.details['shown_only'], 1);
      t.false(d.drifted);
      t.true(d.has_p_value && d.p_value > 0 && d.p_value <= 1);
    }
  }
  const comparison = /<table class="comparison">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
  const heads = [...comparison.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
  t.true(heads.includes('mmd') && heads.includes('mmd_laplacian †') && heads.includes('mmd_rational_quadratic †'), `comparison columns: ${heads.join(', ')}`);
  // Every window's row has a cell per kernel; the blurred windows' extra kernels are below alpha on their own (orange, not red).
  t.is((comparison.match(/<td class="shown[^"]*"/g) ?? []).length, 2 * listed.reports.length);
  const blurredAlone = listed.reports.slice(2).flatMap((r) => r.detectors.filter((d) => d.detector.startsWith('mmd_') && d.details['alone_drifted'] === 1)).length;
  t.is(blurredAlone, 6, 'the other kernels see the blurred windows too');
  t.is((comparison.match(/<td class="shown alone"/g) ?? []).length, listed.reports.flatMap((r) => r.detectors.filter((d) => d.details['shown_only'] === 1 && d.details['alone_drifted'] === 1)).length);
  t.regex(html, /†: shown only, not in the window's decision/);
  const latest = /<table class="detectors">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
  t.regex(latest, /<td>mmd_laplacian<\/td><td>MMD² \(unbiased, laplacian kernel\)<\/td>.*?not in the family.*?shown only, not in the decision: p &lt; alpha/s);
  t.regex(latest, /<td>mmd_rational_quadratic<\/td><td>MMD² \(unbiased, rational_quadratic kernel\)<\/td>/);
  // The feature ranking shows the PSI and Wasserstein values of the report.
  const top = [...(last?.detectors.find((d) => d.detector === 'ks')?.features ?? [])].sort((a, b) => a.p_value - b.p_value)[0];
  t.truthy(top);
  t.true(html.includes(`<td>${top?.feature}</td>`), 'the most drifted feature is ranked');
  t.regex(html, /<th>PSI<\/th><th>Wasserstein \/ std<\/th>/);
  // p-values below the plot's floor are drawn as triangles, as many as there are.
  const below = listed.reports.flatMap((r) => r.detectors.filter((d) => d.has_p_value && d.p_value < P_FLOOR)).length;
  t.true(below > 0, 'blurred windows have p-values below 1e-6');
  t.is((html.match(/class="below-floor"/g) ?? []).length, below);
  t.true(html.includes(`▼ p below 1e-6: ${below}`));
  // Markers: the retrain request (windows 2–3) and the accuracy alerts.
  t.regex(html, /class="marker-retrain"/);
  t.regex(html, /class="marker-alert"/);
  // The rollout's ModelEvents, read from the stream: two rollout markers and one roll-back, with
  // the evidence in the tooltip; the other model's event is not shown.
  t.is((html.match(/class="marker-rollout"/g) ?? []).length, 2);
  t.is((html.match(/class="marker-rollback"/g) ?? []).length, 1);
  t.regex(html, /rolled_back r-test \(candidate 2 vs 1, step 1 at 1%\): prediction_distribution failed/);
  t.regex(html, /3 rollout events on the time axis/);
  t.false(html.includes('OTHER MODEL'), 'events are filtered by the exact model name');
  // Outputs, quality, segments, embeddings.
  t.regex(html, /aria-label="predicted class shares"/);
  t.regex(html, /aria-label="confidence \(largest probability\)"/);
  t.regex(html, /class="ci-band"/);
  t.regex(html, /aria-label="calibration"/);
  t.regex(html, /Segments by <b>parameter region<\/b>/);
  t.regex(html, /<td>south<\/td>(?:(?!<\/tr>).)*differs/s, 'the noisy region is marked');
  t.regex(html, /axes: PC1 \d+\.\d% \/ PC2 \d+\.\d% of variance/);
  t.regex(html, /aria-label="inputs: UMAP"/);
  // The C2ST's view: its out-of-fold scores, reference rows vs the (blurred) window's rows.
  t.regex(html, /aria-label="c2st: out-of-fold P\(window\)"/);
  const c2st = last?.detectors.find((d) => d.detector === 'c2st');
  t.true((c2st?.details['auc'] ?? 0) > 0.8, `the classifier tells blurred digits apart (AUC ${c2st?.details['auc']})`);
  const bins = (k: string) => Array.from({ length: 10 }, (_, i) => c2st?.details[`oof_bin_${k}_${i}`] ?? 0);
  t.is(bins('ref').reduce((a, b) => a + b, 0), c2st?.details['rows_per_sample'] ?? -1, 'every reference row scored once');
  t.is(bins('win').reduce((a, b) => a + b, 0), c2st?.details['rows_per_sample'] ?? -1, 'every window row scored once');
  t.regex(html, /aria-label="outputs \(probabilities\): UMAP"/);
  t.notRegex(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no scripts, nothing fetched');

  t.true(existsSync(CHROMIUM), 'Debian chromium is needed for the page test (apt-get install chromium)');
  const run = promisify(execFile);
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(shots, 'profile')}`];
  const dom = await run(CHROMIUM, [...flags, '--dump-dom', `${monitor.http}/models/${MODEL}`], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  t.is((dom.stdout.match(/<svg/g) ?? []).length, (html.match(/<svg/g) ?? []).length, 'Chromium parsed every SVG');
  const png = join(shots, 'page.png');
  await run(CHROMIUM, [...flags, `--screenshot=${png}`, '--window-size=1320,5200', `${monitor.http}/models/${MODEL}`], { timeout: 90_000 });
  t.true(statSync(png).size > 50_000, 'a non-trivial screenshot');
  if (process.env['MLMESH_KEEP_SCREENSHOT']) await copyFile(png, process.env['MLMESH_KEEP_SCREENSHOT']);
});
