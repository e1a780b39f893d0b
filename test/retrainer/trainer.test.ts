/**
 * The training job runner against real child processes: small node scripts written to a temp
 * folder play the trainer (succeeding, failing, hanging, spawning a grandchild, breaking the
 * output contract).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingError, fillCommand, killProcessGroup, runTraining } from '../../services/retrainer/trainer.js';
import type { TrainingJob } from '../../services/retrainer/trainer.js';
import { InvalidArgumentError } from '../../shared/errors/index.js';

let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlmesh-trainer-'));
});
test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** Writes `source` as a node script and returns a job running it with `args`. */
async function job(source: string, args: string[] = [], extra: Partial<TrainingJob> = {}): Promise<TrainingJob & { outputDir: string }> {
  const id = ++n;
  const script = join(dir, `trainer-${id}.mjs`);
  await writeFile(script, source);
  return { command: [process.execPath, script, ...args], cwd: dir, outputDir: join(dir, `out-${id}`), logFile: join(dir, `log-${id}`, 'train.log'), timeoutMs: 20_000, ...extra };
}

const WRITE_OUTPUTS = `
import { mkdirSync, writeFileSync } from 'node:fs';
const out = process.argv[2];
mkdirSync(out + '/reference', { recursive: true });
writeFileSync(out + '/model.onnx', 'not really onnx');
writeFileSync(out + '/metrics.json', JSON.stringify({ accuracy: 0.9, holdout: { base: { accuracy: 0.95 }, rows: 12 }, torch: '1.13', ok: true, list: [1, 2], none: null }));
writeFileSync(out + '/reference/reference.json', '{}');
`;

