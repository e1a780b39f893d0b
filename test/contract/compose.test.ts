import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { projectRoot } from '../../shared/config/index.js';
import { INFERENCE_OPTIONS } from '../../services/inference/index.js';

// No Docker engine runs here: these checks keep the compose file and image true to the code.
interface Compose {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[] }>;
}
const compose = parse(readFileSync(join(projectRoot(), 'docker-compose.yml'), 'utf8')) as Compose;

test('compose - every MLMESH_* (and NATS_URL) variable given to the inference service is a documented option, with a valid value', (t) => {
  const inference = compose.services['inference'];
  t.truthy(inference);
  // A service's own variable or the mesh-wide one it falls back to; never a former name.
  const known = new Map(Object.entries(INFERENCE_OPTIONS).flatMap(([name, spec]) => [[spec.env, { name, spec }], ...(spec.fallbackEnv ? [[spec.fallbackEnv, { name, spec }] as const] : [])]));
  for (const [key, value] of Object.entries(inference?.environment ?? {})) {
    if (!key.startsWith('MLMESH_') && key !== 'NATS_URL') continue;
    const opt = known.get(key);
    t.truthy(opt, `${key} is not an inference option`);
    t.notThrows(() => opt?.spec.parse(String(value), key), key);
  }
});

test('compose - the inference command runs a script the build produces, and the ports match its options', (t) => {
  const inference = compose.services['inference'];
  const script = inference?.command?.find((a) => a.endsWith('.js'));
  t.truthy(script);
  t.true(existsSync(join(projectRoot(), script as string)), `${script} exists after npm run build`);
  const env = inference?.environment ?? {};
  t.true(inference?.ports?.includes(`${env['MLMESH_INFERENCE_GRPC_PORT']}:${env['MLMESH_INFERENCE_GRPC_PORT']}`));
  t.true(inference?.ports?.includes(`${env['MLMESH_INFERENCE_HTTP_PORT']}:${env['MLMESH_INFERENCE_HTTP_PORT']}`));
  t.truthy(compose.services['nats'], 'NATS JetStream is part of the mesh');
  const dockerfile = readFileSync(join(projectRoot(), 'Dockerfile'), 'utf8');
  t.true(dockerfile.includes(script as string), 'the image runs the same entry point');
});
