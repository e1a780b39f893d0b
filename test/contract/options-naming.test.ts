/**
 * One naming scheme for every service's variables: `MLMESH_<SERVICE>_<OPTION>`, plus the short
 * mesh-wide list (NATS_URL, MLMESH_LOG_LEVEL, MLMESH_CONFIG, and the fallbacks of the TLS,
 * authorization and NATS credential options). Former names stay readable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { MESH_ENV, serviceEnvName } from '../../shared/config/index.js';
import type { OptionSpecs } from '../../shared/config/index.js';
import { INFERENCE_OPTIONS } from '../../services/inference/index.js';
import { PREPROCESS_OPTIONS } from '../../services/preprocess/index.js';
import { FEATURES_OPTIONS } from '../../services/features/index.js';
import { MONITOR_OPTIONS, MonitorService } from '../../services/monitor/index.js';
import { copyRepository } from '../helpers/inference.js';
import { capturingLogger } from '../helpers/logs.js';

const SERVICES: Record<string, OptionSpecs> = { inference: INFERENCE_OPTIONS, preprocess: PREPROCESS_OPTIONS, features: FEATURES_OPTIONS, monitor: MONITOR_OPTIONS };

test('options - every option is MLMESH_<SERVICE>_<OPTION>, except natsUrl (NATS_URL); logLevel falls back to MLMESH_LOG_LEVEL, the tls*, auth* and nats* options to MLMESH_TLS_*/MLMESH_AUTH_*/MLMESH_NATS_*', (t) => {
  for (const [service, specs] of Object.entries(SERVICES)) {
    for (const [name, spec] of Object.entries(specs)) {
      const expected = name === 'natsUrl' ? MESH_ENV.natsUrl : serviceEnvName(service, name);
      t.is(spec.env, expected, `${service}.${name}`);
      // logLevel and the TLS, authorization and NATS credential options (docs/security.md) fall back to one mesh-wide variable each.
      const meshWide = (MESH_ENV as Record<string, string>)[name];
      if (name === 'logLevel' || /^(tls|auth|nats)[A-Z]/.test(name) && name !== 'natsUrl') t.is(spec.fallbackEnv, meshWide, `${service}.${name} falls back to its mesh-wide variable`);
      else t.is(spec.fallbackEnv, undefined, `${service}.${name} has no mesh-wide fallback`);
    }
    for (const common of ['host', 'grpcPort', 'httpPort', 'maxMessageBytes', 'drainDelayMs', 'shutdownGraceMs', 'logLevel']) t.truthy(specs[common], `${service} has ${common}`);
  }
});

test('options - a former name never shadows a current one: it is nobody’s variable now', (t) => {
  const current = new Set(Object.values(SERVICES).flatMap((specs) => Object.values(specs).flatMap((s) => [s.env, ...(s.fallbackEnv ? [s.fallbackEnv] : [])])));
  current.add(MESH_ENV.config);
  const former = Object.values(SERVICES).flatMap((specs) => Object.values(specs).flatMap((s) => s.deprecatedEnv ?? []));
  t.true(former.length >= 20, 'the inference and monitor renames are listed');
  for (const name of former) t.false(current.has(name), name);
});

test('options - the monitor reads its former names (MLMESH_MODEL_REPOSITORY, MLMESH_MONITOR_DURABLE, MLMESH_MONITOR_FEEDBACK_ROWS) with a warning each', async (t) => {
  const repo = await copyRepository(['digits_mlp']);
  const state = await mkdtemp(join(tmpdir(), 'mlmesh-monitor-names-'));
  const { logger, lines } = capturingLogger('warn');
  // NATS on a port nobody listens on: the monitor starts anyway (it connects in the background).
  const svc = await MonitorService.create({
    env: { MLMESH_MODEL_REPOSITORY: repo, MLMESH_MONITOR_DURABLE: 'old-durable', MLMESH_MONITOR_FEEDBACK_ROWS: '10', NATS_URL: 'nats://127.0.0.1:1' },
    overrides: { grpcPort: 0, httpPort: -1, stateDir: state },
    logger,
  });
  try {
    t.is(svc.config.modelRepository, repo);
    t.is(svc.config.durableName, 'old-durable');
    t.is(svc.config.feedbackRetentionRows, 10);
    t.deepEqual(
      lines.filter((l) => typeof l['variable'] === 'string').map((l) => `${String(l['variable'])} -> ${String(l['replacement'])}`).sort(),
      ['MLMESH_MODEL_REPOSITORY -> MLMESH_MONITOR_MODEL_REPOSITORY', 'MLMESH_MONITOR_DURABLE -> MLMESH_MONITOR_DURABLE_NAME', 'MLMESH_MONITOR_FEEDBACK_ROWS -> MLMESH_MONITOR_FEEDBACK_RETENTION_ROWS'],
    );
  } finally {
    await svc.drain();
    await rm(repo, { recursive: true, force: true });
    await rm(state, { recursive: true, force: true });
  }
});
