import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import test from 'ava';
import { connect, Events, StringCodec } from 'nats';
import type { NatsConnection } from 'nats';
import { NatsServer } from './helpers/nats-server.js';
import type { NatsServerOptions } from './helpers/nats-server.js';

const sc = StringCodec();

/** Every server started here, disposed in `test.after.always` even if a test forgets. */
const servers: NatsServer[] = [];

async function startServer(opts?: NatsServerOptions): Promise<NatsServer> {
  const server = await NatsServer.start(opts);
  servers.push(server);
  return server;
}

test.after.always(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
});

/** Resolves on the next status event of `type`; rejects after `ms`. Subscribes synchronously. */
function nextStatus(nc: NatsConnection, type: string, ms: number): Promise<void> {
  const p = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' status within ${ms} ms`)), ms);
    void (async () => {
      for await (const s of nc.status()) {
        if ((s.type as string) === type) {
          clearTimeout(timer);
          resolve();
          return;
        }
      }
    })();
  });
  p.catch(() => undefined); // avoid an unhandled rejection if the caller fails before awaiting
  return p;
}

async function closeAll(...conns: Array<NatsConnection | undefined>): Promise<void> {
  await Promise.all(conns.map(async (nc) => nc?.close().catch(() => undefined)));
}

test('nats-server helper - starts with JetStream on a random free port', async (t) => {
  const server = await startServer();
  let nc: NatsConnection | undefined;
  try {
    t.is(server.host, '127.0.0.1');
    t.true(server.port > 0 && server.port < 65536);
    t.is(server.url, `nats://127.0.0.1:${server.port}`);
    t.true(typeof server.pid === 'number');
    t.true(existsSync(server.storeDir));

    nc = await connect({ servers: server.url });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'START', subjects: ['start.>'] });
    const ack = await nc.jetstream().publish('start.a', sc.encode('hello'));
    t.is(ack.stream, 'START');
    t.is(ack.seq, 1);
  } finally {
    await closeAll(nc);
    await server.dispose();
  }
});

test('nats-server helper - restart keeps JetStream data on the same port and clients reconnect', async (t) => {
  const server = await startServer();
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: server.url, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'RESTART', subjects: ['restart.>'] });
    const js = nc.jetstream();
    await js.publish('restart.a', sc.encode('before'));

    const { port, storeDir } = server;
    const oldPid = server.pid;
    const reconnected = nextStatus(nc, Events.Reconnect, 5000);
    await server.restart();
    t.is(server.port, port);
    t.is(server.storeDir, storeDir);
    t.not(server.pid, oldPid);

    await reconnected;
    const ack = await js.publish('restart.b', sc.encode('after'));
    t.is(ack.seq, 2);

    const first = await jsm.streams.getMessage('RESTART', { seq: 1 });
    t.is(sc.decode(first.data), 'before');
    const info = await jsm.streams.info('RESTART');
    t.is(info.state.messages, 2);
  } finally {
    await closeAll(nc);
    await server.dispose();
  }
});

test('nats-server helper - kill() simulates a crash and restart() recovers the stream', async (t) => {
  const server = await startServer();
  let nc: NatsConnection | undefined;
  let nc2: NatsConnection | undefined;
  try {
    nc = await connect({ servers: server.url, reconnect: false });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'CRASH', subjects: ['crash.>'] });
    await nc.jetstream().publish('crash.a', sc.encode('survives'));
    await closeAll(nc);

    await server.kill();
    t.false(server.running);
    t.is(server.pid, undefined);
    await server.kill(); // idempotent

    await server.restart();
    nc2 = await connect({ servers: server.url });
    const msg = await (await nc2.jetstreamManager()).streams.getMessage('CRASH', { seq: 1 });
    t.is(sc.decode(msg.data), 'survives');
  } finally {
    await closeAll(nc, nc2);
    await server.dispose();
  }
});

