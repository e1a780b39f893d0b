/**
 * examples/python: the documented grpc_tools command generates the stubs, and mesh_job.py makes
 * a predict call and a feature read against real services, and reads a refused call's field
 * violations from grpc-status-details-bin with the googleapis messages. Runs where the Debian
 * Python (/usr/bin/python3, or MLMESH_PYTHON) has grpcio, grpc_tools and numpy; skipped with the
 * reason printed where it has not.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import anyTest from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { FeaturesClient } from '../../shared/client/index.js';
import { freshLocation, startFeatures } from '../helpers/features.js';
import { startInference } from '../helpers/inference.js';

const run = promisify(execFile);
const root = projectRoot();
const PYTHON = process.env['MLMESH_PYTHON'] ?? '/usr/bin/python3';

/** Why the test cannot run here, or undefined. */
function missing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools.protoc, numpy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} lacks grpcio, grpc_tools or numpy (${probe.stderr.trim().split('\n').at(-1)}); apt-get install python3-grpcio python3-grpc-tools python3-numpy`;
  return undefined;
}

const reason = missing();
if (reason) console.log(`python example test skipped: ${reason}`);
const test = reason ? anyTest.skip : anyTest;

/** The command documented in examples/python/README.md, with the output folder given. */
const PROTOC = ['-m', 'grpc_tools.protoc', '-I', 'protos', '--python_out=examples/python/gen', '--grpc_python_out=examples/python/gen', 'inference/grpc_service.proto', 'inference/model_config.proto', 'mlmesh/features/v1/features.proto', 'google/rpc/status.proto', 'google/rpc/error_details.proto'];

test('python example - stubs from the documented command; a predict call, a feature read and a refusal’s field violations', async (t) => {
  t.timeout(120_000);
  const readme = readFileSync(join(root, 'examples/python/README.md'), 'utf8');
  t.true(readme.includes(`python3 ${PROTOC.join(' ')}`), 'the README documents the command the test runs');

  const gen = await mkdtemp(join(tmpdir(), 'mlmesh-pystubs-'));
  const loc = await freshLocation('sqlite');
  const inference = await startInference({ models: ['digits_mlp'] });
  const features = await startFeatures(loc);
  try {
    await run(PYTHON, PROTOC.map((a) => a.replace('examples/python/gen', gen)), { cwd: root });

    using fc = new FeaturesClient(features.service.address);
    await fc.registerFeature({ definition: { name: 'clicks_1h', version: 1, entity: 'user', value_type: 'INT64', source: { push: {} } } });
    await fc.registerFeature({ definition: { name: 'embedding', version: 1, entity: 'user', value_type: 'FLOAT_VECTOR', source: { push: {} } } });
    await fc.writeFeatures({
      writes: [
        { feature: 'clicks_1h@1', entity_id: 'u1', event_time_ms: 1_000, value: { int64_value: 12 } },
        { feature: 'embedding@1', entity_id: 'u1', event_time_ms: 1_000, value: { float_vector_value: { values: [0.5, -1.25] } } },
      ],
    });

    const pixels = readNpy(join(root, 'test/fixtures/parity/digits_mlp/inputs.npy'));
    const want = readNpy(join(root, 'test/fixtures/parity/digits_mlp/outputs.npy'));
    const row = Array.from(new Float32Array(pixels.data.buffer, pixels.data.byteOffset, 64));
    const args = ['examples/python/mesh_job.py', '--inference', inference.service.address, '--model', 'digits_mlp', '--input', 'input', '--pixels', JSON.stringify(row), '--features', features.service.address, '--feature-refs', 'clicks_1h@1,embedding@1', '--entities', 'u1,u2'];
    const { stdout } = await run(PYTHON, args, { cwd: root, env: { ...process.env, PYTHONPATH: gen } });
    const out = JSON.parse(stdout) as {
      model_version: string;
      outputs: Record<string, { shape: number[]; dtype: string; values: number[] }>;
      features: Record<string, unknown[]>;
      refused: { status: string; details: { code: number; field_violations: { field: string }[]; reason: string } };
    };
    t.is(out.model_version, '1');
    const probs = out.outputs['probabilities'];
    t.deepEqual(probs?.shape, [1, 10]);
    t.is(probs?.dtype, 'float32');
    const expected = new Float32Array(want.data.buffer, want.data.byteOffset, 10);
    t.true(probs?.values.every((p, i) => Math.abs(p - (expected[i] as number)) < 1e-5), 'PyTorch’s probabilities');
    t.deepEqual(out.features, { 'clicks_1h@1': [12, null], 'embedding@1': [[0.5, -1.25], null] });
    t.is(out.refused.status, 'INVALID_ARGUMENT');
    t.is(out.refused.details.code, 3);
    t.deepEqual(out.refused.details.field_violations.map((v) => v.field), ['input']);
    t.is(out.refused.details.reason, 'INVALID_ARGUMENT');
  } finally {
    await Promise.all([inference.stop(), features.stop()]);
    await loc.cleanup();
    await rm(gen, { recursive: true, force: true });
  }
});
