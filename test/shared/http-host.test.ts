/**
 * The host's HTTP port on fastify (shared/http through shared/host): the service's `routes`
 * hook with any method and JSON bodies, errors as JSON, 404 and 405, the body limit option,
 * and the stop: a drain refuses new route requests with 503 while health still answers, lets
 * the one in flight finish and closes idle keep-alive connections; close() ends a request in
 * flight. Real HTTP on loopback.
 */
import { Agent, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import test from 'ava';
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '../../shared/errors/index.js';
import { ServiceHost, hostOptions } from '../../shared/host/index.js';
import type { FastifyInstance } from '../../shared/http/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { waitFor } from '../helpers/inference.js';

const PROTO = 'mlmesh/preprocess/v1/preprocess.proto';
const OPTIONS = { ...hostOptions('probe', { grpcPort: 0, httpPort: 0, grpcServes: 'a test service' }) };

interface Probe {
  host: ServiceHost;
  base: string;
  /** Answers the POST /slow waiting, if any. */
  release: () => void;
  /** Resolves once a POST /slow is being handled. */
  slowStarted: Promise<void>;
}

async function startProbe(env: NodeJS.ProcessEnv = {}): Promise<Probe> {
  let release: () => void = () => undefined;
  let started: () => void = () => undefined;
  const slowStarted = new Promise<void>((r) => (started = r));
  const routes = (app: FastifyInstance): void => {
    app.post<{ Body: { x?: unknown } }>('/echo/:name', async (req) => {
      if (typeof req.body?.x !== 'number') throw new InvalidArgumentError('x: must be a number', { field: 'x' });
      return { name: (req.params as { name: string }).name, doubled: req.body.x * 2 };
    });
    app.get('/missing', async () => {
      throw new NotFoundError('thing t is not here');
    });
    app.get('/full', async () => {
      throw new ResourceExhaustedError('queue full');
    });
    app.get('/bug', async () => {
      throw new Error('secret internals');
    });
    app.post('/slow', async () => {
      started();
      await new Promise<void>((r) => (release = r));
      return { done: true };
    });
  };
  const host = await ServiceHost.create({
    name: 'probe',
    options: OPTIONS,
    env,
    overrides: { grpcPort: 0, httpPort: 0 },
    logger: createLogger({ service: 'http-host-test', level: process.env['LOG_LEVEL'] ?? 'silent' }),
    protos: [PROTO],
    setup: (h) => ({ service: h, services: [], routes }),
  });
  return { host, base: `http://127.0.0.1:${host.httpPort}`, release: () => release(), slowStarted };
}

/** The JSON body of `res`; throws when it is not JSON. */
async function json(res: Response): Promise<Record<string, unknown>> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/json')) throw new Error(`not JSON: ${type}`);
  return (await res.json()) as Record<string, unknown>;
}

