/**
 * Unit tests of the dynamic batcher's decisions: what goes into a batch, when it is sent, and how
 * requests leave the queue (abort, timeout, full queue, drain, close).
 *
 * The instance pool is replaced by `FakeRunner`. This is a deliberate mock of an interface that
 * is hard to drive for real: the real `InstancePool` runs onnxruntime in worker threads, so how
 * many instances are idle, and when a run finishes, would depend on timing. The fake lets each
 * test say exactly when an instance is idle and when (and how) each run completes.
 */
import test from 'ava';
import { DeadlineExceededError, ResourceExhaustedError, UnavailableError } from '../../shared/errors/index.js';
import { DynamicBatcher } from '../../services/inference/batcher.js';
import { submitSplit } from '../../services/inference/split.js';
import type { BatcherObserver, BatchRunner, InferJob, JobResult } from '../../services/inference/batcher.js';
import type { ModelConfig } from '../../services/inference/model-config.js';
import type { RunResult } from '../../services/inference/worker-pool.js';
import type { WireTensor } from '../../services/inference/worker-protocol.js';

interface Call {
  inputs: WireTensor[];
  outputs: string[];
  /** Completes the run with outputs echoing the inputs (output `y` = input `x`). */
  finish(): void;
  /** Completes the run with the given outputs. */
  finishWith(outputs: WireTensor[]): void;
  /** Fails the run. */
  fail(e: unknown): void;
}

/** Stand-in for the worker-thread pool (see the file comment): idle count and run completion are manual. */
class FakeRunner implements BatchRunner {
  idleCount: number;
  readonly calls: Call[] = [];

  constructor(idle: number) {
    this.idleCount = idle;
  }

  run(inputs: WireTensor[], outputs: string[]): Promise<RunResult> {
    this.idleCount--;
    return new Promise<RunResult>((resolve, reject) => {
      const done = (outs: WireTensor[]) => {
        this.idleCount++;
        resolve({ outputs: outs, computeNs: 1000, startedAtMs: Date.now(), instance: this.calls.length - 1 });
      };
      this.calls.push({
        inputs,
        outputs,
        finish: () => {
          const x = inputs[0] as WireTensor;
          done(outputs.map((name) => ({ name, datatype: x.datatype, dims: [...x.dims], buffer: x.buffer.slice(0) })));
        },
        finishWith: done,
        fail: (e) => {
          this.idleCount++;
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the fake runner fails with whatever the test hands it
          reject(e);
        },
      });
    });
  }

  call(i: number): Call {
    const c = this.calls[i];
    if (!c) throw new Error(`no run #${i} (runs: ${this.calls.length})`);
    return c;
  }
}

/** Records what the batcher reports. */
class Recorder implements BatcherObserver {
  pendingNow = 0;
  executingNow = 0;
  executedRows: number[] = [];
  dequeuedCount = 0;
  pending(delta: number): void {
    this.pendingNow += delta;
  }
  executing(delta: number): void {
    this.executingNow += delta;
  }
  executed(rows: number): void {
    this.executedRows.push(rows);
  }
  dequeued(): void {
    this.dequeuedCount++;
  }
}

function modelConfig(o: { maxBatchSize?: number; delayUs?: number; preferred?: number[]; maxQueueSize?: number; timeoutUs?: number } = {}): ModelConfig {
  return {
    name: 'm',
    platform: 'onnxruntime_onnx',
    maxBatchSize: o.maxBatchSize ?? 8,
    inputs: [{ name: 'x', datatype: 'FP32', dims: [-1] }],
    outputs: [{ name: 'y', datatype: 'FP32', dims: [-1] }],
    predictionLog: { sampleRate: 1, logInputs: true },
    dynamicBatching: {
      maxQueueDelayUs: o.delayUs ?? 0,
      preferredBatchSizes: o.preferred ?? [],
      maxQueueSize: o.maxQueueSize ?? 0,
      defaultQueueTimeoutUs: o.timeoutUs ?? 0,
    },
    instanceCount: 1,
    executionProviders: ['cpu'],
    intraOpThreads: 1,
    versionPolicy: { kind: 'latest', numVersions: 1 },
  };
}

/** Every batcher made here, closed after the tests so that no timer outlives them. */
const batchers: DynamicBatcher[] = [];

test.after.always(() => {
  for (const b of batchers) b.close();
});

