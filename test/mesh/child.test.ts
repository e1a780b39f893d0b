/**
 * SupervisedChild against real processes: a small node script that serves HTTP on a port and
 * crashes after a while (or never becomes healthy, or ignores SIGTERM). The restart delays are
 * read from the supervisor's log records, not measured.
 */
import { PassThrough } from 'node:stream';
import test from 'ava';
import { LogStream, ServiceStartError, SupervisedChild, backoffDelay } from '../../tools/mesh/index.js';
import type { RestartPolicy } from '../../tools/mesh/index.js';
import { freePort, until } from '../helpers/mesh.js';

/**
 * Serves HTTP on $PORT; exits with code 3 $CRASH_MS after its first answered request, i.e. after
 * the supervisor's probe found it healthy (never when unset), so on a loaded machine it cannot
 * crash before it was healthy; ignores SIGTERM with $STUBBORN.
 */
const SCRIPT = `
const http = require('node:http');
if (process.env.STUBBORN) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
let armed = false;
const s = http.createServer((q, r) => {
  r.end('ok');
  if (process.env.CRASH_MS && !armed) {
    armed = true;
    setTimeout(() => { console.error('boom'); process.exit(3); }, Number(process.env.CRASH_MS));
  }
}).listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(JSON.stringify({ level: 'info', msg: 'listening', port: Number(process.env.PORT) }));
});
`;

function child(env: Record<string, string>, restart: RestartPolicy, extra: { readyTimeoutMs?: number; graceMs?: number; probe?: () => Promise<boolean> } = {}) {
  const out = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  out.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  const port = Number(env['PORT']);
  const c = new SupervisedChild({
    name: 'fake',
    command: process.execPath,
    args: ['-e', SCRIPT],
    env: { ...process.env, ...env },
    cwd: process.cwd(),
    probe: extra.probe ?? (() => fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)),
    readyTimeoutMs: extra.readyTimeoutMs ?? 30_000,
    graceMs: extra.graceMs ?? 10_000,
    restart,
    log: new LogStream({ out, format: 'json' }),
  });
  return { c, lines };
}

test('child - restart delays double per crash in a row and stop at the cap', (t) => {
  const p = { delayMs: 500, maxDelayMs: 30_000, resetMs: 60_000 };
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(p, n)), [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  t.is(backoffDelay({ ...p, delayMs: 0 }, 5), 0);
});

test('child - a process that crashes after being healthy is restarted each time, with backoff, counted; stop() ends it for good', async (t) => {
  const port = await freePort();
  const { c, lines } = child({ PORT: String(port), CRASH_MS: '300' }, { delayMs: 50, maxDelayMs: 200, resetMs: 60_000 });
  await c.start();
  t.is(c.state, 'ready');
  await until(() => c.restarts >= 4, 60_000, 'four restarts');
  const crashes = lines.filter((l) => /^fake exited with code 3: restart \d+ in \d+ ms$/.test(String(l['msg'])));
  t.deepEqual(crashes.slice(0, 4).map((l) => l['delayMs']), [50, 100, 200, 200]);
  t.deepEqual(crashes.slice(0, 4).map((l) => l['restart']), [1, 2, 3, 4]);
  t.true(lines.some((l) => l['service'] === 'fake' && l['msg'] === 'boom' && l['stream'] === 'stderr' && l['level'] === 'error'), 'stderr lines are tagged and kept');
  t.true(lines.some((l) => l['service'] === 'fake' && l['msg'] === 'listening' && l['port'] === port), 'JSON lines pass through');
  await c.stop();
  t.is(c.state, 'stopped');
  t.is(c.pid, undefined);
  const restarts = c.restarts;
  // Nothing is left scheduled: a restart would come within maxDelayMs (200 ms) plus its start.
  await new Promise((r) => setTimeout(r, 1500));
  t.is(c.restarts, restarts);
  t.is(c.state, 'stopped');
});

test('child - with restartResetMs 0 every crash after a healthy run waits the first delay again', async (t) => {
  const port = await freePort();
  const { c, lines } = child({ PORT: String(port), CRASH_MS: '200' }, { delayMs: 40, maxDelayMs: 10_000, resetMs: 0 });
  t.teardown(() => c.kill());
  await c.start();
  await until(() => c.restarts >= 3, 60_000, 'three restarts');
  await c.stop();
  const delays = lines.filter((l) => String(l['msg']).includes(': restart ')).map((l) => l['delayMs']);
  t.deepEqual(delays.slice(0, 3), [40, 40, 40]);
});

test('child - a process that is not healthy within readyTimeoutMs fails the start with its output, and is killed', async (t) => {
  const port = await freePort();
  // It serves, but its health probe never says so. The probe first waits for the port to answer
  // (however long the process takes to start here), so its output is there when the start fails.
  const answers = async (): Promise<boolean> => {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
      if (ok) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const { c } = child({ PORT: String(port) }, { delayMs: 10, maxDelayMs: 10, resetMs: 0 }, { readyTimeoutMs: 300, probe: answers });
  const err = await t.throwsAsync(c.start(), { instanceOf: ServiceStartError });
  t.regex(err?.message ?? '', /^fake: not healthy within 300 ms$/);
  t.true(err?.output.some((l) => l.includes('"listening"')) ?? false, 'the error carries its output');
  t.is(c.state, 'stopped');
  t.is(c.pid, undefined, 'killed');
  t.is(c.restarts, 0, 'a failed first start is not restarted');
});

test('child - a process that ignores SIGTERM is killed after its grace', async (t) => {
  const port = await freePort();
  const { c, lines } = child({ PORT: String(port), STUBBORN: '1' }, { delayMs: 10, maxDelayMs: 10, resetMs: 0 }, { graceMs: 500 });
  await c.start();
  t.is(await c.stop(), 'killed');
  t.is(c.lastExit?.signal, 'SIGKILL');
  t.true(lines.some((l) => l['msg'] === 'fake did not exit within 500 ms of SIGTERM: SIGKILL'));
  t.true(lines.some((l) => l['service'] === 'fake' && l['msg'] === 'ignoring SIGTERM'));
});
