/**
 * `npm run demo` run as a user would, non-interactively (`--exit`): the whole mesh on free ports
 * with its own nats-server, clean then blurred held-out digits, predictions, the monitor's
 * verdicts, the drift page. And the same without any nats-server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { killAll, meshProcesses, until } from '../helpers/mesh.js';
import { runNode } from '../helpers/process.js';

/** The last 60 lines of the services' log stream the demo wrote, for a failure's message. */
async function servicesTail(varDir: string): Promise<string> {
  const lines = (await readFile(join(varDir, 'mesh.log'), 'utf8').catch((e: unknown) => `no mesh.log: ${String(e)}`)).split('\n');
  return `last lines of ${join(varDir, 'mesh.log')}:\n${lines.slice(-60).join('\n')}`;
}

test.serial('demo - clean digits: predictions and no drift; blurred digits: predictions and drift; the drift page answers; the mesh drains', async (t) => {
  t.timeout(240_000); // the whole mesh and both parts of the demo, on a loaded machine
  const varDir = await mkdtemp(join(tmpdir(), 'mlmesh-demo-'));
  t.teardown(() => rm(varDir, { recursive: true, force: true }));
  const demo = runNode('examples/demo.js', ['--exit', '--var-dir', varDir]);
  const code = await demo.exited;
  // On a failure, the services' own last lines (the demo writes them to <var-dir>/mesh.log only).
  t.is(code, 0, `${demo.stdout.join('\n')}\n${demo.stderr.join('\n')}\n${code === 0 ? '' : await servicesTail(varDir)}`);
  const out = demo.stdout.join('\n');
  const predictions = out.match(/^ {4}digit #\d+: predicted \d \(p=[\d.]+\), true label \d$/gm) ?? [];
  t.is(predictions.length, 20, out);
  const [clean, blurred] = [...out.matchAll(/(\d+)\/100 of the (clean|blurred) digits predicted right/g)].map((m) => Number(m[1]));
  t.true((clean ?? 0) >= 95, `clean accuracy ${clean}`);
  t.true((blurred ?? 100) < (clean ?? 0), `blurring costs accuracy (${blurred} < ${clean})`);
  t.regex(out, /monitor, window 0 \(100 rows, the clean digits\): no drift\n {4}detectors: ks p=[\d.e-]+, chi2 skipped, mmd p=/);
  t.regex(out, /monitor, window 1 \(100 rows, the blurred digits\): DRIFT\n {4}detectors: .*mmd p=[\d.e-]+ \(drift\)/);
  t.regex(out, /drift page: http:\/\/127\.0\.0\.1:\d+\/models\/digits_mlp {3}\(HTTP 200/);
  t.regex(out, /\nmesh drained$/);
  // Its own mesh: the status table lists it, on free ports (not the config's 8001…).
  t.regex(out, /^inference\s+\d+\s+ready\s+127\.0\.0\.1:(\d+)/m);
  t.notRegex(out, /127\.0\.0\.1:8001\b/);
});

test.serial('demo - without a nats-server: the predictions, then why there is no drift verdict and how to get one', async (t) => {
  t.timeout(240_000); // the whole mesh and both parts of the demo, on a loaded machine
  const varDir = await mkdtemp(join(tmpdir(), 'mlmesh-demo-'));
  t.teardown(() => rm(varDir, { recursive: true, force: true }));
  const demo = runNode('examples/demo.js', ['--exit', '--var-dir', varDir], { PATH: '/nonexistent', NATS_SERVER_BIN: '/nonexistent/nats-server' });
  t.is(await demo.exited, 0, demo.stderr.join('\n'));
  const out = demo.stdout.join('\n');
  t.is((out.match(/^ {4}digit #\d+: predicted \d/gm) ?? []).length, 20);
  t.regex(out, /NO NATS: the mesh runs WITHOUT prediction logging and WITHOUT the monitor/);
  t.regex(out, /NO DRIFT VERDICTS: .*NATS_SERVER_BIN\) "\/nonexistent\/nats-server" is not an executable file/);
  t.regex(out, /To see them: Install nats-server \(`apt-get install nats-server`/);
  t.notRegex(out, /monitor, window/);
});

test.serial('demo - the credit example: features loaded, the gateway answers the applicants over gRPC and HTTP alike, the bad rows with their errors', async (t) => {
  t.timeout(240_000); // the whole mesh and both parts of the demo, on a loaded machine
  const varDir = await mkdtemp(join(tmpdir(), 'mlmesh-demo-'));
  t.teardown(() => rm(varDir, { recursive: true, force: true }));
  // Without NATS: the credit part needs none, and the digits part then waits for no verdict.
  const demo = runNode('examples/demo.js', ['--exit', '--var-dir', varDir], { PATH: '/nonexistent', NATS_SERVER_BIN: '/nonexistent/nats-server' });
  t.is(await demo.exited, 0, demo.stdout.join('\n'));
  const out = demo.stdout.join('\n');
  t.regex(out, /\n3\. the credit example \(examples\/credit\)/);
  t.regex(out, /mlmesh features apply examples\/credit\/features, then Materialize of 7 feature versions over \[2026-01-01, 2026-07-01\): \d+ values/);
  t.regex(out, /gateway Predict over gRPC \(127\.0\.0\.1:\d+\), deployment credit@1: model credit_risk@1, pipeline credit_risk@1 \(sha256 [0-9a-f]{12}…\), features avg_bank_bal@2, .*read_faq@1, as of 2026-07-01T00:00:00Z:/);
  const [grpc, http] = out.split('the same rows over HTTP');
  for (const part of [grpc ?? '', http ?? '']) {
    const predicted = part.match(/^ {6}row [0-9] {2}applicant \d+, \d+ over \d+ months, \w+, [\w ]+: (repaid|defaulted) \(p\(default\) = [01]\.\d{3}\)$/gm) ?? [];
    t.is(predicted.length, 4, part);
    t.regex(part, /^ {6}row 2 {2}applicant \d+ again, employment "astronaut": UNKNOWN_CATEGORY employment: /m);
    t.regex(part, /^ {6}row 5 {2}applicant 2143134 again, loan_amount "a lot": INVALID_VALUE loan_amount: /m);
  }
  t.regex(grpc ?? '', /4 rows predicted, 2 answered with their errors/);
  t.regex(http ?? '', /^, POST http:\/\/127\.0\.0\.1:\d+\/v1\/deployments\/credit\/predict \(HTTP 200\):/);
  t.regex(http ?? '', /6 of 6 rows answered as over gRPC/);
  t.regex(out, /\nmesh drained$/);
});

test.serial('demo - keeps its mesh running until stopped; killed with SIGKILL, the next demo run on the folder stops what it left and runs', async (t) => {
  // Two demo runs, each with the credit part (~10 s, 40 s with the machine loaded): more than ava's 2 minutes.
  t.timeout(300_000);
  const varDir = await mkdtemp(join(tmpdir(), 'mlmesh-demo-'));
  const first = runNode('examples/demo.js', ['--var-dir', varDir]);
  t.teardown(async () => {
    killAll(varDir, first.proc.pid);
    await rm(varDir, { recursive: true, force: true });
  });
  await until(() => first.stdout.some((l) => l.startsWith('The mesh keeps running')), 240_000, 'the demo to finish printing');
  const left = await meshProcesses(varDir);
  t.is(left.length, 8, 'nats and seven services run (features, preprocess, inference, monitor, gateway, rollout, retrainer)');
  process.kill(first.proc.pid as number, 'SIGKILL');
  const second = runNode('examples/demo.js', ['--exit', '--var-dir', varDir]);
  t.is(await second.exited, 0, second.stdout.join('\n'));
  t.regex(second.stdout.join('\n'), /stopping nats \(pid \d+\) left running by a supervisor that died/);
  t.regex(second.stdout.join('\n'), /window 1 \(100 rows, the blurred digits\): DRIFT/, 'its windows started empty again');
  await until(async () => (await meshProcesses(varDir)).length === 0, 30_000, 'no process of either demo to be left');
  t.pass();
});
