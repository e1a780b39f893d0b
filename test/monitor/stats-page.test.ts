/**
 * The drift page with a data-sized reference: a real monitor (private NATS, gRPC and HTTP on
 * free ports) whose model has a 150,000-row reference; prediction logs go over JetStream as the
 * inference service publishes them, and the page is fetched over HTTP. Spreading arrays of that
 * size into Math.min/Math.max overflows V8's stack (RangeError), which the page answered with 500.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { connect } from 'nats';
import { SUBJECTS, encodePredictionLog } from '../../shared/events/index.js';
import { encodeNpy } from '../../shared/tensors/index.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { histogram, scatter } from '../../services/monitor/svg.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/inference.js';
import { call, startMonitor } from '../helpers/monitor.js';
import type { GetStatusResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetStatusResponse.js';

const REF_ROWS = 150_000;
const COLS = 3;

test('page - the drift page of a model with a 150,000-row reference answers 200 with its histograms and projection', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-page-big-'));
  const repo = join(dir, 'repo');
  await mkdir(join(repo, 'big', '1', 'reference'), { recursive: true });
  const rand = seededRandom(5);
  const ref = Float32Array.from({ length: REF_ROWS * COLS }, () => rand());
  await writeFile(join(repo, 'big', '1', 'reference', 'inputs.npy'), encodeNpy('FP32', [REF_ROWS, COLS], new Uint8Array(ref.buffer)));
  await writeFile(join(repo, 'big', 'config.json'), JSON.stringify({ monitoring: { output_kind: 'none', detectors: ['ks'] } }));
  const nats = await NatsServer.start({ jetstream: true });
  const monitor = await startMonitor({ natsUrl: nats.url, repo, overrides: { windowRows: 40, windowSeconds: 0, permutations: 50 } });
  const nc = await connect({ servers: nats.url });
  t.teardown(async () => {
    await nc.close();
    await monitor.stop();
    await nats.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  await waitFor(() => monitor.service.ready, 10_000, 'monitor ready');
  const js = nc.jetstream();
  // One full window (so the reference is loaded and a report exists) and 10 rows of the next.
  for (let i = 0; i < 5; i++) {
    const rows = 10;
    const x = Float32Array.from({ length: rows * COLS }, () => rand() + 0.1);
    const log = encodePredictionLog({
      meta: { event_id: `e${i}`, time_unix_ms: String(Date.now()) },
      request_id: `r${i}`,
      model: 'big',
      version: '1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [String(rows), String(COLS)], raw: Buffer.from(x.buffer) }],
      outputs: [],
    });
    await js.publish(SUBJECTS.prediction('big', '1'), log, { msgID: `r${i}` });
  }
  await waitFor(async () => {
    const st = await call<GetStatusResponse__Output>(monitor.client, 'GetStatus', { model: 'big' }).catch(() => undefined);
    return Number(st?.versions[0]?.windows_closed ?? 0) >= 1 && Number(st?.versions[0]?.open_window_rows ?? 0) >= 10;
  }, 30_000, 'a window closed and the next one open');
  const res = await fetch(`${monitor.http}/models/big`);
  const html = await res.text();
  t.is(res.status, 200, html.slice(0, 300));
  t.true(html.includes(`reference (${REF_ROWS} rows)`));
  // The timeline, the p-value chart, 3 histograms and the inputs' PCA projection.
  t.is((html.match(/<svg/g) ?? []).length, 6);
  // The projection plots a bounded sample of the reference, not 150,000 circles.
  t.true(html.length < 2_000_000, `page is ${html.length} bytes`);
});

test('page - histogram and scatter take data-sized arrays and keep their range', (t) => {
  const n = 300_000;
  const a = Float64Array.from({ length: n }, (_, i) => (i % 1000) / 10);
  const b = Float64Array.from({ length: n }, (_, i) => 50 + (i % 7));
  const h = histogram('x', a, b);
  t.regex(h, />0\.00</, 'lowest value is the range start');
  t.regex(h, />99\.9</, 'highest value is the range end');
  const s = scatter('pc', a, b);
  const circles = (s.match(/<circle/g) ?? []).length;
  t.true(circles > 0 && circles <= 4000, `${circles} circles`);
});
