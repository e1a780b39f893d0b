/**
 * The closed loop, end to end, with real processes on a private nats-server: digits_mlp version 1
 * serves with labels flowing back as feedback; the traffic shifts to blurred digits; the monitor
 * sees drift and publishes a RetrainRequest; the retrainer builds the snapshot (the champion's
 * training data + the labelled blurred rows), trains for real (examples/models/digits_mlp/train.py,
 * PyTorch), the gate blesses the candidate (better on blurred digits), version 2 is registered
 * with its provenance, rolled out 1 → 10 → 100 and serves; `mlmesh lineage` shows the dataset hash
 * and the trigger; no client request failed throughout.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/process.js';
import { waitFor } from '../helpers/inference.js';
import { modelEvents } from '../helpers/routing.js';
import { MODEL, startRetrainMesh, torchMissing } from '../helpers/retrainer-mesh.js';

const skip = torchMissing();
if (skip) console.log(`retrainer loop test skipped: ${skip}`);

(skip ? test.skip : test.serial)('retrainer - drift → RetrainRequest → snapshot → train → gate → version 2 → rollout 1/10/100 → serving, with provenance and no failed request', async (t) => {
  t.timeout(600_000);
  const m = await startRetrainMesh({ monitor: true, windowRows: 150 });
  try {
    // Clean traffic first: the monitor's first windows do not drift.
    await m.traffic.send(300);
    m.traffic.blurred = true;
    m.traffic.start();
    const run = await m.waitRun((r) => r.state !== 'running', 480_000, 'the run to end');
    t.log(`run ${run.id}: ${run.state} (${run.reason})`);
    for (const s of run.stages) t.log(`  ${s.name} ${s.state} x${s.attempts}: ${s.detail}`);
    const g = run.gate;
    t.log(`gate: reference ${g?.candidate_reference?.accuracy} vs ${g?.champion_reference?.accuracy}; drifted ${g?.candidate_drifted?.accuracy} vs ${g?.champion_drifted?.accuracy} on ${g?.candidate_drifted?.rows} rows`);
    t.is(run.state, 'promoted', run.reason);
    t.is(run.trigger?.kind, 'drift');
    t.true(run.trigger!.drifted_report_ids.length >= 2, 'the drifted windows are named');
    t.true(Number(run.trigger?.first_sequence) > 300, `the range starts at the drifted windows, after the clean rows (${run.trigger?.first_sequence})`);
    // The snapshot: the champion's training data and the labelled blurred rows.
    const d = run.dataset!;
    t.is(Number(d.rows_by_source['base']), 1797);
    t.true(Number(d.rows_by_source['logged']) >= 100, `${d.rows_by_source['logged']} logged rows`);
    t.true(d.label_coverage > 0.9, `coverage ${d.label_coverage}`);
    t.true(g!.blessed);
    t.true(g!.candidate_drifted!.accuracy > g!.champion_drifted!.accuracy);
    t.deepEqual(run.stages.map((s) => `${s.name}:${s.state}`), ['dataset:done', 'train:done', 'evaluate:done', 'register:done', 'rollout:done', 'outcome:done']);
    t.is(run.candidate_version, '2');
    // Version 2 serves unrouted requests now; version 1 retired.
    await waitFor(async () => (await m.f.client.modelReady(MODEL, '1')).ready === false, 30_000, 'version 1 unloaded');
    await m.traffic.stop();
    const last = m.traffic.sent.slice(-20);
    t.true(last.every((s) => s.version === '2'), JSON.stringify(last.map((s) => s.version)));
    t.is(m.traffic.failures.length, 0, JSON.stringify(m.traffic.failures.slice(0, 3)));
    // Provenance in the manifest of version 2.
    const manifest = JSON.parse(await readFile(join(m.repo, MODEL, '2', 'manifest.json'), 'utf8')) as { files: Record<string, string>; provenance: Record<string, unknown> };
    const p = manifest.provenance;
    t.is(p['parent_version'], '1');
    t.is(p['run_id'], run.id);
    t.is(p['training_data_sha256'], d.sha256);
    t.is((p['trigger'] as { retrain_request_id: string }).retrain_request_id, run.trigger?.retrain_request_id ?? '');
    t.truthy(manifest.files['reference/reference.json'], 'the new version has its drift reference');
    t.true(existsSync(join(m.repo, MODEL, 'datasets', d.sha256, 'dataset.json')));
    // Every stage is an event, in order.
    const runEvents = (await m.events()).filter((e) => e.run_id === run.id);
    t.deepEqual(runEvents.map((e) => e.kind), ['retrain_started', 'retrain_dataset', 'retrain_train', 'retrain_evaluate', 'retrain_register', 'retrain_rollout', 'retrain_outcome']);
    // Every gate number is in the evaluate and outcome events, not only in their reason text.
    for (const kind of ['retrain_evaluate', 'retrain_outcome']) {
      const ev = runEvents.find((e) => e.kind === kind)!;
      const em = ev.metrics;
      t.is(em['blessed'], 1, kind);
      t.is(em['candidate_drifted_accuracy'], g!.candidate_drifted!.accuracy, kind);
      t.is(em['candidate_drifted_log_loss'], g!.candidate_drifted!.log_loss, kind);
      t.is(em['champion_reference_log_loss'], g!.champion_reference!.log_loss, kind);
      t.true(Number.isFinite(em['candidate_drifted_log_loss']) && em['candidate_drifted_log_loss']! > 0, `${kind}: log loss ${em['candidate_drifted_log_loss']}`);
      const recalls = Object.keys(em).filter((k) => k.startsWith('candidate_reference_recall_'));
      t.deepEqual(recalls.sort(), Object.keys(g!.candidate_reference!.per_class_recall).map((c) => `candidate_reference_recall_${c}`).sort(), kind);
      t.is(recalls.length, 10, `${kind}: one recall per digit`);
      for (const c of g!.checks) {
        t.is(em[`check_${c.name}_value`], c.value, `${kind} ${c.name}`);
        t.is(em[`check_${c.name}_threshold`], c.threshold, `${kind} ${c.name}`);
        t.is(em[`check_${c.name}_passed`], 1, `${kind} ${c.name}`);
      }
      t.deepEqual(ev.evidence.map((c) => `${c.name}:${c.state}`), g!.checks.map((c) => `${c.name}:passed`), kind);
      const sig = ev.evidence.find((c) => c.name === 'drifted_significance')!;
      t.true(sig.has_p_value && sig.p_value < sig.threshold, `${kind}: p = ${sig.p_value}`);
      t.is(sig.candidate_samples, String(g!.candidate_drifted!.rows));
    }
    t.log(`event: check_drifted_significance_value ${runEvents.find((e) => e.kind === 'retrain_evaluate')!.metrics['check_drifted_significance_value']}`);
    // The rollout went 1 → 10 → 100 (its state and its events) ...
    const ro = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.is(ro.id, run.rollout_id);
    t.deepEqual(ro.steps.map((s) => s.candidate_percent), [1, 10, 100]);
    t.deepEqual(ro.steps.slice(0, 2).map((s) => s.outcome), ['passed', 'passed']);
    const roEvents = (await modelEvents(m.nc)).filter((e) => e.rollout_id === ro.id && e.run_id === '');
    t.deepEqual(roEvents.filter((e) => e.kind === 'step_started').map((e) => e.candidate_percent), [1, 10]);
    t.deepEqual(roEvents.filter((e) => e.kind === 'step_passed').map((e) => e.candidate_percent), [1, 10]);
    t.is(roEvents.find((e) => e.kind === 'promoted')?.candidate_percent, 100);
    // ... and version 2 answered no request before its first step started (the step's start is
    // stored before its route is written), while version 1 answered the requests before it.
    const stepStart = Number(ro.steps[0]!.started_unix_ms);
    const v2 = m.traffic.sent.filter((s) => s.version === '2');
    t.true(v2.length > 0);
    t.true(v2.every((s) => s.atMs >= stepStart), `first v2 answer at ${Math.min(...v2.map((s) => s.atMs))}, step 0 started at ${stepStart}`);
    t.true(m.traffic.sent.some((s) => s.version === '1' && s.atMs < stepStart && s.blurred), 'blurred requests answered by version 1 before the rollout');
    // The lineage, from the CLI.
    const lin = await runCli(['lineage', MODEL, '2', '--address', m.client.address]);
    t.is(lin.code, 0, lin.stderr);
    const text = lin.stdout.join('\n');
    t.log(text);
    t.true(text.includes(d.sha256), 'the dataset hash');
    t.true(text.includes(run.trigger?.retrain_request_id ?? '?'), 'the trigger');
    t.regex(text, /version 1 {2}parent none/);
    // `runs watch` of the ended run prints it once and exits 0: promoted.
    const watched = await runCli(['runs', 'watch', run.id, '--address', m.client.address]);
    t.is(watched.code, 0, watched.stderr);
    t.regex(watched.stdout.join('\n'), new RegExp(`run ${run.id} {2}model digits_mlp {2}state promoted`));
    // The runs page lists it with its gate and links to the drift reports.
    const page = await (await fetch(`${m.retrainerHttp}/runs/${encodeURIComponent(run.id)}`)).text();
    t.true(page.includes(d.sha256) && page.includes('blessed') && page.includes(`${m.monitor!.http}/models/${MODEL}`));
  } finally {
    await m.stop();
  }
});