test('http host - a POST route with a JSON body; MlmeshErrors answer their HTTP status as {"error"}; 404, 405 and bad JSON are JSON too', async (t) => {
  const p = await startProbe();
  try {
    const ok = await fetch(`${p.base}/echo/a%20b`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 21 }) });
    t.is(ok.status, 200);
    t.deepEqual(await json(ok), { name: 'a b', doubled: 42 });

    const bad = await fetch(`${p.base}/echo/a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": "no"}' });
    t.is(bad.status, 400);
    t.deepEqual(await json(bad), { error: 'x: must be a number' });

    const notJson = await fetch(`${p.base}/echo/a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": ' });
    t.is(notJson.status, 400);
    t.regex(String((await json(notJson))['error']), /JSON/i);

    const missing = await fetch(`${p.base}/missing`);
    t.is(missing.status, 404);
    t.deepEqual(await json(missing), { error: 'thing t is not here' });
    t.is((await fetch(`${p.base}/full`)).status, 429);

    const bug = await fetch(`${p.base}/bug`);
    t.is(bug.status, 500);
    t.deepEqual(await json(bug), { error: 'internal error' }, 'an unexpected error does not leak its message');

    const nope = await fetch(`${p.base}/nope`);
    t.is(nope.status, 404);
    t.deepEqual(await json(nope), { error: 'no route for GET /nope' });

    const wrong = await fetch(`${p.base}/echo/a`, { method: 'PUT' });
    t.is(wrong.status, 405);
    t.is(wrong.headers.get('allow'), 'POST');
    t.regex(String((await json(wrong))['error']), /PUT is not allowed on \/echo\/:name/);
    const postMetrics = await fetch(`${p.base}/metrics`, { method: 'POST' });
    t.is(postMetrics.status, 405);
    t.is(postMetrics.headers.get('allow'), 'GET, HEAD');

    const head = await fetch(`${p.base}/readyz`, { method: 'HEAD' });
    t.is(head.status, 200);
    t.is(await head.text(), '');
    t.is(await (await fetch(`${p.base}/healthz/`)).text(), 'ok\n', 'a trailing slash is the same path');
  } finally {
    await p.host.close();
  }
});

test('http host - httpMaxBodyBytes bounds a request body: larger is 413 as JSON', async (t) => {
  const p = await startProbe({ MLMESH_PROBE_HTTP_MAX_BODY_BYTES: '2048' });
  try {
    const body = JSON.stringify({ x: 1, pad: 'p'.repeat(1500) });
    t.is((await fetch(`${p.base}/echo/a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status, 200);
    const big = await fetch(`${p.base}/echo/a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 1, pad: 'p'.repeat(3000) }) });
    t.is(big.status, 413);
    t.regex(String((await json(big))['error']), /body/i);
  } finally {
    await p.host.close();
  }
});

/** One HTTP/1.1 request on `agent`, resolving with the response and its body. */
function send(agent: Agent, url: string, method: string): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: method === 'POST' ? { 'content-type': 'application/json' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ res, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

test('http host - drain: route requests in flight finish, new ones get 503 while health answers, idle keep-alive connections close', async (t) => {
  const p = await startProbe();
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    // An idle keep-alive connection, left open after its answer.
    t.is((await send(agent, `${p.base}/healthz`, 'GET')).res.statusCode, 200);
    const idle = Object.values(agent.freeSockets).flat()[0];
    t.truthy(idle, 'the agent keeps the connection');
    const idleClosed = new Promise<void>((r) => idle?.once('close', () => r()));

    const slow = fetch(`${p.base}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await p.slowStarted;
    const drained = p.host.drain();
    let drainDone = false;
    void drained.then(() => (drainDone = true));
    await waitFor(async () => (await fetch(`${p.base}/echo/a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' })).status === 503, 10_000, 'new route requests to be refused');
    const refused = await fetch(`${p.base}/echo/a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    t.is(refused.status, 503);
    t.deepEqual(await json(refused), { error: 'the service is shutting down' });
    t.is((await fetch(`${p.base}/readyz`)).status, 503, 'readiness answers (503) during the drain');
    t.is((await fetch(`${p.base}/healthz`)).status, 200, 'still live');
    t.false(drainDone, 'the drain waits for the request in flight');

    p.release();
    const answer = await slow;
    t.is(answer.status, 200);
    t.deepEqual(await answer.json(), { done: true });
    await drained;
    await idleClosed;
    await t.throwsAsync(fetch(`${p.base}/healthz`), undefined, 'the port is closed once drained');
  } finally {
    agent.destroy();
    await p.host.close();
  }
});

test('http host - close(): a request in flight is cut off and the port closes at once', async (t) => {
  const p = await startProbe();
  const slow = fetch(`${p.base}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await p.slowStarted;
  await p.host.close();
  await t.throwsAsync(slow, undefined, 'the connection is ended');
  await t.throwsAsync(fetch(`${p.base}/healthz`));
  p.release();
});
