/**
 * Server reflection as grpcurl uses it: descriptors fetched by reflection must load into a
 * strict descriptor pool (protobuf's C++ DescriptorPool, through Debian's python3-protobuf), and
 * a call built from them alone must work. The client is test/helpers/reflection_client.py: it
 * knows nothing of mlmesh's .proto files.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { Code, MlmeshError } from '../../shared/errors/index.js';
import { GrpcServer, loadProtos, serviceDefinition } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { fromF32, startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';

const test = anyTest as TestFn<InferenceFixture>;

const PYTHON = '/usr/bin/python3';
const CLIENT = join(projectRoot(), 'test/helpers/reflection_client.py');

function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} is missing (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} lacks grpc or protobuf (apt-get install python3-grpcio python3-protobuf): ${r.stderr.trim().split('\n').at(-1)}`;
  return undefined;
}

const missing = pythonMissing();
if (missing) console.log(`reflection tests skipped: ${missing}`);
const maybe = missing ? test.skip : test;

interface ClientOutput {
  protobuf: string;
  services?: string[];
  files?: string[];
  response?: Record<string, unknown>;
  error?: string;
  stage?: string;
}

/** Runs the Python client (asynchronously: the server under test lives in this process). */
function reflect(address: string, ...args: string[]): Promise<ClientOutput> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [CLIENT, address, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as ClientOutput);
      } catch {
        reject(new Error(`reflection client failed: ${err?.message ?? ''} ${stderr}`));
      }
    });
  });
}

test.before(async (t) => {
  if (missing) return;
  t.context = await startInference({ models: ['digits_mlp'] });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

maybe('reflection - descriptors load into a strict pool and a ModelInfer call built from them alone works', async (t) => {
  const parity = join(projectRoot(), 'test/fixtures/parity/digits_mlp');
  const input = Array.from(fromF32(readNpy(join(parity, 'inputs.npy')).data).subarray(0, 64));
  const expected = Array.from(fromF32(readNpy(join(parity, 'outputs.npy')).data).subarray(0, 10));
  const request = {
    model_name: 'digits_mlp',
    inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '64'], contents: { fp32_contents: input } }],
    // A map field: the type grpcurl could not build before (ParametersEntry).
    parameters: { binary_data_output: { bool_param: false } },
  };
  const out = await reflect(t.context.service.address, 'call', 'inference.GRPCInferenceService/ModelInfer', JSON.stringify(request));
  t.is(out.error, undefined, `${out.stage}: ${out.error}`);
  t.not(out.protobuf, 'python', 'the pure-Python protobuf does not validate like protoc; the C++ (or upb) one is needed');
  t.true(out.services?.includes('inference.GRPCInferenceService'));
  t.true(out.services?.includes('grpc.health.v1.Health'));
  t.deepEqual(out.files, ['grpc/health/v1/health.proto', 'inference/grpc_service.proto', 'inference/model_config.proto']);
  const outputs = (out.response?.['outputs'] ?? []) as { name: string; shape: string[]; contents: { fp32_contents: number[] } }[];
  t.is(outputs[0]?.name, 'probabilities');
  t.deepEqual(outputs[0]?.shape, ['1', '10']);
  const probs = outputs[0]?.contents.fp32_contents ?? [];
  t.is(probs.length, 10);
  // The same row as PyTorch computed it (test/fixtures/parity): the typed contents came through.
  probs.forEach((p, i) => t.true(Math.abs(p - (expected[i] as number)) < 1e-5, `probability ${i}: ${p} vs ${expected[i]}`));
});

maybe('reflection - every service proto (imports across files included) loads, and health answers from its descriptors', async (t) => {
  // All of mlmesh's service protos in one server: the monitor's imports mlmesh.events.v1, which
  // must come back as a dependency, not be folded into a file that does not import it.
  const pkg = loadProtos(['inference/grpc_service.proto', 'mlmesh/monitor/v1/monitor.proto', 'mlmesh/preprocess/v1/preprocess.proto', 'mlmesh/features/v1/features.proto']);
  const names = ['inference.GRPCInferenceService', 'mlmesh.monitor.v1.MonitorService', 'mlmesh.preprocess.v1.PreprocessService', 'mlmesh.features.v1.FeatureService'];
  const services = names.map((name) => {
    const definition = serviceDefinition(pkg, name);
    const handlers = Object.fromEntries(Object.keys(definition).filter((m) => !definition[m]?.responseStream).map((m) => [m, async () => Promise.reject(new MlmeshError(Code.UNIMPLEMENTED, m))]));
    const streamHandlers = Object.fromEntries(Object.keys(definition).filter((m) => definition[m]?.responseStream).map((m) => [m, async () => Promise.reject(new MlmeshError(Code.UNIMPLEMENTED, m))]));
    return { name, definition, handlers, streamHandlers };
  });
  const server = await GrpcServer.create({
    port: 0,
    services,
    packageDefinition: pkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createRegistry({ service: 'test', processMetrics: false }),
  });
  server.setServing(true);
  try {
    const out = await reflect(`127.0.0.1:${server.port}`, 'call', 'grpc.health.v1.Health/Check', '{"service": "mlmesh.monitor.v1.MonitorService"}');
    t.is(out.error, undefined, `${out.stage}: ${out.error}`);
    for (const n of names) t.true(out.services?.includes(n), `${n} listed`);
    t.true(out.files?.includes('mlmesh/events/v1/events.proto'), out.files?.join(', '));
    t.deepEqual(out.response, { status: 'SERVING' });
  } finally {
    server.close();
  }
});
