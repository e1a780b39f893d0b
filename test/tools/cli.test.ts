import test from 'ava';
import { connect, nanos } from 'nats';
import type { JetStreamManager, NatsConnection } from 'nats';
import { STREAMS, SUBJECTS, decodeFeedback, encodePredictionLog } from '../../shared/events/index.js';
import type { PredictionLog } from '../../shared/events/index.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { runCli, runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';

const LIMITS = { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 60_000 };

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

test.before(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
  jsm = await nc.jetstreamManager();
  await ensureStreams(jsm, ['predictions'], LIMITS);
});

test.after.always(async () => {
  await nc?.close();
  await server?.dispose();
});

const cli = runCli;

function json(line: string | undefined): Record<string, unknown> {
  return JSON.parse(line ?? 'null') as Record<string, unknown>;
}

/** A PredictionLog with an FP32 [1, 3] input and an INT64 [1] output. */
function predictionLog(model: string, version: string, requestId: string, x: readonly number[]): PredictionLog {
  const out = new BigInt64Array([7n]);
  return {
    meta: { event_id: requestId, time_unix_ms: 1_700_000_000_000, source: 'test', producer_version: '0' },
    request_id: requestId,
    model,
    version,
    latency_us: 1234,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, x.length], raw: new Uint8Array(new Float32Array(x).buffer) }],
    outputs: [{ name: 'y', datatype: 'INT64', shape: [1], raw: new Uint8Array(out.buffer) }],
    parameters: { entity: 'e1' },
    route: 'stable',
    inputs_omitted: false,
  };
}

async function publishLog(log: PredictionLog): Promise<void> {
  await nc.jetstream().publish(SUBJECTS.prediction(log.model ?? '', log.version ?? ''), encodePredictionLog(log), { msgID: log.request_id ?? '' });
}