test('nats-server helper - stop() makes connecting fail and is idempotent', async (t) => {
  const server = await startServer({ jetstream: false });
  try {
    const nc = await connect({ servers: server.url });
    await nc.close();

    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    t.false(server.running);
    await t.throwsAsync(connect({ servers: server.url, reconnect: false, timeout: 1000 }));
  } finally {
    await server.dispose();
  }
});

test('nats-server helper - two servers run at once on different ports', async (t) => {
  const [a, b] = await Promise.all([startServer(), startServer({ jetstream: false })]);
  let nca: NatsConnection | undefined;
  let ncb: NatsConnection | undefined;
  try {
    t.not(a.port, b.port);
    t.not(a.pid, b.pid);
    t.not(a.storeDir, b.storeDir);
    nca = await connect({ servers: a.url });
    ncb = await connect({ servers: b.url });
    // Messages do not cross between the two independent servers.
    const subA = nca.subscribe('ping', { max: 1 });
    const subB = ncb.subscribe('ping', { max: 1, timeout: 300 });
    await Promise.all([nca.flush(), ncb.flush()]);
    nca.publish('ping', sc.encode('a'));
    for await (const m of subA) t.is(sc.decode(m.data), 'a');
    await t.throwsAsync(
      (async () => {
        for await (const _m of subB) t.fail('server b received a message published on server a');
      })(),
      { message: /timeout/i },
    );
  } finally {
    await closeAll(nca, ncb);
    await Promise.all([a.dispose(), b.dispose()]);
  }
});

test.serial('nats-server helper - missing binary gives a clear error', async (t) => {
  const saved = process.env['NATS_SERVER_BIN'];
  process.env['NATS_SERVER_BIN'] = '/nonexistent';
  // start() reads the env synchronously, so restore it right away.
  const starting = NatsServer.start();
  if (saved === undefined) delete process.env['NATS_SERVER_BIN'];
  else process.env['NATS_SERVER_BIN'] = saved;
  const err = await t.throwsAsync(starting);
  t.regex(err?.message ?? '', /apt-get install nats-server/);
  t.regex(err?.message ?? '', /NATS_SERVER_BIN/);
  t.regex(err?.message ?? '', /\/nonexistent/);
});

test('nats-server helper - a server that exits before ready reports its log', async (t) => {
  const first = await startServer({ jetstream: false });
  try {
    // Same port as a running server: nats-server fails to listen and exits.
    const err = await t.throwsAsync(NatsServer.start({ jetstream: false, port: first.port, startTimeoutMs: 5000 }));
    t.regex(err?.message ?? '', /exited/);
    t.regex(err?.message ?? '', /address already in use/);
  } finally {
    await first.dispose();
  }
});

test('nats-server helper - dispose() removes temp dirs and is idempotent', async (t) => {
  const server = await startServer();
  await server.dispose();
  t.false(server.running);
  t.false(existsSync(server.tempDir));
  t.false(existsSync(server.storeDir));
  await server.dispose();
  await t.throwsAsync(server.restart(), { message: /disposed/ });
});

test('nats-server helper - keepStoreDir keeps the store and a given storeDir is reused', async (t) => {
  const first = await startServer({ keepStoreDir: true });
  let nc: NatsConnection | undefined;
  let nc2: NatsConnection | undefined;
  const second = await (async () => {
    try {
      nc = await connect({ servers: first.url });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
      await nc.jetstream().publish('keep.a', sc.encode('kept'));
    } finally {
      await closeAll(nc);
      await first.dispose();
    }
    t.true(existsSync(first.storeDir));
    return startServer({ storeDir: first.storeDir });
  })();
  try {
    nc2 = await connect({ servers: second.url });
    const msg = await (await nc2.jetstreamManager()).streams.getMessage('KEEP', { seq: 1 });
    t.is(sc.decode(msg.data), 'kept');
  } finally {
    await closeAll(nc2);
    await second.dispose();
  }
  t.true(existsSync(first.storeDir), 'a storeDir passed in is never removed by the helper');
  await rm(first.storeDir, { recursive: true, force: true });
});
