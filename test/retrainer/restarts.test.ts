/**
 * The retrainer SIGKILLed in the two narrow windows of a run where a restart could register a
 * candidate twice or start its rollout twice, then started again (real processes: private
 * nats-server, inference in process, the rollout service and the retrainer as child processes;
 * the real digits trainer). The test-only MLMESH_RETRAINER_TEST_PAUSE_AT
 * (services/retrainer/test-pause.ts) stops the first retrainer exactly there:
 * - `register:renamed`: version 2's folder renamed into the repository, the candidate not loaded
 *   and the register stage not recorded as done → after the restart one version 2 (its manifest
 *   untouched), never a version 3, one rollout, and the run ends with the rollout's outcome;
 * - `rollout:started`: StartRollout answered, its id not stored in the run → the restarted
 *   retrainer adopts that rollout (no second `rollout_started`), and records its outcome; also
 *   when the rollout has already ended by the time the retrainer is back;
 * - an unknown pause point refuses to start the retrainer (exit 78, the variable named).
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyManifest } from '../../services/inference/manifest.js';
import type { ModelEvent__Output } from '../../shared/events/index.js';
import { waitFor } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';
import { MODEL, torchMissing, withRetrainMesh } from '../helpers/retrainer-mesh.js';
import type { RetrainMesh } from '../helpers/retrainer-mesh.js';
import { modelEvents } from '../helpers/routing.js';

const noTorch = torchMissing();
if (noTorch) console.log(`retrainer restart tests skipped: ${noTorch}`);

const PAUSE_ENV = 'MLMESH_RETRAINER_TEST_PAUSE_AT';

/** Everything in the model's folder of the repository (version folders, half-registered ones). */
async function modelEntries(m: RetrainMesh): Promise<string[]> {
  return (await readdir(join(m.repo, MODEL), { withFileTypes: true })).filter((e) => e.isDirectory() && e.name !== 'datasets').map((e) => e.name).sort();
}

/** The rollout service's own `rollout_started` events of the model. */
async function rolloutsStarted(m: RetrainMesh): Promise<ModelEvent__Output[]> {
  return (await modelEvents(m.nc)).filter((e) => e.model === MODEL && e.run_id === '' && e.kind === 'rollout_started');
}

/**
 * Blurred traffic (labelled), a manual run with the real trainer, the retrainer paused at
 * `point`; the pause's log record is returned once it is there.
 */
async function runUntilPause(t: ExecutionContext, m: RetrainMesh, point: string): Promise<{ runId: string }> {
  m.traffic.blurred = true;
  await m.traffic.send(600);
  m.traffic.start();
  const { run } = await m.client.retrain({ model: MODEL, reason: `restart at ${point}` });
  const rec = await m.retrainer.waitForLog((r) => r['msg'] === 'retrainer: test pause', 240_000);
  t.is(rec['point'], point);
  t.is(rec['run'], run!.id);
  return { runId: run!.id };
}

async function killAndRestart(m: RetrainMesh): Promise<void> {
  m.retrainer.proc.kill('SIGKILL');
  expectKilled(await m.retrainer.exited);
  // Started again without the pause.
  await m.restartRetrainer({});
}

function expectKilled(status: number | string): void {
  if (status !== 'SIGKILL') throw new Error(`the retrainer exited with ${status}, not by the SIGKILL`);
}

const withMesh = (t: ExecutionContext, point: string, run: (m: RetrainMesh) => Promise<void>): Promise<void> => withRetrainMesh(t, { retrainerEnv: { [PAUSE_ENV]: point } }, 420_000, run);

