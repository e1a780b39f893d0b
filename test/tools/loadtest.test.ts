import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadTest } from '../../tools/loadtest/index.js';
import { startInference } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';

test('loadtest - the node engine runs a short test against a live service: non-zero throughput, zero errors', async (t) => {
  const f = await startInference({ models: ['digits_mlp', 'digits_two_input'] });
  try {
    const r = await loadTest({ target: f.service.address, model: 'digits_two_input', rows: 2, concurrency: 8, durationS: 1, processes: 2 });
    t.is(r.engine, 'node');
    t.true(r.ok > 0);
    t.true(r.throughput > 0);
    t.is(r.rowsPerS, (r.ok * 2) / r.durationS);
    t.deepEqual(r.errors, {});
    t.true(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max);
  } finally {
    await f.stop();
  }
});

test('loadtest - the CLI drives h2load with a prepared gRPC frame, prints a summary and writes JSON', async (t) => {
  const f = await startInference({ models: ['digits_mlp'] });
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-loadtest-'));
  try {
    const out = join(dir, 'result.json');
    const child = runNode('tools/cli/main.js', ['loadtest', '--address', f.service.address, '--engine', 'h2load', '--concurrency', '4', '--duration', '1', '--out', out]);
    t.is(await child.exited, 0, child.stderr.join('\n'));
    t.regex(child.stdout.join('\n'), /req\/s/);
    const r = JSON.parse(await readFile(out, 'utf8')) as { ok: number; errors: Record<string, number>; engine: string };
    t.is(r.engine, 'h2load');
    t.true(r.ok > 0);
    t.deepEqual(r.errors, {});
    const served = await f.service.registry.getSingleMetricAsString('mlmesh_inference_request_success_total');
    t.regex(served, /digits_mlp/);
  } finally {
    await f.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadtest - a request count runs exactly that many requests, with either engine', async (t) => {
  const f = await startInference({ models: ['digits_mlp'] });
  try {
    const node = await loadTest({ target: f.service.address, model: 'digits_mlp', rows: 1, concurrency: 4, durationS: 30, requests: 50, processes: 2 });
    t.is(node.ok, 50);
    const h2 = await loadTest({ target: f.service.address, model: 'digits_mlp', rows: 1, concurrency: 4, durationS: 30, requests: 40, engine: 'h2load' });
    t.is(h2.ok, 40);
    t.true(h2.durationS < 30);
  } finally {
    await f.stop();
  }
});

test('loadtest - bad options and an unknown model fail before any load, with a clear message', async (t) => {
  const f = await startInference({ models: ['digits_mlp'] });
  try {
    await t.throwsAsync(loadTest({ target: f.service.address, model: 'digits_mlp', rows: 0, concurrency: 1, durationS: 1 }), { message: /--rows must be a positive number/ });
    await t.throwsAsync(loadTest({ target: f.service.address, model: 'nope', rows: 1, concurrency: 1, durationS: 1 }), { message: /model 'nope'/ });
  } finally {
    await f.stop();
  }
});
