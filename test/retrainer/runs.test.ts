/**
 * Retraining runs against real processes (private nats-server, inference in process, the rollout
 * service and the retrainer as child processes), triggered by RetrainRequests published as the
 * monitor would, or by the Retrain RPC:
 * - two RetrainRequests in quick succession → one run (the second coalesced); one redelivered
 *   after its run ended → no new run;
 * - a trainer that fails, or runs past its timeout → the run fails cleanly, nothing registered,
 *   the job's process group gone;
 * - labels shuffled → the candidate is refused (through `mlmesh retrain --watch`), kept in its
 *   output folder and nowhere in the repository; the champion keeps serving; the event says why,
 *   with the gate's numbers;
 * - the retrainer SIGKILLed during training, then restarted → one run, its training restarted
 *   (the orphaned job killed), at most one new version;
 * - WatchRun / CancelRun over gRPC, and `mlmesh retrain`, `runs watch`, `runs cancel` over the CLI.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../../services/inference/manifest.js';
import { waitFor } from '../helpers/inference.js';
import { procStat, runCli, runNode } from '../helpers/process.js';
import { MODEL, torchMissing, withRetrainMesh } from '../helpers/retrainer-mesh.js';
import type { RetrainMesh } from '../helpers/retrainer-mesh.js';

const noTorch = torchMissing();
if (noTorch) console.log(`retrainer tests that train skipped: ${noTorch}`);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Live (not zombie) processes of process group `pgid`, from /proc (Linux). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let fields: string[];
    try {
      fields = procStat(d);
    } catch {
      continue;
    }
    const [state, , pgrp] = fields;
    if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(d));
  }
  return out;
}

async function versions(m: RetrainMesh): Promise<string[]> {
  return (await readdir(join(m.repo, MODEL), { withFileTypes: true })).filter((e) => e.isDirectory() && /^\d+$/.test(e.name)).map((e) => e.name).sort();
}

const withMesh = (t: ExecutionContext, run: (m: RetrainMesh) => Promise<void>): Promise<void> => withRetrainMesh(t, {}, 300_000, run);

const setCommand = (m: RetrainMesh, command: string[], timeoutMs = 600_000) =>
  m.patchConfig((c) => {
    const r = c['retraining'] as Record<string, unknown>;
    r['command'] = command;
    r['timeout_ms'] = timeoutMs;
  });

test.serial('retrainer - two RetrainRequests in quick succession make one run; a trainer that exits non-zero fails it cleanly, nothing registered', (t) =>
  withMesh(t, async (m) => {
    await m.traffic.send(50);
    await setCommand(m, ['/bin/sh', '-c', 'echo training on "$0"; sleep 2; echo boom >&2; exit 3', '{dataset}', '{output}']);
    await m.requestRetrain('rr-a');
    await m.requestRetrain('rr-b');
    const run = await m.waitRun((r) => r.state !== 'running', 120_000, 'the run to fail');
    const all = (await m.client.listRuns({ model: MODEL })).runs;
    t.is(all.length, 1, all.map((r) => r.id).join(','));
    t.is(run.trigger?.retrain_request_id, 'rr-a');
    t.deepEqual(run.coalesced.map((c) => c.retrain_request_id), ['rr-b']);
    t.is(run.state, 'failed');
    t.regex(run.reason, /train: .*exit.*3/i);
    t.regex(run.reason, /boom/, 'the last lines of the log are in the reason');
    t.deepEqual(await versions(m), ['1']);
    const ev = (await m.events()).filter((e) => e.run_id === run.id);
    t.deepEqual(ev.map((e) => `${e.kind}:${e.stage_state}`), ['retrain_started:running', 'retrain_dataset:done', 'retrain_train:failed', 'retrain_outcome:failed']);
    // A redelivered request (same request id, another message) after the run ended maps to that
    // run: it starts nothing. The consumer takes requests in order, so once rr-c has its run the
    // redelivered rr-a has been handled.
    await m.requestRetrain('rr-a', 1, 'rr-a-redelivered');
    await m.requestRetrain('rr-c');
    const third = await m.waitRun((r) => r.trigger?.retrain_request_id === 'rr-c' && r.state !== 'running', 120_000, 'the run of rr-c to end');
    const after = (await m.client.listRuns({ model: MODEL })).runs;
    t.deepEqual(after.map((r) => r.trigger?.retrain_request_id).sort(), ['rr-a', 'rr-c'], 'the redelivered rr-a started no run');
    t.deepEqual(after.find((r) => r.id === run.id)?.coalesced.map((c) => c.retrain_request_id), ['rr-b'], 'nor was it coalesced into its ended run');
    t.is(third.state, 'failed');
  }),
);

test.serial('retrainer - a trainer past its timeout is killed (its whole process group) and the run fails; nothing registered', (t) =>
  withMesh(t, async (m) => {
    await m.traffic.send(20);
    await setCommand(m, ['/bin/sh', '-c', 'sleep 60 & wait', '{dataset}', '{output}'], 1500);
    const started = await m.client.retrain({ model: MODEL, reason: 'test' });
    const id = started.run!.id;
    const training = await m.waitRun((r) => r.training_pid > 0 || r.state !== 'running', 60_000, 'the job to start');
    const pid = training.training_pid;
    t.true(pid > 0);
    const run = await m.waitRun((r) => r.id === id && r.state !== 'running', 60_000, 'the run to fail');
    t.is(run.state, 'failed');
    t.regex(run.reason, /ran longer than 1500 ms and was killed/);
    t.false(alive(pid), `the job ${pid} is gone`);
    // The whole group: the backgrounded `sleep 60` too, not only the shell that started it.
    await waitFor(() => groupMembers(pid).length === 0, 10_000, 'the process group gone').catch(() => undefined);
    t.deepEqual(groupMembers(pid), [], 'no live process left in the job\'s group');
    t.deepEqual(await versions(m), ['1']);
  }),
);

(noTorch ? test.skip : test.serial)('retrainer - shuffled labels: the candidate is refused at the gate, never registered; the champion keeps serving; the event says why', (t) =>
  withMesh(t, async (m) => {
    m.traffic.blurred = true;
    m.traffic.shuffleLabels = true;
    await m.traffic.send(600);
    // Through the CLI: `retrain --watch` follows the run to its end and exits 1 (not promoted).
    const cli = await runCli(['retrain', MODEL, '--watch', '--reason', 'shuffled labels', '--address', m.client.address]);
    t.is(cli.code, 1, cli.stderr);
    const started = (await m.client.listRuns({ model: MODEL })).runs[0];
    t.regex(cli.stderr, new RegExp(`run ${started!.id} started`));
    const watched = cli.stdout.join('\n');
    t.regex(watched, /\| training on \d+ rows/, 'the job output, streamed');
    t.regex(watched, /state refused/);
    t.regex(watched, /FAIL \w+:/, 'the failed checks');
    const run = await m.waitRun((r) => r.id === started!.id && r.state !== 'running', 240_000, 'the run to end');
    const g = run.gate;
    t.log(`gate: ${g?.reason}; drifted ${g?.candidate_drifted?.accuracy} vs ${g?.champion_drifted?.accuracy} on ${g?.candidate_drifted?.rows}`);
    t.is(run.state, 'refused', run.reason);
    t.false(g!.blessed);
    t.deepEqual(await versions(m), ['1']);
    const out = (await m.events()).find((e) => e.run_id === run.id && e.kind === 'retrain_outcome');
    t.is(out?.stage_state, 'refused');
    t.is(out?.reason, g?.reason);
    // ... and carries every gate number: a check's value, threshold and verdict, the p-value.
    t.is(out?.metrics['blessed'], 0);
    for (const c of g!.checks) {
      t.is(out?.metrics[`check_${c.name}_value`], c.value, c.name);
      t.is(out?.metrics[`check_${c.name}_passed`], c.passed ? 1 : 0, c.name);
    }
    t.is(out?.metrics['candidate_drifted_log_loss'], g!.candidate_drifted!.log_loss);
    const sig = out?.evidence.find((c) => c.name === 'drifted_significance');
    t.true(sig?.has_p_value && sig.p_value === g!.checks.find((c) => c.name === 'drifted_significance')!.value);
    t.deepEqual(out?.evidence.filter((c) => c.state === 'failed').map((c) => c.name), g!.checks.filter((c) => !c.passed).map((c) => c.name));
    // The refused candidate is kept for inspection in its output folder, and is nowhere in the
    // model repository (no version folder, no half-registered one, no file with its hash).
    const kept = join(m.workDir, run.id, 'output-1');
    t.is(await sha256File(join(kept, 'model.onnx')), run.candidate_sha256);
    t.true(existsSync(join(kept, 'metrics.json')));
    const repoFiles = await readdir(join(m.repo, MODEL), { recursive: true, withFileTypes: true });
    t.deepEqual(repoFiles.filter((e) => e.name.startsWith('.register-')).map((e) => e.name), []);
    const onnx = repoFiles.filter((e) => e.isFile() && e.name.endsWith('.onnx')).map((e) => join(e.parentPath ?? e.path, e.name));
    for (const file of onnx) t.not(await sha256File(file), run.candidate_sha256, file);
    t.false(await m.f.client.modelReady(MODEL, '2').then((r) => r.ready, () => false), 'inference serves no version 2');
    // Noise labels: the candidate fails an absolute or comparative check, and the reason names it.
    // Whether drifted_significance passes is a coin with P = drifted_alpha on noise (the p-value
    // is uniform), so asserting it failed made this test fail ~5% of runs (a clean-clone CI run
    // did); its calibration is measured over 4,000 holdouts in gate.test.ts instead.
    const failed = g!.checks.filter((c) => !c.passed).map((c) => c.name);
    t.true(failed.length > 0, 'at least one gate check failed');
    for (const name of failed) t.true(g!.reason.includes(name), `the reason names the failed check ${name}: ${g!.reason}`);
    m.traffic.blurred = false;
    await m.traffic.send(20);
    t.true(m.traffic.sent.slice(-20).every((s) => s.version === '1'));
  }),
);

(noTorch ? test.skip : test.serial)('retrainer - SIGKILLed during training and restarted: one run, the orphaned job killed, training restarted, at most one new version', (t) =>
  withMesh(t, async (m) => {
    m.traffic.blurred = true;
    await m.traffic.send(600);
    // The real trainer, after a pause that leaves time to kill the retrainer mid-job.
    await setCommand(m, ['/bin/sh', '-c', 'sleep 3; exec /usr/bin/python3 train.py --data "$0" --out "$1" --seed "$2"', '{dataset}', '{output}', '{seed}']);
    m.traffic.start();
    const { run: started } = await m.client.retrain({ model: MODEL, reason: 'kill test' });
    const training = await m.waitRun((r) => r.training_pid > 0 || r.state !== 'running', 120_000, 'training to start');
    t.is(training.stage, 'train');
    const orphan = training.training_pid;
    m.retrainer.proc.kill('SIGKILL');
    await m.retrainer.exited;
    t.true(alive(orphan), 'the job outlives the retrainer (its own process group)');
    await m.restartRetrainer();
    const run = await m.waitRun((r) => r.id === started!.id && r.state !== 'running', 240_000, 'the run to end');
    t.false(alive(orphan), 'the restarted retrainer killed the orphaned job');
    t.is((await m.client.listRuns({ model: MODEL })).runs.length, 1);
    t.is(run.stages.find((s) => s.name === 'train')?.attempts, 2);
    t.log(`run ${run.state}: ${run.reason}`);
    const v = await versions(m);
    t.true(v.length <= 2, v.join(','));
    if (run.state === 'promoted') t.deepEqual(v, ['1', '2']);
    t.true(['promoted', 'rolled_back', 'refused'].includes(run.state), run.reason);
  }),
);

test.serial('retrainer - WatchRun streams the stages and the job output; CancelRun kills the job and ends the run cancelled; bad calls are refused by name', (t) =>
  withMesh(t, async (m) => {
    await m.traffic.send(20);
    await setCommand(m, ['/bin/sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do echo "epoch $i"; sleep 1; done', '{dataset}', '{output}']);
    const { run: started, coalesced } = await m.client.retrain({ model: MODEL, reason: 'watch and cancel' });
    t.false(coalesced);
    const again = await m.client.retrain({ model: MODEL, reason: 'second manual trigger' });
    t.true(again.coalesced, 'a trigger while the run is active joins it');
    t.is(again.run?.id, started!.id);
    const lines: string[] = [];
    const states: string[] = [];
    const watching = (async () => {
      for await (const u of m.client.watchRun({ run_id: started!.id }, { timeoutMs: 120_000 })) {
        lines.push(...u.log_lines);
        states.push(`${u.run?.stage}:${u.run?.state}`);
      }
    })();
    await waitFor(async () => lines.some((l) => l.includes('epoch 2')), 60_000, 'the job output in WatchRun');
    const pid = (await m.client.getRun({ run_id: started!.id })).run!.training_pid;
    const cancelled = await m.client.cancelRun({ run_id: started!.id, reason: 'test cancels' });
    t.true(cancelled.run?.cancel_requested);
    await watching;
    const run = (await m.client.getRun({ run_id: started!.id })).run!;
    t.is(run.state, 'cancelled');
    t.is(run.reason, 'test cancels');
    t.is(run.stages.find((s) => s.name === 'train')?.state, 'cancelled');
    t.false(alive(pid), 'the job is killed');
    t.true(states.includes('train:running') && states.at(-1) === 'outcome:cancelled', states.join(' '));
    t.deepEqual(lines.slice(0, 2), ['epoch 1', 'epoch 2']);
    await t.throwsAsync(m.client.cancelRun({ run_id: started!.id }), { message: /has ended \(cancelled\)/ });
    await t.throwsAsync(m.client.getRun({ run_id: 'nope' }), { message: /no run 'nope'/ });
    await t.throwsAsync(m.client.retrain({ model: '' }), { message: /model is required/ });
    await t.throwsAsync(m.client.retrain({ model: 'no_such_model' }), { message: /no_such_model/ });
    await t.throwsAsync(m.client.getLineage({ model: MODEL, version: '7' }), { message: /has no version 7/ });
    // The CLI over the same service.
    const list = await runCli(['runs', 'list', MODEL, '--address', m.client.address]);
    t.is(list.code, 0, list.stderr);
    t.regex(list.stdout.join('\n'), new RegExp(`${started!.id} {2}digits_mlp {2}cancelled`));
    const get = await runCli(['runs', 'get', started!.id, '--address', m.client.address, '--json']);
    t.is((JSON.parse(get.stdout.join('')) as { state: string }).state, 'cancelled');
    const bad = await runCli(['retrain', 'no_such_model', '--address', m.client.address]);
    t.not(bad.code, 0);
    t.regex(bad.stderr, /no_such_model/);
    // The runs page lists the run.
    const page = await (await fetch(`${m.retrainerHttp}/`)).text();
    t.true(page.includes(started!.id) && page.includes('cancelled'));
    t.is((await fetch(`${m.retrainerHttp}/runs/nope`)).status, 404);
  }),
);

test.serial('retrainer - the CLI: retrain starts a run (a second one joins it), runs watch follows its stages and job output, runs cancel ends it; watch exits 1', (t) =>
  withMesh(t, async (m) => {
    await m.traffic.send(20);
    await setCommand(m, ['/bin/sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do echo "epoch $i"; sleep 1; done', '{dataset}', '{output}']);
    const address = ['--address', m.client.address];
    const started = await runCli(['retrain', MODEL, '--reason', 'cli test', '--json', ...address]);
    t.is(started.code, 0, started.stderr);
    const rec = JSON.parse(started.stdout.join('')) as { id: string; state: string; trigger: { kind: string; reason: string } };
    t.is(rec.state, 'running');
    t.is(rec.trigger.reason, 'cli test');
    t.regex(started.stderr, new RegExp(`run ${rec.id} started`));
    const again = await runCli(['retrain', MODEL, ...address]);
    t.is(again.code, 0, again.stderr);
    t.regex(again.stderr, new RegExp(`joined the active run ${rec.id}`));
    const watcher = runNode('tools/cli/main.js', ['runs', 'watch', rec.id, ...address]);
    await waitFor(() => watcher.stdout.some((l) => l === '  | epoch 2'), 60_000, 'the job output in runs watch');
    const cancel = await runCli(['runs', 'cancel', rec.id, '--reason', 'cli cancels', ...address]);
    t.is(cancel.code, 0, cancel.stderr);
    t.regex(cancel.stdout.join('\n'), new RegExp(`^${rec.id} {2}digits_mlp {2}running`), 'the run as it was when cancel was asked');
    t.is(await watcher.exited, 1, 'watch exits 1: the run was not promoted');
    const out = watcher.stdout.join('\n');
    t.regex(out, /stage train/);
    // The job's lines in order; the run's own status lines may come between them.
    t.regex(out, /^ {2}\| epoch 1$[\s\S]*^ {2}\| epoch 2$/m);
    t.regex(out, new RegExp(`run ${rec.id} {2}model digits_mlp {2}state cancelled \\(cli cancels\\)`));
    const run = (await m.client.getRun({ run_id: rec.id })).run!;
    t.is(run.state, 'cancelled');
    t.deepEqual(await versions(m), ['1']);
    const ended = await runCli(['runs', 'cancel', rec.id, ...address]);
    t.not(ended.code, 0);
    t.regex(ended.stderr, /has ended \(cancelled\)/);
  }),
);