function setup(cfg: ModelConfig, idle: number): { b: DynamicBatcher; runner: FakeRunner; rec: Recorder } {
  const runner = new FakeRunner(idle);
  const rec = new Recorder();
  const b = new DynamicBatcher('m:1', cfg, runner, rec);
  batchers.push(b);
  return { b, runner, rec };
}

let seq = 0;

/** A request with input `x` (FP32, `cols` columns) whose values are unique to it. */
function job(rows: number, o: { cols?: number; key?: string; signal?: AbortSignal; shape?: number[] } = {}): { job: InferJob; values: number[] } {
  const cols = o.cols ?? 2;
  const shape = o.shape ?? [rows, cols];
  const n = shape.reduce((a, d) => a * d, 1);
  const base = ++seq * 1000;
  const values = Array.from({ length: n }, (_, i) => base + i);
  return {
    job: {
      inputs: [{ name: 'x', datatype: 'FP32', shape, bytes: new Uint8Array(new Float32Array(values).buffer) }],
      rows,
      key: o.key ?? `FP32[-1,${cols}]`,
      outputs: ['y'],
      signal: o.signal ?? new AbortController().signal,
    },
    values,
  };
}

/** Submits, marking the promise handled so that a test that never awaits it cannot crash the run. */
function submit(b: DynamicBatcher, j: { job: InferJob }): Promise<JobResult> {
  const p = b.submit(j.job);
  p.catch(() => undefined);
  return p;
}

function floats(bytes: Uint8Array | ArrayBuffer): number[] {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return Array.from(new Float32Array(u8.slice().buffer));
}