// Generous: on a loaded 2-core machine starting the CLI and connecting to NATS took over 5 s.
async function waitForStderr(child: Child, re: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.stderr.some((l) => re.test(l))) {
    if (child.proc.exitCode !== null) throw new Error(`cli exited (${child.proc.exitCode}): ${child.stderr.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`no stderr line matching ${re} within ${timeoutMs} ms: ${child.stderr.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test.serial('cli - feedback publishes a decodable Feedback with the label on the model subject, creating the stream', async (t) => {
  const r = await cli(['feedback', '--model', 'fb.model', '--request-id', 'req-1', '--label', 'cat', '--nats', server.url, '--json']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.length, 1);
  const ack = json(r.stdout[0]);
  t.like(ack, { stream: STREAMS.feedback.name, duplicate: false });
  const sm = await jsm.streams.getMessage(STREAMS.feedback.name, { seq: ack['seq'] as number });
  t.is(sm.subject, SUBJECTS.feedback('fb.model'));
  t.is(sm.header.get('Nats-Msg-Id'), 'feedback-req-1');
  const fb = decodeFeedback(sm.data);
  t.like(fb, { request_id: 'req-1', model: 'fb.model', label: 'cat', value: 'label' });
  t.is(fb.meta?.source, 'cli');
  t.regex(fb.meta?.event_id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.true(Math.abs(Number(fb.meta?.time_unix_ms) - Date.now()) < 60_000);
  // Created with the CLI's limits: an hour of duplicate window.
  const info = await jsm.streams.info(STREAMS.feedback.name);
  t.is(info.config.duplicate_window, nanos(3_600_000));
});

test('cli - feedback carries a numeric value, NATS_URL from the environment', async (t) => {
  const r = await cli(['feedback', '--model', 'fb-num', '--request-id', 'req-n', '--value=-2.5', '--json'], { NATS_URL: server.url });
  t.is(r.code, 0, r.stderr);
  const sm = await jsm.streams.getMessage(STREAMS.feedback.name, { seq: json(r.stdout[0])['seq'] as number });
  t.like(decodeFeedback(sm.data), { request_id: 'req-n', model: 'fb-num', numeric: -2.5, value: 'numeric' });
});

test('cli - feedback twice for one request id is reported as a duplicate and stored once', async (t) => {
  const args = ['feedback', '--model', 'fb-dup', '--request-id', 'req-d', '--label', 'dog', '--nats', server.url, '--json'];
  const first = await cli(args);
  t.is(first.code, 0, first.stderr);
  const second = await cli(args);
  t.is(second.code, 0, second.stderr);
  t.like(json(first.stdout[0]), { duplicate: false });
  t.like(json(second.stdout[0]), { duplicate: true, seq: json(first.stdout[0])['seq'] });
  const subject = SUBJECTS.feedback('fb-dup');
  const info = await jsm.streams.info(STREAMS.feedback.name, { subjects_filter: subject });
  t.deepEqual(info.state.subjects, { [subject]: 1 });
});

test('cli - logs tail --all --limit 2 prints the model\'s logs decoded, not another model\'s', async (t) => {
  await publishLog(predictionLog('m-all', '1', 'a-1', [0.5, -1, 2.25]));
  await publishLog(predictionLog('other', '1', 'o-1', [9, 9, 9]));
  await publishLog(predictionLog('m-all', '1', 'a-2', [1, 2, 3]));
  await publishLog(predictionLog('m-all', '2', 'a-3', [4, 5, 6]));
  const r = await cli(['logs', 'tail', '--model', 'm-all', '--all', '--limit', '2', '--timeout-ms', '5000', '--nats', server.url, '--json']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.length, 2);
  const [a, b] = r.stdout.map(json);
  t.deepEqual(a, {
    time: new Date(1_700_000_000_000).toISOString(),
    request_id: 'a-1',
    model: 'm-all',
    version: '1',
    latency_us: 1234,
    route: 'stable',
    parameters: { entity: 'e1' },
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], values: [0.5, -1, 2.25], bytes: 12 }],
    outputs: [{ name: 'y', datatype: 'INT64', shape: [1], values: ['7'], bytes: 8 }],
    inputs_omitted: false,
  });
  t.like(b, { request_id: 'a-2', inputs: [{ shape: [1, 3], values: [1, 2, 3] }] });

  const v2 = await cli(['logs', 'tail', '--model', 'm-all', '--version', '2', '--all', '--timeout-ms', '700', '--nats', server.url, '--json']);
  t.is(v2.code, 0, v2.stderr);
  t.deepEqual(v2.stdout.map((l) => json(l)['request_id']), ['a-3']);
});

test('cli - logs tail without --all prints only logs published after it started, and stops when idle', async (t) => {
  await publishLog(predictionLog('m-new', '1', 'old-1', [1, 1, 1]));
  const child = runNode('tools/cli/main.js', ['logs', 'tail', '--model', 'm-new', '--timeout-ms', '1000', '--nats', server.url, '--json']);
  await waitForStderr(child, /tailing mlmesh\.predictions\.m-new\.>/);
  await publishLog(predictionLog('m-new', '1', 'new-1', [3, 2, 1]));
  const rec = await child.waitForLog((r) => r['request_id'] === 'new-1', 5000);
  t.like(rec, { model: 'm-new', inputs: [{ values: [3, 2, 1] }] });
  t.is(await child.exited, 0, child.stderr.join('\n'));
  t.is(child.stdout.length, 1);
});

test('cli - logs tail stops on SIGTERM with exit code 0', async (t) => {
  const child = runNode('tools/cli/main.js', ['logs', 'tail', '--model', 'm-sig', '--nats', server.url]);
  await waitForStderr(child, /tailing/);
  child.proc.kill('SIGTERM');
  t.is(await child.exited, 0, child.stderr.join('\n'));
});

test('cli - bad usage exits 2 naming the problem', async (t) => {
  const cases: [string[], RegExp][] = [
    [['bogus'], /unknown command 'bogus'/],
    [['logs'], /mlmesh logs: missing command \(one of: tail\)/],
    [['logs', 'follow'], /unknown command 'follow'/],
    [['logs', 'tail'], /required option '--model <name>' not specified/],
    [['logs', 'tail', '--model', 'm', '--limit', 'x'], /'--limit <n>' argument 'x' is invalid\. must be a positive integer/],
    [['logs', 'tail', '--model', 'm', '--timeout-ms', '0'], /'--timeout-ms <ms>' argument '0' is invalid\. must be a positive integer/],
    [['logs', 'tail', '--model', 'm', '--frobnicate'], /mlmesh logs tail: unknown option '--frobnicate' \(see 'mlmesh logs tail --help'\)/],
    [['feedback', '--request-id', 'r', '--label', 'a'], /required option '--model <name>' not specified/],
    [['feedback', '--model', 'm', '--label', 'a'], /required option '--request-id <id>' not specified/],
    [['feedback', '--model', 'm', '--request-id', 'r'], /one of --label or --value is required/],
    [['feedback', '--model', 'm', '--request-id', 'r', '--label', 'a', '--value', '1'], /either --label or --value, not both/],
    [['feedback', '--model', 'm', '--request-id', 'r', '--value', 'abc'], /'--value <number>' argument 'abc' is invalid\. must be a finite number/],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  results.forEach((r, i) => {
    const [args, re] = cases[i] as [string[], RegExp];
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    t.deepEqual(r.stdout, [], args.join(' '));
  });
});

test('cli - --help of logs tail and feedback send lists their options', async (t) => {
  const [top, tail, fb] = await Promise.all([cli(['--help']), cli(['logs', 'tail', '--help']), cli(['feedback', 'send', '--help'])]);
  for (const r of [top, tail, fb]) t.is(r.code, 0, r.stderr);
  for (const s of ['logs', 'feedback', 'model', 'features', 'pipeline', 'drift', 'loadtest', 'bench']) t.true(top.stdout.join('\n').includes(s), s);
  const help = [...tail.stdout, ...fb.stdout].join('\n');
  for (const s of ['--model', '--version', '--all', '--limit', '--timeout-ms', '--request-id', '--label', '--value', '--nats', 'NATS_URL', '--json']) t.true(help.includes(s), s);
});

test('cli - NATS unreachable exits 1 with a clear message', async (t) => {
  const r = await cli(['feedback', '--model', 'm', '--request-id', 'r', '--label', 'a', '--nats', 'nats://127.0.0.1:1']);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
});

test('cli - feedback leaves an existing stream\'s limits alone; logs tail without the predictions stream exits 1', async (t) => {
  const other = await NatsServer.start();
  const nc2 = await connect({ servers: other.url });
  try {
    const jsm2 = await nc2.jetstreamManager();
    const tail = await cli(['logs', 'tail', '--model', 'm', '--timeout-ms', '500', '--nats', other.url, '--json']);
    t.is(tail.code, 1);
    t.regex(tail.stderr, /stream MLMESH_PREDICTIONS does not exist/);

    await ensureStreams(jsm2, ['feedback'], { maxAgeMs: 86_400_000, maxBytes: 1_000_000, duplicateWindowMs: 120_000 });
    const r = await cli(['feedback', '--model', 'm', '--request-id', 'r', '--value', '1', '--nats', other.url]);
    t.is(r.code, 0, r.stderr);
    const { config } = await jsm2.streams.info(STREAMS.feedback.name);
    t.is(config.duplicate_window, nanos(120_000));
    t.is(config.max_age, nanos(86_400_000));
    t.is(config.max_bytes, 1_000_000);
  } finally {
    await nc2.close();
    await other.dispose();
  }
});