(noTorch ? test.skip : test.serial)('retrainer - SIGKILLed between the rename of version 2 and the register stage recorded: after the restart one version 2, manifest untouched, no version 3, one rollout, the run ends', (t) =>
  withMesh(t, 'register:renamed', async (m) => {
    const { runId } = await runUntilPause(t, m, 'register:renamed');
    // The window: the folder is in the repository, the run still at register (running), the
    // candidate not loaded on inference yet.
    const paused = (await m.client.getRun({ run_id: runId })).run!;
    t.is(paused.stage, 'register');
    t.is(paused.stages.find((s) => s.name === 'register')?.state, 'running');
    t.is(paused.candidate_version, '2');
    t.deepEqual(await modelEntries(m), ['1', '2'], 'version 2 renamed into the repository, no temporary folder left');
    t.false(await m.f.client.modelReady(MODEL, '2').then((r) => r.ready, () => false), 'version 2 not loaded yet');
    const manifestBefore = await readFile(join(m.repo, MODEL, '2', 'manifest.json'), 'utf8');

    await killAndRestart(m);
    const run = await m.waitRun((r) => r.id === runId && r.state !== 'running', 240_000, 'the run to end');
    for (const s of run.stages) t.log(`  ${s.name} ${s.state} x${s.attempts}: ${s.detail}`);
    t.log(`run ${run.state}: ${run.reason}`);
    t.true(['promoted', 'rolled_back'].includes(run.state), `${run.state}: ${run.reason}`);
    t.deepEqual(run.stages.map((s) => `${s.name}:${s.state}`), ['dataset:done', 'train:done', 'evaluate:done', 'register:done', 'rollout:done', 'outcome:done']);
    const reg = run.stages.find((s) => s.name === 'register')!;
    t.is(reg.attempts, 2, 'the register stage ran again after the restart');
    t.regex(reg.detail, /^version 2 was already registered by this run; loaded beside version 1/);
    t.is(run.candidate_version, '2');
    // Exactly one new version, written once: the manifest is byte for byte the one of the first
    // retrainer, it verifies, and its provenance names this run and its data.
    t.deepEqual(await modelEntries(m), ['1', '2'], 'no version 3, no half-registered folder');
    const manifestAfter = await readFile(join(m.repo, MODEL, '2', 'manifest.json'), 'utf8');
    t.is(manifestAfter, manifestBefore, 'version 2 was not written again');
    await t.notThrowsAsync(verifyManifest(join(m.repo, MODEL, '2'), 'version 2'));
    const p = (JSON.parse(manifestAfter) as { provenance: Record<string, unknown> }).provenance;
    t.is(p['run_id'], run.id);
    t.is(p['parent_version'], '1');
    t.is(p['training_data_sha256'], run.dataset?.sha256);
    // One register event (attempt 2: attempt 1 never ended), one rollout of version 2, the run's.
    const ev = (await m.events()).filter((e) => e.run_id === run.id);
    t.deepEqual(ev.map((e) => e.kind), ['retrain_started', 'retrain_dataset', 'retrain_train', 'retrain_evaluate', 'retrain_register', 'retrain_rollout', 'retrain_outcome']);
    const started = await rolloutsStarted(m);
    t.deepEqual(started.map((e) => `${e.rollout_id}:${e.candidate}`), [`${run.rollout_id}:2`]);
    const ro = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.is(ro.id, run.rollout_id);
    t.is(run.rollout_outcome, `${ro.state}: ${ro.reason}`);
    t.is(run.state, ro.state === 'completed' ? 'promoted' : 'rolled_back');
    await m.traffic.stop();
    t.is(m.traffic.failures.length, 0, JSON.stringify(m.traffic.failures.slice(0, 3)));
  }),
);

(noTorch ? test.skip : test.serial)('retrainer - SIGKILLed after StartRollout answered, before the run recorded it: the restarted retrainer adopts that rollout (no second one) and records its outcome', (t) =>
  withMesh(t, 'rollout:started', async (m) => {
    const { runId } = await runUntilPause(t, m, 'rollout:started');
    const paused = (await m.client.getRun({ run_id: runId })).run!;
    t.is(paused.stage, 'rollout');
    t.is(paused.stages.find((s) => s.name === 'rollout')?.state, 'running');
    t.is(paused.rollout_id, '', 'the run has not recorded the rollout');
    const first = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.is(first.candidate, '2');
    t.is(first.baseline, '1');

    await killAndRestart(m);
    const state = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.log(`rollout ${first.id} at the restart: ${state.state} (step ${state.step_index}, ${state.candidate_percent}%)`);
    const run = await m.waitRun((r) => r.id === runId && r.state !== 'running', 240_000, 'the run to end');
    for (const s of run.stages) t.log(`  ${s.name} ${s.state} x${s.attempts}: ${s.detail}`);
    t.log(`run ${run.state}: ${run.reason}`);
    t.is(run.rollout_id, first.id, 'the run adopted the rollout the first retrainer started');
    const adopted = await m.retrainer.waitForLog((r) => r['msg'] === 'retrainer: adopted the rollout a previous retrainer started', 1000);
    t.log(`adopted: ${String(adopted['why'])}`);
    t.is(adopted['rollout'], first.id);
    const started = await rolloutsStarted(m);
    t.deepEqual(started.map((e) => e.rollout_id), [first.id], 'one rollout in all');
    const ro = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.is(ro.id, first.id);
    t.true(['completed', 'rolled_back', 'aborted'].includes(ro.state), ro.state);
    t.is(run.rollout_outcome, `${ro.state}: ${ro.reason}`);
    t.is(run.state, ro.state === 'completed' ? 'promoted' : 'rolled_back', run.reason);
    t.deepEqual(run.stages.map((s) => `${s.name}:${s.state}:${s.attempts}`), ['dataset:done:1', 'train:done:1', 'evaluate:done:1', 'register:done:1', 'rollout:done:1', 'outcome:done:1']);
    t.deepEqual(await modelEntries(m), ['1', '2']);
    const ev = (await m.events()).filter((e) => e.run_id === run.id);
    t.deepEqual(ev.map((e) => e.kind), ['retrain_started', 'retrain_dataset', 'retrain_train', 'retrain_evaluate', 'retrain_register', 'retrain_rollout', 'retrain_outcome']);
    t.is(ev.find((e) => e.kind === 'retrain_rollout')?.rollout_id, first.id);
    await m.traffic.stop();
    t.is(m.traffic.failures.length, 0, JSON.stringify(m.traffic.failures.slice(0, 3)));
  }),
);