/** Lets pending promise callbacks (run completion, `finally`, reschedule) happen. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

test('batcher - requests with the same key batch up to max_batch_size and each gets its own rows back', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxBatchSize: 4 }), 0);
  const jobs = [job(1), job(2), job(1), job(1)];
  const results = jobs.map((j) => submit(b, j));
  t.is(runner.calls.length, 0, 'no idle instance: nothing runs');
  t.is(b.queued, 4);

  runner.idleCount = 1;
  b.schedule();
  t.is(runner.calls.length, 1);
  const first = runner.call(0);
  t.deepEqual(first.outputs, ['y']);
  t.is(first.inputs.length, 1);
  t.deepEqual(first.inputs[0]?.dims, [4, 2], 'rows summed up to max_batch_size');
  t.deepEqual(floats(first.inputs[0]?.buffer ?? new ArrayBuffer(0)), [...jobs[0]!.values, ...jobs[1]!.values, ...jobs[2]!.values]);
  t.is(b.queued, 1, 'the request that does not fit waits');

  first.finish();
  for (const i of [0, 1, 2]) {
    const r = await results[i]!;
    t.is(r.outputs.length, 1);
    t.is(r.outputs[0]?.name, 'y');
    t.deepEqual(r.outputs[0]?.shape, [jobs[i]!.job.rows, 2]);
    t.deepEqual(floats(r.outputs[0]!.bytes), jobs[i]!.values, `request ${i} gets exactly its rows`);
    t.is(r.batchRows, 4);
  }

  await tick();
  t.is(runner.calls.length, 2, 'the rest is sent once the instance is idle again');
  t.deepEqual(runner.call(1).inputs[0]?.dims, [1, 2]);
  runner.call(1).finish();
  const last = await results[3]!;
  t.deepEqual(floats(last.outputs[0]!.bytes), jobs[3]!.values);
  t.is(last.batchRows, 1);

  await tick();
  t.deepEqual(rec.executedRows, [4, 1]);
  t.is(rec.dequeuedCount, 4);
  t.is(rec.pendingNow, 0);
  t.is(rec.executingNow, 0);
});

test('batcher - requests with different keys are never in the same batch', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8 }), 0);
  const a1 = job(1, { cols: 2 });
  const b1 = job(1, { cols: 3 });
  const a2 = job(2, { cols: 2 });
  const b2 = job(1, { cols: 3 });
  const results = [a1, b1, a2, b2].map((j) => submit(b, j));
  runner.idleCount = 1;
  b.schedule();
  t.is(runner.calls.length, 1);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [3, 2]);
  t.deepEqual(floats(runner.call(0).inputs[0]!.buffer), [...a1.values, ...a2.values]);
  runner.call(0).finish();
  await tick();
  t.is(runner.calls.length, 2);
  t.deepEqual(runner.call(1).inputs[0]?.dims, [2, 3]);
  t.deepEqual(floats(runner.call(1).inputs[0]!.buffer), [...b1.values, ...b2.values]);
  runner.call(1).finish();
  const [ra1, rb1, ra2, rb2] = await Promise.all(results);
  t.deepEqual(floats(ra1!.outputs[0]!.bytes), a1.values);
  t.deepEqual(floats(ra2!.outputs[0]!.bytes), a2.values);
  t.deepEqual(floats(rb1!.outputs[0]!.bytes), b1.values);
  t.deepEqual(rb2!.outputs[0]?.shape, [1, 3]);
  t.deepEqual(floats(rb2!.outputs[0]!.bytes), b2.values);
});

test('batcher - with a queue delay and no idle instance, what queued forms one batch once an instance is idle', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxBatchSize: 8, delayUs: 1000 }), 0);
  const jobs = [job(1), job(1), job(2)];
  const results = jobs.map((j) => submit(b, j));
  await sleep(20); // longer than the 1 ms delay: the head is due, but no instance is idle
  t.is(runner.calls.length, 0);
  runner.idleCount = 1;
  b.schedule();
  t.is(runner.calls.length, 1);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [4, 2]);
  runner.call(0).finish();
  const out = await Promise.all(results);
  out.forEach((r, i) => t.deepEqual(floats(r.outputs[0]!.bytes), jobs[i]!.values));
  t.deepEqual(rec.executedRows, [4]);
});

test('batcher - with a queue delay, a partial batch waits even though an instance is idle', (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8, delayUs: 60_000_000 }), 1);
  void submit(b, job(1));
  void submit(b, job(2));
  t.is(runner.calls.length, 0);
  t.is(b.queued, 2);
  b.close();
});

test('batcher - a full batch is sent at once, without waiting for the queue delay', (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 4, delayUs: 60_000_000 }), 1);
  void submit(b, job(2));
  t.is(runner.calls.length, 0);
  void submit(b, job(2));
  t.is(runner.calls.length, 1);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [4, 2]);
  b.close();
});

test('batcher - with no queue delay the head is sent at once', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8, delayUs: 0 }), 1);
  const j1 = job(1);
  const p1 = submit(b, j1);
  t.is(runner.calls.length, 1);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [1, 2]);
  // The only instance is busy now: the next request waits for it.
  const j2 = job(3);
  const p2 = submit(b, j2);
  t.is(runner.calls.length, 1);
  t.is(b.queued, 1);
  runner.call(0).finish();
  t.deepEqual(floats((await p1).outputs[0]!.bytes), j1.values);
  await tick();
  t.is(runner.calls.length, 2);
  t.deepEqual(runner.call(1).inputs[0]?.dims, [3, 2]);
  runner.call(1).finish();
  t.deepEqual(floats((await p2).outputs[0]!.bytes), j2.values);
});

test('batcher - reaching a preferred batch size sends the batch before the delay', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxBatchSize: 8, preferred: [2, 4], delayUs: 60_000_000 }), 2);
  const p = [submit(b, job(1))];
  t.is(runner.calls.length, 0, '1 row is not a preferred size');
  p.push(submit(b, job(1)));
  t.is(runner.calls.length, 1, '2 rows is a preferred size');
  t.deepEqual(runner.call(0).inputs[0]?.dims, [2, 2]);
  p.push(submit(b, job(3)));
  t.is(runner.calls.length, 1, '3 rows is not a preferred size');
  p.push(submit(b, job(1)));
  t.is(runner.calls.length, 2, '4 rows is a preferred size');
  t.deepEqual(runner.call(1).inputs[0]?.dims, [4, 2]);
  runner.call(0).finish();
  runner.call(1).finish();
  await Promise.all(p);
  t.deepEqual(rec.executedRows, [2, 4]);
});

test('batcher - a full queue refuses with RESOURCE_EXHAUSTED naming max_queue_size', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxQueueSize: 2 }), 0);
  void submit(b, job(1));
  void submit(b, job(1));
  const err = await t.throwsAsync(submit(b, job(1)), { instanceOf: ResourceExhaustedError });
  t.true(err?.message.includes('max_queue_size 2'), err?.message);
  t.is(b.queued, 2);
  t.is(rec.pendingNow, 2);
  t.is(runner.calls.length, 0);
  b.close();
});

test('batcher - an aborted request leaves the queue with the signal reason and never runs', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxBatchSize: 8 }), 0);
  const ac = new AbortController();
  const gone = job(1, { signal: ac.signal });
  const stays = job(1);
  const pGone = submit(b, gone);
  const pStays = submit(b, stays);
  const reason = new Error('client went away');
  ac.abort(reason);
  t.is(await t.throwsAsync(pGone), reason);
  t.is(b.queued, 1);
  t.is(rec.pendingNow, 1);

  runner.idleCount = 1;
  b.schedule();
  t.is(runner.calls.length, 1);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [1, 2]);
  t.deepEqual(floats(runner.call(0).inputs[0]!.buffer), stays.values);
  runner.call(0).finish();
  t.deepEqual(floats((await pStays).outputs[0]!.bytes), stays.values);
});

test('batcher - a request whose signal is already aborted is refused and not queued', async (t) => {
  const { b, runner } = setup(modelConfig(), 1);
  const ac = new AbortController();
  const reason = new Error('deadline');
  ac.abort(reason);
  t.is(await t.throwsAsync(submit(b, job(1, { signal: ac.signal }))), reason);
  t.is(b.queued, 0);
  t.is(runner.calls.length, 0);
});

test('batcher - default_queue_timeout rejects a waiting request with DEADLINE_EXCEEDED and it never runs', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ timeoutUs: 5000 }), 0);
  const err = await t.throwsAsync(submit(b, job(1)), { instanceOf: DeadlineExceededError });
  t.true(err?.message.includes('queue timeout'), err?.message);
  t.is(b.queued, 0);
  t.is(rec.pendingNow, 0);
  runner.idleCount = 1;
  b.schedule();
  t.is(runner.calls.length, 0);
});

test('batcher - when a batch fails, its requests are retried alone so only the culprit fails', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxBatchSize: 8 }), 0);
  const results = [submit(b, job(1)), submit(b, job(2)), submit(b, job(1))];
  runner.idleCount = 1;
  b.schedule();
  t.is(runner.calls.length, 1);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [4, 2]);
  const boom = new Error('onnxruntime failed');
  runner.call(0).fail(boom);
  await tick();
  // Three solo runs follow, one at a time on the one instance, in the original order.
  t.is(runner.calls.length, 2);
  t.deepEqual(runner.call(1).inputs[0]?.dims, [1, 2]);
  runner.call(1).finish();
  await tick();
  t.deepEqual(runner.call(2).inputs[0]?.dims, [2, 2]);
  const culprit = new Error('index out of range');
  runner.call(2).fail(culprit);
  await tick();
  t.deepEqual(runner.call(3).inputs[0]?.dims, [1, 2]);
  runner.call(3).finish();
  await t.notThrowsAsync(results[0] as Promise<unknown>);
  t.is(await t.throwsAsync(results[1] as Promise<unknown>), culprit);
  await t.notThrowsAsync(results[2] as Promise<unknown>);
  t.deepEqual(rec.executedRows, [1, 1]);
  t.is(rec.pendingNow, 0);
  t.is(b.executing, 0);
});

test('batcher - a failed run of a single request rejects it without a retry', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8 }), 1);
  const p = submit(b, job(2));
  const boom = new Error('onnxruntime failed');
  runner.call(0).fail(boom);
  t.is(await t.throwsAsync(p), boom);
  await tick();
  t.is(runner.calls.length, 1);
});

test('batcher - outputs whose rows do not match the batch fail it with INTERNAL (then each request is retried alone)', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8 }), 0);
  const results = [submit(b, job(1)), submit(b, job(1))];
  runner.idleCount = 1;
  b.schedule();
  runner.call(0).finishWith([{ name: 'y', datatype: 'FP32', dims: [1, 2], buffer: new ArrayBuffer(8) }]);
  await tick();
  t.is(runner.calls.length, 2, 'the first request is retried alone');
  runner.call(1).finishWith([{ name: 'y', datatype: 'FP32', dims: [1, 2], buffer: new ArrayBuffer(8) }]);
  await tick();
  runner.call(2).finish();
  await t.notThrowsAsync(results[0] as Promise<unknown>);
  await t.notThrowsAsync(results[1] as Promise<unknown>);
});

test('batcher - drain sends what is queued without waiting for the delay and resolves when idle', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8, delayUs: 60_000_000 }), 1);
  const j1 = job(1);
  const j2 = job(2);
  const p1 = submit(b, j1);
  const p2 = submit(b, j2);
  t.is(runner.calls.length, 0);

  let drained = false;
  const d = b.drain().then(() => {
    drained = true;
  });
  t.is(b.state, 'draining');
  t.is(runner.calls.length, 1);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [3, 2]);
  await tick();
  t.false(drained, 'a batch is still running');

  runner.call(0).finish();
  await d;
  t.true(drained);
  t.deepEqual(floats((await p1).outputs[0]!.bytes), j1.values);
  t.deepEqual(floats((await p2).outputs[0]!.bytes), j2.values);
  t.is(b.queued, 0);
  t.is(b.executing, 0);
});

test('batcher - drain of an idle batcher resolves at once', async (t) => {
  const { b } = setup(modelConfig(), 1);
  await b.drain();
  t.is(b.state, 'draining');
});

test('batcher - submit after drain is refused with UNAVAILABLE', async (t) => {
  const { b, runner } = setup(modelConfig(), 1);
  await b.drain();
  const err = await t.throwsAsync(submit(b, job(1)), { instanceOf: UnavailableError });
  t.true(err?.message.includes('m:1'));
  t.is(runner.calls.length, 0);
});

test('batcher - close rejects everything queued with UNAVAILABLE and runs nothing more', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ delayUs: 0 }), 0);
  const results = [submit(b, job(1)), submit(b, job(1))];
  b.close();
  t.is(b.state, 'closed');
  for (const p of results) await t.throwsAsync(p, { instanceOf: UnavailableError, message: /was unloaded/ });
  t.is(b.queued, 0);
  t.is(rec.pendingNow, 0);
  runner.idleCount = 1;
  b.schedule();
  t.is(runner.calls.length, 0);
  await t.throwsAsync(submit(b, job(1)), { instanceOf: UnavailableError });
});

test('batcher - close during drain: drain still resolves once the running batch ends', async (t) => {
  // The hard stop after a graceful one (e.g. a grace period ran out): whoever awaits drain()
  // must not be left hanging.
  const { b, runner } = setup(modelConfig({ delayUs: 0 }), 1);
  const p = submit(b, job(1));
  t.is(runner.calls.length, 1);
  let drained = false;
  void b.drain().then(() => {
    drained = true;
  });
  b.close();
  runner.call(0).fail(new UnavailableError('instance terminated'));
  await t.throwsAsync(p, { instanceOf: UnavailableError });
  await tick();
  await tick();
  t.is(b.executing, 0);
  t.true(drained, 'drain() never resolved');
});

test('batcher - max_batch_size 0 runs requests one at a time with their own shapes', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxBatchSize: 0 }), 0);
  const j1 = job(1, { shape: [2, 3] });
  const j2 = job(1, { shape: [4, 3] });
  const p1 = submit(b, j1);
  const p2 = submit(b, j2);
  runner.idleCount = 2;
  b.schedule();
  t.is(runner.calls.length, 2);
  t.deepEqual(runner.call(0).inputs[0]?.dims, [2, 3]);
  t.deepEqual(floats(runner.call(0).inputs[0]!.buffer), j1.values);
  t.deepEqual(runner.call(1).inputs[0]?.dims, [4, 3]);
  t.deepEqual(floats(runner.call(1).inputs[0]!.buffer), j2.values);
  runner.call(0).finish();
  runner.call(1).finish();
  const [r1, r2] = [await p1, await p2];
  t.deepEqual(r1.outputs[0]?.shape, [2, 3]);
  t.deepEqual(floats(r1.outputs[0]!.bytes), j1.values);
  t.deepEqual(r2.outputs[0]?.shape, [4, 3]);
  t.deepEqual(floats(r2.outputs[0]!.bytes), j2.values);
  t.is(r1.batchRows, 1);
  await tick();
  t.deepEqual(rec.executedRows, [1, 1]);
});

test('batcher - a full group of one shape is sent at once even behind a waiting request of another shape', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 4, delayUs: 60_000_000 }), 1);
  const lone = submit(b, job(1, { cols: 3, key: 'A' }));
  const group = [submit(b, job(2, { key: 'B' })), submit(b, job(2, { key: 'B' }))];
  t.is(runner.calls.length, 1, 'the full B batch went without waiting for the delay');
  t.deepEqual(runner.call(0).inputs[0]?.dims, [4, 2]);
  runner.call(0).finish();
  for (const p of group) await t.notThrowsAsync(p);
  t.is(b.queued, 1, 'the lone A request still waits for its delay');
  const drained = b.drain();
  t.deepEqual(runner.call(1).inputs[0]?.dims, [1, 3]);
  runner.call(1).finish();
  await drained;
  await t.notThrowsAsync(lone);
});

test('batcher - the queue timeout expires requests from the head, each exactly once', async (t) => {
  const { b } = setup(modelConfig({ maxBatchSize: 4, timeoutUs: 30_000 }), 0);
  const ps = Array.from({ length: 50 }, () => submit(b, job(1)));
  for (const p of ps) await t.throwsAsync(p, { instanceOf: DeadlineExceededError });
  t.is(b.queued, 0);
});

test('batcher - a request that did not fit the batch just sent goes at once on another idle instance', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8, delayUs: 1_000_000 }), 2);
  const small = submit(b, job(3));
  t.is(runner.calls.length, 0, 'a lone 3-row request waits for company');
  const full = submit(b, job(8));
  // 3 + 8 does not fit: the 3 rows go, and the 8 rows (a full batch) go on the second instance.
  t.deepEqual(runner.calls.map((c) => c.inputs[0]?.dims[0]), [3, 8]);
  runner.call(0).finish();
  runner.call(1).finish();
  t.is((await small).outputs[0]?.shape[0], 3);
  t.is((await full).outputs[0]?.shape[0], 8);
});

test('split - chunks of max_batch_size through the batcher, the short one queued first, outputs joined in row order', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8, delayUs: 1_000_000 }), 2);
  const j = job(20, { cols: 2 });
  const p = submitSplit((x) => b.submit(x), j.job, 8);
  // Rows 16-19 first (it goes at once, as the next chunk does not fit), then rows 0-7 on the
  // second instance; rows 8-15 wait for an instance.
  t.deepEqual(runner.calls.map((c) => c.inputs[0]?.dims[0]), [4, 8]);
  t.is(new Float32Array(runner.call(0).inputs[0]?.buffer ?? new ArrayBuffer(0))[0], j.values[32]);
  runner.call(1).finish();
  await new Promise((r) => setImmediate(r));
  runner.call(2).finish();
  runner.call(0).finish();
  const res = await p;
  t.deepEqual(res.outputs[0]?.shape, [20, 2]);
  t.deepEqual(Array.from(new Float32Array(res.outputs[0]?.bytes.slice().buffer ?? new ArrayBuffer(0))), j.values);
});

test('split - a failing chunk rejects the call with its error and withdraws the chunks still queued', async (t) => {
  const { b, runner, rec } = setup(modelConfig({ maxBatchSize: 8 }), 1);
  const p = submitSplit((x) => b.submit(x), job(24).job, 8);
  p.catch(() => undefined);
  t.is(runner.calls.length, 1);
  t.is(b.queued, 2);
  runner.call(0).fail(new Error('boom'));
  await t.throwsAsync(p, { message: 'boom' });
  t.is(b.queued, 0, 'the queued chunks left the queue');
  t.is(rec.pendingNow, 0);
  // The instance freed by the failure may take the next chunk before the abort reaches the
  // queue (a run cannot be stopped); the last one never runs.
  t.true(runner.calls.length <= 2, `${runner.calls.length} runs`);
  for (const c of runner.calls.slice(1)) c.finish();
});

test('split - the caller\'s abort withdraws every chunk not yet run; max_batch_size 0 never splits', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 8 }), 1);
  const ctl = new AbortController();
  const p = submitSplit((x) => b.submit(x), job(24, { signal: ctl.signal }).job, 8);
  p.catch(() => undefined);
  ctl.abort(new DeadlineExceededError('deadline exceeded'));
  await t.throwsAsync(p, { instanceOf: DeadlineExceededError });
  t.is(b.queued, 0);
  runner.call(0).finish();
  const seen: number[] = [];
  const whole = job(24).job;
  await submitSplit(async (x) => {
    seen.push(x.rows);
    return { outputs: [], queueNs: 0, computeNs: 0, batchRows: x.rows, instance: 0 };
  }, whole, 0);
  t.deepEqual(seen, [24]);
});

test('split - 20 chunks queued at once on one signal raise no MaxListenersExceededWarning', async (t) => {
  const { b, runner } = setup(modelConfig({ maxBatchSize: 2, maxQueueSize: 100 }), 1);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    const p = submitSplit((x) => b.submit(x), job(40, { signal: new AbortController().signal }).job, 2);
    for (let i = 0; i < 20; i++) {
      runner.call(i).finish();
      await new Promise((r) => setImmediate(r));
    }
    t.deepEqual((await p).outputs[0]?.shape.slice(0, 1), [40]);
    await new Promise((r) => setImmediate(r));
    t.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
  }
});