/** True when the process is gone: no such pid, or a zombie waiting for a reaper that never comes (PID 1 here may not reap). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitGone(pid: number, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (gone(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return gone(pid);
}

test('fillCommand - fills every placeholder, also inside an argument', (t) => {
  const v = { dataset: '/d/dataset.json', output: '/o', seed: '7', model: 'm', parent_version: '1', run_id: 'r1' };
  t.deepEqual(fillCommand(['python3', 'train.py', '--data={dataset}', '{output}', '{seed}', '{model}@{parent_version}', '{run_id}'], v), ['python3', 'train.py', '--data=/d/dataset.json', '/o', '7', 'm@1', 'r1']);
});

test('fillCommand - an unknown placeholder is an error naming it', (t) => {
  const e = t.throws(() => fillCommand(['x', '--lr', '{learning_rate}'], { dataset: 'd' }), { instanceOf: InvalidArgumentError });
  t.regex(e.message, /\{learning_rate\}/);
  t.regex(e.message, /command\[2\]/);
  t.throws(() => fillCommand(['x', '{run_id}'], {}), { message: /no value for placeholder \{run_id\}/ });
  t.throws(() => fillCommand([], {}), { instanceOf: InvalidArgumentError });
});

test('runTraining - a job that succeeds: model, flattened metrics, reference, lines in order, log file', async (t) => {
  const j = await job(`${WRITE_OUTPUTS}\nfor (let i = 0; i < 50; i++) console.log('line ' + i);\nconsole.error('to stderr');\nprocess.stdout.write('no newline at the end');`);
  j.command.push(j.outputDir);
  const lines: string[] = [];
  let pid = 0;
  const r = await runTraining({ ...j, onLine: (l) => lines.push(l), onSpawn: (p) => (pid = p) });
  t.true(pid > 0);
  t.is(r.modelPath, join(j.outputDir, 'model.onnx'));
  t.deepEqual(r.metrics, { accuracy: 0.9, 'holdout.base.accuracy': 0.95, 'holdout.rows': 12, ok: 1 });
  t.is(r.referenceDir, join(j.outputDir, 'reference'));
  t.true(r.durationMs >= 0);
  const stdoutLines = lines.filter((l) => l !== 'to stderr');
  t.deepEqual(stdoutLines, [...Array.from({ length: 50 }, (_, i) => `line ${i}`), 'no newline at the end']);
  t.true(lines.includes('to stderr'));
  const log = await readFile(j.logFile, 'utf8');
  t.true(log.includes('line 0\nline 1\n') && log.includes('line 49\n') && log.includes('to stderr') && log.includes('no newline at the end'), log);
});

test('runTraining - no reference.json: referenceDir is undefined; the log file is appended to', async (t) => {
  const j = await job(`${WRITE_OUTPUTS.replace("writeFileSync(out + '/reference/reference.json', '{}');", '')}\nconsole.log('second');`);
  j.command.push(j.outputDir);
  await runTraining(j);
  const r = await runTraining(j);
  t.is(r.referenceDir, undefined);
  t.is(await readFile(j.logFile, 'utf8'), 'second\nsecond\n');
});

test('runTraining - exit 3: kind exit, the code and the last lines in the message', async (t) => {
  const j = await job("for (let i = 0; i < 40; i++) console.log('step ' + i);\nconsole.error('Traceback: boom');\nprocess.exit(3);");
  const e = await t.throwsAsync(runTraining(j), { instanceOf: TrainingError });
  t.is(e.kind, 'exit');
  t.is(e.exitCode, 3);
  t.regex(e.message, /exited with code 3/);
  t.regex(e.message, /Traceback: boom/);
  t.regex(e.message, /step 39/);
  t.notRegex(e.message, /step 5\n/);
});

test('runTraining - a program that does not exist: kind spawn', async (t) => {
  const e = await t.throwsAsync(runTraining({ ...(await job('')), command: [join(dir, 'no-such-trainer')] }), { instanceOf: TrainingError });
  t.is(e.kind, 'spawn');
});

const HANG = `
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
const g = spawn('sh', ['-c', 'trap "" TERM; sleep 60'], { stdio: 'inherit' });
writeFileSync(process.argv[2], JSON.stringify([process.pid, g.pid]));
console.log('started');
setInterval(() => {}, 1000);
`;

test('runTraining - past its timeout the whole process group is killed (SIGTERM ignored: SIGKILL after the grace)', async (t) => {
  const pids = join(dir, 'pids-timeout.json');
  const j = await job(HANG, [pids], { timeoutMs: 800, killGraceMs: 300 });
  const started = Date.now();
  const e = await t.throwsAsync(runTraining(j), { instanceOf: TrainingError });
  t.is(e.kind, 'timeout');
  t.regex(e.message, /longer than 800 ms/);
  t.true(Date.now() - started < 5_000);
  const [leader, grandchild] = JSON.parse(await readFile(pids, 'utf8')) as [number, number];
  t.true(await waitGone(leader), `trainer ${leader} still running`);
  t.true(await waitGone(grandchild), `grandchild ${grandchild} still running`);
});

test('runTraining - an abort kills the process group: kind cancelled', async (t) => {
  const pids = join(dir, 'pids-cancel.json');
  const ac = new AbortController();
  const j = await job(HANG, [pids], { signal: ac.signal, killGraceMs: 300 });
  const p = runTraining({ ...j, onLine: (l) => (l === 'started' ? ac.abort() : undefined) });
  const e = await t.throwsAsync(p, { instanceOf: TrainingError });
  t.is(e.kind, 'cancelled');
  const [leader, grandchild] = JSON.parse(await readFile(pids, 'utf8')) as [number, number];
  t.true(await waitGone(leader));
  t.true(await waitGone(grandchild));
  const again = await t.throwsAsync(runTraining(j), { instanceOf: TrainingError });
  t.is(again.kind, 'cancelled', 'an already aborted signal does not start the job');
});

test('runTraining - exit 0 without model.onnx, or with a bad metrics.json: kind contract naming the file', async (t) => {
  const none = await job("console.log('forgot to save');");
  const e1 = await t.throwsAsync(runTraining(none), { instanceOf: TrainingError });
  t.is(e1.kind, 'contract');
  t.regex(e1.message, /model\.onnx/);
  const modelOnly = "import { writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2] + '/model.onnx', 'x');\n";
  const noMetrics = await job(modelOnly);
  noMetrics.command.push(noMetrics.outputDir);
  t.regex((await t.throwsAsync(runTraining(noMetrics), { instanceOf: TrainingError })).message, /metrics\.json/);
  for (const body of ['[1, 2]', 'not json', '3']) {
    const bad = await job(`${modelOnly}writeFileSync(process.argv[2] + '/metrics.json', ${JSON.stringify(body)});`);
    bad.command.push(bad.outputDir);
    const e = await t.throwsAsync(runTraining(bad), { instanceOf: TrainingError });
    t.is(e.kind, 'contract');
    t.regex(e.message, /metrics\.json/);
  }
});

test('killProcessGroup - kills a live detached group; a gone one is false', async (t) => {
  // One process in the group, reaped by us: an orphaned member could linger as a zombie here
  // (PID 1 does not always reap at once), and a zombie still counts as a group member.
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  const pid = child.pid as number;
  const exited = new Promise((r) => child.once('exit', r));
  t.true(killProcessGroup(pid));
  await exited;
  t.true(await waitGone(pid));
  t.false(killProcessGroup(pid));
  t.throws(() => killProcessGroup(0), { instanceOf: InvalidArgumentError });
});
