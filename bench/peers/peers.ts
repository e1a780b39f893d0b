/**
 * The Python peers of `npm run bench` (bench/inference.ts): what a user would run instead of
 * mlmesh, on the same network and the same load generator.
 *
 * - `flask`: bench/peers/flask_app.py under gunicorn, one sync worker per core, JSON over
 *   HTTP/1.1 (`POST /predict {"instances": [[…]]}`), loaded by h2load `--h1`.
 * - `grpcio`: bench/peers/grpc_server.py, ModelInfer of the Open Inference Protocol from
 *   protos/inference/grpc_service.proto (compiled here with grpc_tools.protoc into a temporary
 *   folder), one process per core on one SO_REUSEPORT port, a thread pool each; loaded by h2load
 *   with the very gRPC frame sent to mlmesh.
 *
 * Both serve a TorchScript module rebuilt from the ONNX file mlmesh serves
 * (bench/peers/export_torchscript.py copies the initializers bit for bit), with one intra-op
 * thread and `torch.inference_mode()`. Before any load, {@link parity} checks a peer's answers
 * against onnxruntime-node on a few rows, over the peer's own protocol.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { projectRoot } from '../../shared/config/index.js';
import { InferenceClient } from '../../services/inference/index.js';
import { summarize } from '../../tools/loadtest/index.js';
import type { LoadResult } from '../../tools/loadtest/index.js';
import { freePort } from '../common.js';

/** The peers the benchmark knows. */
export const PEERS = ['flask', 'grpcio'] as const;
/** A peer's name. */
export type PeerName = (typeof PEERS)[number];

const PYTHON = '/usr/bin/python3';
const HERE = join(projectRoot(), 'bench/peers');

/** A running peer. */
export interface Peer {
  port: number;
  /** How it was started, for the results file. */
  setup: Record<string, string | number>;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`, { cause: err })) : resolve(stdout)));
  });
}

/**
 * Why a peer cannot run here (a missing Python module or program), or undefined when it can.
 * The benchmark prints the reason and leaves the peer's rows out.
 */
export async function missing(peer: PeerName): Promise<string | undefined> {
  const modules = peer === 'flask' ? ['torch', 'onnx', 'flask', 'gunicorn'] : ['torch', 'onnx', 'numpy', 'grpc', 'grpc_tools'];
  const debian: Record<string, string> = { torch: 'python3-torch', onnx: 'python3-onnx', flask: 'python3-flask', gunicorn: 'gunicorn', numpy: 'python3-numpy', grpc: 'python3-grpcio', grpc_tools: 'python3-grpc-tools' };
  for (const m of modules) {
    try {
      await run(PYTHON, ['-c', `import ${m}`]);
    } catch {
      return `${PYTHON} cannot import ${m} (Debian package ${debian[m]})`;
    }
  }
  return undefined;
}

/** Writes `out` (TorchScript) from the ONNX file mlmesh serves; returns the exporter's JSON line. */
export async function exportTorchScript(onnxPath: string, out: string): Promise<Record<string, unknown>> {
  const line = await run(PYTHON, [join(HERE, 'export_torchscript.py'), onnxPath, out]);
  return JSON.parse(line.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

/** Compiles protos/inference/grpc_service.proto (and model_config.proto, which it imports) for Python into a new temporary folder (its path: the PYTHONPATH). */
export async function compileProtos(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-peer-protos-'));
  await run(PYTHON, ['-m', 'grpc_tools.protoc', '-I', join(projectRoot(), 'protos'), `--python_out=${dir}`, `--grpc_python_out=${dir}`, join(projectRoot(), 'protos/inference/grpc_service.proto'), join(projectRoot(), 'protos/inference/model_config.proto')]);
  return dir;
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
}

/** gunicorn -w `workers` with the Flask app over `modelPt`; resolves once /health answers. */
export async function startFlask(modelPt: string, name: string, workers: number): Promise<Peer> {
  const port = await freePort();
  const args = ['-m', 'gunicorn', '-w', String(workers), '-b', `127.0.0.1:${port}`, '--chdir', HERE, '--log-level', 'warning', 'flask_app:app'];
  const proc = spawn(PYTHON, args, { env: { ...process.env, MLMESH_PEER_MODEL: modelPt, MLMESH_PEER_MODEL_NAME: name }, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = stopper(proc);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gunicorn exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('gunicorn did not answer /health within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, setup: { server: 'gunicorn (sync workers) + Flask', workers, command: `gunicorn ${args.slice(2).join(' ')}` }, stop };
}

/** grpc_server.py: `processes` processes on one SO_REUSEPORT port, `threads` each; resolves once all serve. */
export async function startGrpcio(modelPt: string, name: string, pythonPath: string, processes: number, threads: number): Promise<Peer> {
  const args = [join(HERE, 'grpc_server.py'), '--model', modelPt, '--name', name, '--processes', String(processes), '--threads', String(threads)];
  const proc = spawn(PYTHON, args, { env: { ...process.env, PYTHONPATH: pythonPath }, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = stopper(proc);
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const m = /\{"port": (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`grpc_server.py exited with ${code}`)));
  });
  return { port, setup: { server: 'grpcio, SO_REUSEPORT', processes, threadsPerProcess: threads, command: `python3 bench/peers/grpc_server.py ${args.slice(1).join(' ')}` }, stop };
}

/**
 * The largest |difference| between a peer's probabilities and onnxruntime-node's on `rows`
 * random rows (values rounded to float32 first, so both see the same inputs).
 */
export async function parity(peer: PeerName, port: number, name: string, onnxPath: string, rows = 5): Promise<number> {
  const x = Float32Array.from({ length: rows * 64 }, () => Math.random());
  const session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 1 });
  const expected = (await session.run({ input: new ort.Tensor('float32', x, [rows, 64]) }))['probabilities']?.data as Float32Array;
  await session.release();
  let got: Float32Array;
  if (peer === 'flask') {
    const instances = Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * 64, r * 64 + 64)));
    const res = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });
    if (!res.ok) throw new Error(`flask peer: HTTP ${res.status} ${await res.text()}`);
    got = Float32Array.from(((await res.json()) as { predictions: number[][] }).predictions.flat());
  } else {
    const client = new InferenceClient(`127.0.0.1:${port}`);
    try {
      const res = await client.infer({ model_name: name, inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64] }], raw_input_contents: [Buffer.from(x.buffer)] }, { deadlineMs: 10_000 });
      const raw = res.raw_output_contents[0] as Buffer;
      got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    } finally {
      client.close();
    }
  }
  if (got.length !== expected.length) throw new Error(`${peer} peer answered ${got.length} values, onnxruntime ${expected.length}`);
  let max = 0;
  for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs((got[i] as number) - (expected[i] as number)));
  return max;
}

/** The body of a single-row `POST /predict` (64 floats in [0, 1)). */
export function flaskBody(): string {
  return JSON.stringify({ instances: [Array.from({ length: 64 }, () => Math.fround(Math.random()))] });
}

/** One h2load --h1 run of exactly `requests` POSTs, with its per-request log. */
async function h1Run(port: number, data: string, log: string, concurrency: number, requests: number, timeoutMs: number): Promise<{ stdout: string; lines: string[] }> {
  const stdout = await run('h2load', ['--h1', '-c', String(concurrency), '-m', '1', '-n', String(requests), '-d', data, '-H', 'content-type: application/json', '--log-file', log, `http://127.0.0.1:${port}/predict`], process.env, timeoutMs);
  const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
  await rm(log, { force: true });
  return { stdout, lines };
}