(noTorch ? test.skip : test.serial)('retrainer - SIGKILLed after StartRollout answered, restarted only once that rollout has ended: the run adopts the ended rollout (none started again) and records its outcome', (t) =>
  withMesh(t, 'rollout:started', async (m) => {
    const { runId } = await runUntilPause(t, m, 'rollout:started');
    const first = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.is(first.candidate, '2');
    m.retrainer.proc.kill('SIGKILL');
    expectKilled(await m.retrainer.exited);
    // The rollout goes on without the retrainer, to its end.
    await waitFor(async () => ['completed', 'rolled_back', 'aborted'].includes((await m.rollouts.getRollout({ model: MODEL })).rollout?.state ?? ''), 180_000, 'the rollout to end');
    const ended = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.log(`rollout ${ended.id} ended before the restart: ${ended.state} (${ended.reason})`);
    await m.restartRetrainer({});
    const run = await m.waitRun((r) => r.id === runId && r.state !== 'running', 120_000, 'the run to end');
    for (const s of run.stages) t.log(`  ${s.name} ${s.state} x${s.attempts}: ${s.detail}`);
    t.is(run.rollout_id, first.id, 'the run adopted the ended rollout');
    const adopted = await m.retrainer.waitForLog((r) => r['msg'] === 'retrainer: adopted the rollout a previous retrainer started', 1000);
    t.log(`adopted: ${String(adopted['why'])}`);
    t.regex(String(adopted['why']), new RegExp(`^the model's rollout ${first.id} of version 2 over 1 is already there \\(${ended.state}\\)`), 'found before any StartRollout');
    t.deepEqual((await rolloutsStarted(m)).map((e) => e.rollout_id), [first.id], 'no second rollout of version 2');
    const ro = (await m.rollouts.getRollout({ model: MODEL })).rollout!;
    t.is(ro.id, first.id);
    t.is(run.rollout_outcome, `${ended.state}: ${ended.reason}`);
    t.is(run.state, ended.state === 'completed' ? 'promoted' : 'rolled_back', run.reason);
    t.deepEqual(await modelEntries(m), ['1', '2']);
    await m.traffic.stop();
    t.is(m.traffic.failures.length, 0, JSON.stringify(m.traffic.failures.slice(0, 3)));
  }),
);

test('retrainer - an unknown MLMESH_RETRAINER_TEST_PAUSE_AT refuses to start, naming the variable and the points', async (t) => {
  const child = runNode('services/retrainer/main.js', [], { [PAUSE_ENV]: 'register:typo', MLMESH_RETRAINER_GRPC_PORT: '0', MLMESH_RETRAINER_HTTP_PORT: '-1', NATS_URL: 'nats://127.0.0.1:1' });
  t.is(await child.exited, 78);
  const err = child.stderr.join('\n');
  t.regex(err, /MLMESH_RETRAINER_TEST_PAUSE_AT/);
  t.regex(err, /"register:typo" is not a pause point \(one of register:renamed, rollout:started/);
});
