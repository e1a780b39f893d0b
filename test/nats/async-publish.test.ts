/**
 * AsyncJetStreamPublisher (shared/nats/async-publish.ts) against a private nats-server: the same
 * answers as nats.js's js.publish() — acks, duplicates, no stream, late acks, refusals — for the
 * prediction-log publisher's hot path.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { AsyncJetStreamPublisher, JetStreamPublishError, ensureStreams } from '../../shared/nats/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { procStat } from '../helpers/process.js';

interface Ctx {
  nats: NatsServer;
  nc: NatsConnection;
}
const test = (anyTest as TestFn<Ctx>).serial;
const data = (s: string): Uint8Array => new TextEncoder().encode(s);

test.before(async (t) => {
  const nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url, inboxPrefix: '_INBOX_test' });
  await ensureStreams(await nc.jetstreamManager(), ['events'], { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 60_000 });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'SMALL', subjects: ['small.>'], max_msg_size: 16 });
  t.context = { nats, nc };
});
test.after.always(async (t) => {
  await t.context?.nc?.close();
  await t.context?.nats?.dispose();
});

test('async publish - every message acknowledged once, in the stream, with its message id; a repeated id is a duplicate', async (t) => {
  const { nc } = t.context;
  const p = new AsyncJetStreamPublisher(nc, '_INBOX_test');
  const acks = await Promise.all(Array.from({ length: 500 }, (_, i) => p.publish('mlmesh.events.model.ap', data(`m${i}`), { msgID: `ap-${i}`, timeout: 5000 })));
  t.true(acks.every((a) => a.stream === 'MLMESH_EVENTS' && !a.duplicate));
  t.is(new Set(acks.map((a) => a.seq)).size, 500);
  t.is(p.inflight, 0);
  const again = await p.publish('mlmesh.events.model.ap', data('m7 again'), { msgID: 'ap-7', timeout: 5000 });
  t.true(again.duplicate);
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info('MLMESH_EVENTS', { subjects_filter: 'mlmesh.events.model.ap' });
  t.is(info.state.subjects?.['mlmesh.events.model.ap'], 500);
  const last = await jsm.streams.getMessage('MLMESH_EVENTS', { last_by_subj: 'mlmesh.events.model.ap' });
  t.is(last.header?.get('Nats-Msg-Id'), 'ap-499');
  p.close();
});

test('async publish - no stream for the subject: code 503, like js.publish (not a permanent refusal)', async (t) => {
  const p = new AsyncJetStreamPublisher(t.context.nc, '_INBOX_test');
  const e = await t.throwsAsync(p.publish('nostream.x', data('x'), { msgID: 'n-1', timeout: 5000 }), { instanceOf: JetStreamPublishError });
  t.is(e.code, '503');
  p.close();
});

test("async publish - JetStream's refusal carries its API error (4xx), as js.publish's does", async (t) => {
  const p = new AsyncJetStreamPublisher(t.context.nc, '_INBOX_test');
  const e = await t.throwsAsync<JetStreamPublishError>(p.publish('small.x', data('far more than sixteen bytes'), { msgID: 's-1', timeout: 5000 }));
  t.is(e.api_error?.code, 400);
  t.regex(e.message, /size/i);
  p.close();
});

test("async publish - a payload over the server's max_payload is refused at once with nats.js's code", async (t) => {
  const p = new AsyncJetStreamPublisher(t.context.nc, '_INBOX_test');
  const e = await t.throwsAsync<Error & { code?: string }>(p.publish('mlmesh.events.model.big', new Uint8Array(2 * 1024 * 1024), { msgID: 'b-1', timeout: 5000 }));
  t.is(e.code, 'MAX_PAYLOAD_EXCEEDED');
  t.is(p.inflight, 0);
  p.close();
});

/** Resolves once process `pid` is in the stopped state (`T` in /proc/<pid>/stat); Linux. */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (procStat(pid)[0] === 'T') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} did not stop within 2 s of SIGSTOP`);
}

test('async publish - no ack in time: TIMEOUT within the sweep; close() fails what is awaited', async (t) => {
  // A server that takes the connection and never answers: the acks must time out, not hang.
  const nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url, inboxPrefix: '_INBOX_test' });
  await ensureStreams(await nc.jetstreamManager(), ['events'], { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 60_000 });
  const p = new AsyncJetStreamPublisher(nc, '_INBOX_test');
  try {
    const pid = nats.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      // kill() returns before the process has stopped: on a loaded machine the server once
      // answered the publish below (seq 1). Publish only once /proc says it is stopped.
      await stopped(pid);
      const t0 = performance.now();
      const e = await t.throwsAsync<JetStreamPublishError>(p.publish('mlmesh.events.model.late', data('x'), { msgID: 'l-1', timeout: 300 }));
      const waited = performance.now() - t0;
      t.is(e.code, 'TIMEOUT');
      t.true(waited >= 290 && waited < 300 + 50 + 250, `timed out after ${waited.toFixed(0)} ms`);
      const pending = p.publish('mlmesh.events.model.late', data('y'), { msgID: 'l-2', timeout: 60_000 });
      t.is(p.inflight, 1);
      p.close();
      t.is((await t.throwsAsync<JetStreamPublishError>(pending))?.code, 'CONNECTION_CLOSED');
      t.is((await t.throwsAsync<JetStreamPublishError>(p.publish('mlmesh.events.model.late', data('z'), { msgID: 'l-3', timeout: 1000 })))?.code, 'CONNECTION_CLOSED');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  } finally {
    await nc.close();
    await nats.dispose();
  }
});
