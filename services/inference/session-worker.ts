/**
 * A session worker: owns one onnxruntime InferenceSession and runs it on request. It runs in a
 * worker thread, because `session.run()` blocks its thread for the whole inference; the thread
 * that serves gRPC never runs a session.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { DATATYPES, datatypeFromOrt, elementCount, typedView } from '../../shared/tensors/index.js';
import { CONTROL_DIE_AFTER_RUN, CONTROL_FAIL_INIT } from './worker-protocol.js';
import type { FromWorker, TensorMeta, ToWorker, WireTensor, WorkerInit } from './worker-protocol.js';

const KNOWN_PROVIDERS = new Set(['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu']);

/**
 * CUDA and TensorRT come as shared libraries beside onnxruntime's own, installed only with
 * `ONNXRUNTIME_NODE_INSTALL=cuda12`. Checking for them first avoids a noisy native failure.
 */
function providerLibraryMissing(provider: string): boolean {
  if (provider !== 'cuda' && provider !== 'tensorrt') return false;
  try {
    const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const dir = join(binding, 'bin', 'napi-v6', process.platform, process.arch);
    const ext = process.platform === 'win32' ? 'dll' : 'so';
    const prefix = process.platform === 'win32' ? '' : 'lib';
    return !existsSync(join(dir, `${prefix}onnxruntime_providers_${provider}.${ext}`));
  } catch {
    // Layout unknown: let onnxruntime try, the CPU fallback catches a failure.
    return false;
  }
}

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] {
  return list.map((m) => {
    const ortType = m.isTensor ? String(m.type) : 'non-tensor';
    const shape = m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [];
    return { name: m.name, datatype: m.isTensor ? datatypeFromOrt(ortType) : undefined, ortType, shape };
  });
}

/** Chooses providers: unknown or unavailable ones are dropped with a warning; CPU is always last. */
function chooseProviders(wanted: readonly string[], warnings: string[]): string[] {
  // `bundled` is false for CUDA/TensorRT even when installed, so only the name counts here.
  const available = new Set(ort.listSupportedBackends().map((b) => b.name));
  const chosen: string[] = [];
  for (const p of wanted) {
    if (p === 'cpu') continue;
    if (!KNOWN_PROVIDERS.has(p)) warnings.push(`unknown execution provider '${p}' ignored`);
    else if (!available.has(p) || providerLibraryMissing(p)) warnings.push(`execution provider '${p}' is not available on this host: falling back`);
    else chosen.push(p);
  }
  chosen.push('cpu');
  return chosen;
}

/** onnxruntime-node refuses views on a SharedArrayBuffer: copy into a plain buffer it may keep. */
function modelBytes(init: WorkerInit): Uint8Array {
  return new Uint8Array(init.model).slice();
}

async function createSession(init: WorkerInit, warnings: string[]): Promise<{ session: ort.InferenceSession; providers: string[] }> {
  const providers = chooseProviders(init.executionProviders, warnings);
  const options = (eps: string[]): ort.InferenceSession.SessionOptions => ({
    executionProviders: eps,
    intraOpNumThreads: init.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  try {
    return { session: await ort.InferenceSession.create(modelBytes(init), options(providers)), providers };
  } catch (e: unknown) {
    if (providers.length === 1) throw e;
    warnings.push(`session with providers ${providers.join(',')} failed (${e instanceof Error ? e.message : String(e)}): falling back to cpu`);
    return { session: await ort.InferenceSession.create(modelBytes(init), options(['cpu'])), providers: ['cpu'] };
  }
}

function toOrt(t: WireTensor): ort.Tensor {
  const data = typedView(t.datatype, t.buffer, 0, t.buffer.byteLength);
  // The Tensor constructor is overloaded per type name; the view matches DATATYPES[dt].ort.
  return new ort.Tensor(DATATYPES[t.datatype].ort, data as Float32Array, t.dims);
}

/** Copies (or adopts) an output's bytes into an ArrayBuffer that can be transferred. */
function fromOrt(name: string, t: ort.Tensor): WireTensor {
  const datatype = datatypeFromOrt(t.type);
  if (!datatype) throw new Error(`output '${name}' has type ${t.type}, which mlmesh does not serve`);
  const data = t.data as ArrayBufferView;
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
  const buffer = whole ? (data.buffer) : (new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer);
  return { name, datatype, dims: t.dims.map(Number), buffer };
}

function zerosFor(m: TensorMeta): ort.Tensor | undefined {
  if (!m.datatype) return undefined;
  const dims = m.shape.map((d) => (d < 0 ? 1 : d));
  const bytes = elementCount(dims) * DATATYPES[m.datatype].bytes;
  return toOrt({ name: m.name, datatype: m.datatype, dims, buffer: new ArrayBuffer(bytes) });
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const warnings: string[] = [];
  let session: ort.InferenceSession;
  let providers: string[];
  let inputs: TensorMeta[];
  let outputs: TensorMeta[];
  const control = new Int32Array(init.control);
  try {
    if (Atomics.load(control, 0) === CONTROL_FAIL_INIT) throw new Error('fault injected: this instance may not start');
    ({ session, providers } = await createSession(init, warnings));
    inputs = meta(session.inputMetadata);
    outputs = meta(session.outputMetadata);
    // Warm up only what can be served: every input must be a tensor mlmesh can feed (else the
    // signature refuses the model with the reason, e.g. BYTES inputs), and only the served
    // outputs are fetched (onnxruntime-node cannot return non-tensor ones such as ZipMap's).
    const fetches = outputs.filter((m) => m.datatype !== undefined && (init.warmupOutputs ?? [m.name]).includes(m.name)).map((m) => m.name);
    if (init.warmup && fetches.length > 0 && inputs.every((m) => m.datatype !== undefined)) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const m of inputs) {
        const z = zerosFor(m);
        if (z) feeds[m.name] = z;
      }
      await session.run(feeds, fetches);
    }
  } catch (e: unknown) {
    post({ type: 'init-error', message: e instanceof Error ? e.message : String(e) });
    return;
  }
  post({ type: 'ready', inputs, outputs, providers, warnings });

  parentPort?.on('message', (msg: ToWorker) => {
    if (msg.type === 'exit') process.exit(0);
    void run(msg);
  });

  async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const t of msg.inputs) feeds[t.name] = toOrt(t);
      const startedAtMs = performance.timeOrigin + performance.now();
      const t0 = process.hrtime.bigint();
      const result = await session.run(feeds, msg.outputs);
      const computeNs = Number(process.hrtime.bigint() - t0);
      if (Atomics.load(control, 0) === CONTROL_DIE_AFTER_RUN) process.exit(70);
      const out = msg.outputs.map((name) => {
        const t = result[name];
        if (!t) throw new Error(`session returned no output '${name}'`);
        return fromOrt(name, t);
      });
      post({ type: 'result', id: msg.id, outputs: out, computeNs, startedAtMs }, out.map((o) => o.buffer));
    } catch (e: unknown) {
      post({ type: 'error', id: msg.id, message: e instanceof Error ? e.message : String(e) });
    }
  }
}

void main();