/**
 * h2load over HTTP/1.1 (`--h1`): `concurrency` connections, one request in flight on each,
 * POSTing `body` to `/predict`. gunicorn's sync workers close the connection after each answer;
 * h2load reconnects, as a client (or nginx in front) of such a server does. h2load 1.52 does
 * not finish a timed run (`-D`) with `--log-file` when the server closes connections, so this
 * runs a request count instead: a pilot of 1000 requests (also the warm-up) gives the rate, and
 * the measured run sends rate × `durationS` requests.
 */
export async function runH1Load(port: number, body: string, concurrency: number, durationS: number): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-h1load-'));
  try {
    const data = join(dir, 'body.json');
    const log = join(dir, 'requests.log');
    await writeFile(data, body);
    const timeoutMs = (durationS * 10 + 60) * 1000;
    const elapsed = (stdout: string, fallback: number) => {
      const m = /finished in ([\d.]+)(m?s)/.exec(stdout);
      return m ? Number(m[1]) / (m[2] === 'ms' ? 1000 : 1) : fallback;
    };
    const pilot = await h1Run(port, data, log, concurrency, 1000, timeoutMs);
    const requests = Math.max(concurrency, Math.round((1000 / elapsed(pilot.stdout, 1)) * durationS));
    const { stdout, lines } = await h1Run(port, data, log, concurrency, requests, timeoutMs);
    const lat = new Float64Array(lines.length);
    const errors: Record<string, number> = {};
    let ok = 0;
    lines.forEach((l, i) => {
      const [, status, us] = l.split('\t');
      lat[i] = Number(us);
      if (status === '200') ok++;
      else errors[`HTTP_${status}`] = (errors[`HTTP_${status}`] ?? 0) + 1;
    });
    const elapsedS = elapsed(stdout, durationS);
    const failed = /requests: .* (\d+) failed, (\d+) errored/.exec(stdout);
    if (failed && Number(failed[2]) > 0) errors['TRANSPORT'] = Number(failed[2]);
    return { engine: 'h2load', target: `127.0.0.1:${port}`, model: 'flask', rowsPerRequest: 1, concurrency, rate: null, durationS: elapsedS, requests: lines.length, ok, errors, throughput: ok / elapsedS, rowsPerS: ok / elapsedS, latencyMs: summarize(lat) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
