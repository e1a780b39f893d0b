/**
 * Compact window state (window.ts, state-store.ts): float32 rows in memory and in an
 * append-only segment per open window beside a small header rewritten after every batch. A save
 * writes only the new rows; bytes past the header's row count (a crash between the append and
 * the header) are cut at load; a segment shorter than its header is refused; a closed window's
 * segment goes; files of the older float64 format are read and converted; a model whose full
 * window would exceed its bound has its logs skipped, counted as too_large.
 */
import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { StateStore } from '../../services/monitor/state-store.js';
import { OpenWindow } from '../../services/monitor/window.js';
import { msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

const rowsOf = (n: number, cols: number, start = 0) => ({ rows: n, cols, data: Float64Array.from({ length: n * cols }, (_, i) => start + i + 0.5) });

test('window segments - each save appends only the new rows; the header stays small; the rows read back exactly (FP32 values)', async (t) => {
  const dir = join(t.context.dir, 's');
  const store = new StateStore(dir);
  t.teardown(() => store.close());
  const w = OpenWindow.empty('m', '1');
  const seg = join(dir, 'windows', 'm@1.0.f32');
  for (let b = 0; b < 5; b++) {
    w.append(rowsOf(10, 64, b * 1000), rowsOf(10, 10, b * 100), b + 1, 0, 10, 1000 + b);
    await store.saveWindow(w);
    t.is((await stat(seg)).size, (b + 1) * 10 * 74 * 4, `after batch ${b}: ${b + 1} × 10 rows of 74 float32`);
  }
  t.true((await stat(join(dir, 'windows', 'm@1.win'))).size < 1000, 'the header does not grow with the rows');
  t.is(w.rowBytes, 50 * 74 * 4, 'float32 in memory: half of float64');
  const [back] = await new StateStore(dir).loadWindows();
  t.deepEqual(back?.header, w.header);
  t.deepEqual(back?.matrices(), w.matrices());
  t.is(back?.matrices().inputs?.data[64 * 10 + 3], 1003.5);
});

test('window segments - a crash between the append and the header: the extra rows are cut at load, and the next save appends after the committed ones', async (t) => {
  const dir = join(t.context.dir, 's');
  const store = new StateStore(dir);
  const w = OpenWindow.empty('m', '1');
  w.append(rowsOf(3, 2), rowsOf(3, 1), 1, 0, 3, 10);
  await store.saveWindow(w);
  const seg = join(dir, 'windows', 'm@1.0.f32');
  // Two rows appended (and a torn third), the header never rewritten.
  await appendFile(seg, Buffer.alloc(2 * 12 + 5, 7));
  store.close();
  const again = new StateStore(dir);
  t.teardown(() => again.close());
  const [back] = await again.loadWindows();
  t.is(back?.header.rows, 3);
  t.is((await stat(seg)).size, 36, 'cut back to the committed 3 rows');
  back?.append(rowsOf(1, 2, 100), rowsOf(1, 1, 100), 2, 0, 1, 11);
  await again.saveWindow(back as OpenWindow);
  const [after] = await new StateStore(dir).loadWindows();
  t.deepEqual(Array.from(after?.matrices().inputs?.data ?? []), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 100.5, 101.5]);
});

test('window segments - a segment shorter than its header, or missing, is refused at load naming the file', async (t) => {
  const dir = join(t.context.dir, 's');
  const store = new StateStore(dir);
  t.teardown(() => store.close());
  const w = OpenWindow.empty('m', '1');
  w.append(rowsOf(3, 2), undefined, 1, 0, 3, 10);
  await store.saveWindow(w);
  const seg = join(dir, 'windows', 'm@1.0.f32');
  await writeFile(seg, (await readFile(seg)).subarray(0, 20));
  await t.throwsAsync(new StateStore(dir).loadWindows(), { message: /m@1\.win: 20 data bytes, header says 3 rows of 8 bytes/ });
  await writeFile(seg, Buffer.alloc(0));
  const { rm } = await import('node:fs/promises');
  await rm(seg);
  await t.throwsAsync(new StateStore(dir).loadWindows(), { message: /m@1\.win: its segment .*m@1\.0\.f32 cannot be read .* the header says 3 rows/ });
});

test('window segments - a closed window\'s segment is removed; a stale one left by a crash is removed at load', async (t) => {
  const dir = join(t.context.dir, 's');
  const store = new StateStore(dir);
  t.teardown(() => store.close());
  const w = OpenWindow.empty('m', '1');
  w.append(rowsOf(2, 2), undefined, 1, 0, 2, 10);
  await store.saveWindow(w);
  w.reset();
  w.append(rowsOf(1, 2), undefined, 2, 0, 1, 11);
  await store.saveWindow(w);
  t.deepEqual((await readdir(join(dir, 'windows'))).sort(), ['m@1.1.f32', 'm@1.win']);
  await writeFile(join(dir, 'windows', 'm@1.0.f32'), Buffer.alloc(16));
  await new StateStore(dir).loadWindows();
  t.deepEqual((await readdir(join(dir, 'windows'))).sort(), ['m@1.1.f32', 'm@1.win']);
});

test('window segments - a window file of the float64 format (v2) is read, and written back as header + float32 segment', async (t) => {
  const dir = join(t.context.dir, 's');
  const store = new StateStore(dir);
  t.teardown(() => store.close());
  const w = OpenWindow.empty('m', '1');
  w.append(rowsOf(2, 2), rowsOf(2, 1), 1, 0, 2, 10);
  const v2 = Buffer.concat([Buffer.from(JSON.stringify({ ...w.header, format: 'mlmesh.monitor.window/v2' }) + '\n'), Buffer.from(Float64Array.of(0.5, 1.5, 2.5, 3.5).buffer), Buffer.from(Float64Array.of(0.5, 1.5).buffer)]);
  await writeFile(join(dir, 'windows', 'm@1.win'), v2);
  const [back] = await store.loadWindows();
  t.deepEqual(Array.from(back?.matrices().inputs?.data ?? []), [0.5, 1.5, 2.5, 3.5]);
  await store.saveWindow(back as OpenWindow);
  t.is((await stat(join(dir, 'windows', 'm@1.0.f32'))).size, 2 * 3 * 4);
  const [v3] = await new StateStore(dir).loadWindows();
  t.deepEqual(v3?.matrices(), back?.matrices());
});

test('window segments - a model whose full window would exceed max_window_bytes has its logs skipped (too_large), others are not', async (t) => {
  // 1,000 rows × 2 columns × 4 bytes = 8,000 bytes > 4,096.
  const { engine, metric } = await setup(t.context, { window_rows: 1000, window_seconds: 0, detectors: ['ks'], max_window_bytes: 4096 });
  await engine.applyPredictions([msg(1, [[1, 2]]), msg(2, [[3, 4]])]);
  t.is(await metric(engine, 'mlmesh_monitor_skipped_messages_total', { reason: 'too_large' }), 2);
  t.is(engine.allWindows().find((w) => w.header.model === 'm')?.header.rows ?? 0, 0);
  const ok = await setup({ dir: join(t.context.dir, 'ok'), engines: t.context.engines }, { window_rows: 500, window_seconds: 0, detectors: ['ks'], max_window_bytes: 4096 });
  await ok.engine.applyPredictions([msg(1, [[1, 2]])]);
  t.is(await ok.metric(ok.engine, 'mlmesh_monitor_skipped_messages_total', { reason: 'too_large' }), 0);
  t.is(ok.engine.allWindows()[0]?.header.rows, 1);
});
