import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { PROTO_LOADER_OPTIONS } from '../../shared/grpc/index.js';
import { openLoop } from '../../tools/loadtest/index.js';
import { runNode } from '../helpers/process.js';

const ECHO = '/mlmesh.bench.v1.Echo/Call';

/** A gRPC frame of an EchoMessage whose payload has `size` bytes (field 1, length-delimited). */
function echoFrame(size: number): Buffer {
  const len: number[] = [];
  for (let v = size; ; v >>>= 7) {
    if (v < 0x80) {
      len.push(v);
      break;
    }
    len.push((v & 0x7f) | 0x80);
  }
  const body = Buffer.concat([Buffer.from([0x0a, ...len]), Buffer.alloc(size, 7)]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.byteLength, 1);
  return Buffer.concat([prefix, body]);
}

/** An Echo server in this process whose handler is `call` (the generator runs in its own process). */
async function echoServer(call: (req: { payload: Buffer }, cb: grpc.sendUnaryData<{ payload: Buffer }>) => void): Promise<{ address: string; stop: () => Promise<void> }> {
  const pkg = protoLoader.loadSync(join(projectRoot(), 'bench/echo.proto'), PROTO_LOADER_OPTIONS);
  const server = new grpc.Server();
  server.addService(pkg['mlmesh.bench.v1.Echo'] as grpc.ServiceDefinition, {
    Call: (c: grpc.ServerUnaryCall<{ payload: Buffer }, { payload: Buffer }>, cb: grpc.sendUnaryData<{ payload: Buffer }>) => call(c.request, cb),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, stop: () => new Promise((r) => server.tryShutdown(() => r())) };
}

// Both engines are held to the same checks: node (node:http2) and native (C++ over libnghttp2,
// built on first use; needs g++ and libnghttp2-dev, which .ci/run installs). Serial: two
// generators at once on two cores would blur each other's send rates.
for (const engine of ['node', 'native'] as const) {
  test.serial(`open loop (${engine} engine) - against the bare echo server the achieved rate is within 5% of the target, every request answered, latency counted from the scheduled send, a warm-up left out`, async (t) => {
    const echo = runNode('bench/echo-server.js');
    try {
      const { port } = (await echo.waitForLog((r) => typeof r['port'] === 'number')) as { port: number };
      for (const arrivals of ['constant', 'poisson'] as const) {
        const r = await openLoop({ target: `127.0.0.1:${port}`, path: ECHO, frame: echoFrame(280), rate: 1000, durationS: 2, arrivals, connections: 2, engine });
        t.log(arrivals, `sent ${r.sendRate.toFixed(0)}/s, answered ${r.throughput.toFixed(0)}/s`, 'latency', r.latencyMs, 'lag', r.sendLagMs);
        if (arrivals === 'constant') t.is(r.requests, 2000);
        else t.true(Math.abs(r.requests - 2000) <= 100, `a Poisson schedule of 1000/s over 2 s holds ${r.requests} requests`);
        t.is(r.ok, r.requests);
        t.deepEqual(r.errors, {});
        t.true(Math.abs(r.sendRate - 1000) <= 50, `send rate ${r.sendRate}`);
        // The answer rate is the echo server's and the machine's (a loaded machine stretches the
        // tail past the schedule): reported, not the generator's to keep.
        t.true(r.throughput > 0);
        // From the scheduled time = lateness of the send + time from the send: never less than either.
        t.true(r.latencyMs.p50 > 0);
        t.true(r.latencyMs.p50 >= r.serviceMs.p50 && r.latencyMs.max >= r.serviceMs.max && r.latencyMs.max >= r.sendLagMs.max);
        t.true(r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.p999 && r.latencyMs.p999 <= r.latencyMs.max);
      }
      // A warm-up is sent on the same schedule and left out of the figures.
      const w = await openLoop({ target: `127.0.0.1:${port}`, path: ECHO, frame: echoFrame(280), rate: 1000, durationS: 1, warmupS: 0.5, engine });
      t.is(w.requests, 1000);
      t.is(w.ok, 1000);
      t.true(Math.abs(w.sendRate - 1000) <= 50, `send rate after the warm-up ${w.sendRate}`);
    } finally {
      echo.proc.kill('SIGTERM');
      await echo.exited;
    }
  });

  test.serial(`open loop (${engine} engine) - a server slower than the rate: requests keep leaving on schedule and their latency includes the time they queued`, async (t) => {
    // One call at a time, 4 ms each: at most 250 calls/s, offered 400/s for 1 s. Request i is sent
    // at 2.5 i ms and answered at about 4 (i + 1) ms, so the last ones wait ~600 ms although each
    // takes 4 ms of service: a closed loop would have sent fewer requests and reported ~4 ms.
    const queue: (() => void)[] = [];
    let busy = false;
    let served = 0;
    const next = (): void => {
      const job = queue.shift();
      if (!job) {
        busy = false;
        return;
      }
      busy = true;
      setTimeout(() => {
        served++;
        job();
        next();
      }, 4);
    };
    const slow = await echoServer((req, cb) => {
      queue.push(() => cb(null, { payload: req.payload }));
      if (!busy) next();
    });
    try {
      const r = await openLoop({ target: slow.address, path: ECHO, frame: echoFrame(16), rate: 400, durationS: 1, engine });
      t.log(`sent ${r.sendRate.toFixed(0)}/s, answered ${r.throughput.toFixed(0)}/s`, 'latency', r.latencyMs);
      t.is(r.requests, 400);
      t.is(r.ok, 400);
      t.is(served, 400);
      t.true(Math.abs(r.sendRate - 400) <= 20, `sends kept to the schedule: ${r.sendRate}/s`);
      t.true(r.throughput < 270, `answers limited by the server: ${r.throughput}/s`);
      t.true(r.latencyMs.p50 > 100, `the median request queued: p50 ${r.latencyMs.p50} ms`);
      t.true(r.latencyMs.max > 400, `the last ones queued longest: max ${r.latencyMs.max} ms`);
      // The wait was at the server, after the send, not a late generator.
      t.true(r.serviceMs.p50 > 100 && r.serviceMs.p50 > 10 * r.sendLagMs.p50, `from the actual send: p50 ${r.serviceMs.p50} ms, send lag p50 ${r.sendLagMs.p50} ms`);
    } finally {
      await slow.stop();
    }
  });

  test.serial(`open loop (${engine} engine) - failed calls are counted by gRPC status, unanswered ones by the deadline, and bad options refused`, async (t) => {
    const held: grpc.sendUnaryData<{ payload: Buffer }>[] = [];
    let n = 0;
    const server = await echoServer((req, cb) => {
      n++;
      if (n % 4 === 0) held.push(cb); // never answered
      else if (n % 2 === 0) cb({ code: grpc.status.UNAVAILABLE, details: 'down' });
      else cb(null, { payload: req.payload });
    });
    try {
      const r = await openLoop({ target: server.address, path: ECHO, frame: echoFrame(16), rate: 200, durationS: 0.5, deadlineMs: 300, engine });
      t.is(r.requests, 100);
      t.deepEqual(r.errors, { UNAVAILABLE: 25, DEADLINE_EXCEEDED: 25 });
      t.is(r.ok, 50);
      await t.throwsAsync(openLoop({ target: server.address, path: ECHO, frame: echoFrame(16), rate: 0, durationS: 1, engine }), { message: /rate must be a positive number/ });
      // Nothing listening: the generator says so instead of reporting a run.
      await t.throwsAsync(openLoop({ target: '127.0.0.1:1', path: ECHO, frame: echoFrame(16), rate: 10, durationS: 0.1, engine }), { message: /exited with code [1-9].*127\.0\.0\.1:1 up/s });
    } finally {
      for (const cb of held) cb(null, { payload: Buffer.alloc(0) });
      await server.stop();
    }
  });
}

test.serial('open loop (native engine) - a server that drops its connections mid-run: the run ends, each request counted once, the lost connections named', async (t) => {
  // Answers like a gRPC server, and destroys the connection of its 100th stream.
  const server = http2.createServer();
  let streams = 0;
  server.on('stream', (stream) => {
    streams++;
    if (streams === 100) {
      stream.session?.destroy();
      return;
    }
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    const r = await openLoop({ target: `127.0.0.1:${port}`, path: ECHO, frame: echoFrame(16), rate: 400, durationS: 1, connections: 2, deadlineMs: 2000, engine: 'native' });
    t.log('ok', r.ok, 'errors', r.errors);
    t.is(r.requests, 400);
    t.is(r.errors['SESSION_ERROR'], 1, 'one connection lost');
    // Every request is an answer or one failure; the requests scheduled on the lost connection fail.
    const failed = Object.entries(r.errors).reduce((n, [k, v]) => (k === 'SESSION_ERROR' ? n : n + v), 0);
    t.is(r.ok + failed, 400);
    t.true(r.ok >= 99 && r.ok < 400, `answers before and on the other connection: ${r.ok}`);
    t.true((r.errors['TRANSPORT'] ?? 0) > 0);
  } finally {
    server.close();
  }
});

test.serial('open loop (native engine) - a peer that breaks the protocol but keeps the connection open: the run still ends, its requests failed', async (t) => {
  // Speaks just enough HTTP/2 to be connected to (its SETTINGS), reads the first requests and
  // never answers them, then sends DATA on stream 0, a connection error: nghttp2 ends the
  // session (it closes no more streams), and the socket stays open. The requests already sent
  // must still end (the generator used to wait for them forever).
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
    setTimeout(() => socket.write(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0, 0, 7])), 70);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const r = await openLoop({ target: `127.0.0.1:${port}`, path: ECHO, frame: echoFrame(16), rate: 50, durationS: 0.2, deadlineMs: 5000, engine: 'native' });
    t.log('errors', r.errors);
    t.is(r.requests, 10);
    t.is(r.ok, 0);
    t.is(r.errors['SESSION_ERROR'], 1);
    t.is(r.errors['TRANSPORT'], 10, 'the requests sent before the error end when the session does, not at their deadline');
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
