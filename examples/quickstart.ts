/**
 * Quick start: starts the inference service on the example model repository (as its own
 * process, exactly as `npm start` does), waits until it is ready, sends five held-out digits to
 * `digits_mlp` through gRPC with mlmesh/client (Open Inference Protocol, a Float32Array in and
 * out) and prints what the
 * model says. The service then keeps running until Ctrl-C, unless `--exit` is given.
 *
 *   npm run demo                 # ports 8001 (gRPC) and 8002 (HTTP metrics/health)
 *   npm run demo -- --exit       # print and stop
 *   npm run demo -- --port 0     # any free ports (the chosen one is printed)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { projectRoot } from '../shared/config/index.js';
import { readNpy } from '../shared/tensors/index.js';
import { InferInput, InferenceClient } from '../shared/client/index.js';

const { values } = parseArgs({
  options: {
    exit: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env['MLMESH_INFERENCE_GRPC_PORT'] ?? '8001' },
    'http-port': { type: 'string', default: process.env['MLMESH_INFERENCE_HTTP_PORT'] ?? '8002' },
    rows: { type: 'string', default: '5' },
  },
});

const root = projectRoot();
const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/services/inference/main.js')], {
  cwd: root,
  env: {
    ...process.env,
    MLMESH_INFERENCE_GRPC_PORT: values.port,
    MLMESH_INFERENCE_HTTP_PORT: values['http-port'],
    MLMESH_INFERENCE_MODEL_REPOSITORY: process.env['MLMESH_INFERENCE_MODEL_REPOSITORY'] ?? join(root, 'examples/models'),
    MLMESH_LOG_LEVEL: process.env['MLMESH_LOG_LEVEL'] ?? 'info',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});

// The service logs JSON; learn its bound port from the "gRPC server listening" line.
const port = await new Promise<number>((resolve, reject) => {
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!values.exit || process.env['MLMESH_LOG_LEVEL']) process.stdout.write(`  [inference] ${line}\n`);
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'gRPC server listening' && typeof rec.port === 'number') resolve(rec.port);
      } catch {
        // Not JSON (should not happen): shown above, otherwise ignored.
      }
    }
  });
  child.once('exit', (code) => reject(new Error(`the inference service exited with code ${code} before listening`)));
});

const client = new InferenceClient(`127.0.0.1:${port}`);
const started = Date.now();
while (!(await client.serverReady({ timeoutMs: 1000 }).catch(() => ({ ready: false }))).ready) {
  if (Date.now() - started > 60_000) throw new Error('the inference service did not become ready within 60 s');
  await sleep(100);
}

const rows = Number(values.rows);
const inputs = readNpy(join(root, 'test/fixtures/parity/digits_mlp/inputs.npy'));
const labels = readNpy(join(root, 'test/fixtures/parity/digits_mlp/labels.npy'));
const features = inputs.shape[1] as number;
const pixels = new Float32Array(inputs.data.buffer, inputs.data.byteOffset, rows * features);
const result = await client.infer('digits_mlp', [InferInput.from('input', pixels, [rows, features])], { timeoutMs: 10_000, id: 'quickstart-1' });
const probs = result.asArray<Float32Array>('probabilities');
const truth = new BigInt64Array(labels.data.buffer);
const meta = await client.modelMetadata({ name: 'digits_mlp' });
console.log(`\nmlmesh inference service on 127.0.0.1:${port} (model ${result.modelName}, version ${result.modelVersion}, request id ${result.id})`);
console.log(`input ${meta.inputs.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join(', ')} -> output ${meta.outputs.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join(', ')}`);
for (let r = 0; r < rows; r++) {
  const p = Array.from(probs.subarray(r * 10, r * 10 + 10));
  const best = p.indexOf(Math.max(...p));
  console.log(`  held-out digit #${r}: predicted ${best} (p=${(p[best] as number).toFixed(4)}), true label ${truth[r]}`);
}
client.close();

if (values.exit) {
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  console.log(`\nservice drained and exited with code ${code}`);
  process.exitCode = code ?? 1;
} else {
  console.log(`\nThe service keeps running: gRPC 127.0.0.1:${port}, metrics http://127.0.0.1:${values['http-port']}/metrics. Ctrl-C to stop it.`);
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.once('exit', (code) => {
    process.exitCode = code ?? 0;
  });
}
