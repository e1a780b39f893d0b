import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import test from 'ava';
import protobuf from 'protobufjs';
import { describeOptions, projectRoot } from '../../shared/config/index.js';
import { MONITOR_OPTIONS } from '../../services/monitor/index.js';

test('contract - mlmesh.monitor.v1.MonitorService RPCs and the event messages it publishes', (t) => {
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => (target.startsWith('mlmesh/') ? join(projectRoot(), 'protos', target) : target);
  r.loadSync('mlmesh/monitor/v1/monitor.proto', { keepCase: true });
  const svc = r.lookupService('mlmesh.monitor.v1.MonitorService');
  t.deepEqual(Object.keys(svc.methods).sort(), ['GetReport', 'GetStatus', 'ListReports', 'ReplaceReference', 'TwoSampleTest', 'WatchReports']);
  t.true(svc.methods['WatchReports']?.responseStream);
  t.is(svc.methods['WatchReports']?.responseType, 'mlmesh.events.v1.DriftReport');
  const report = r.lookupType('mlmesh.events.v1.DriftReport');
  t.is(report.fields['report_id']?.id, 2);
  t.is(report.fields['first_sequence']?.type, 'uint64');
  t.is(report.fields['detectors']?.repeated, true);
  const retrain = r.lookupType('mlmesh.events.v1.RetrainRequest');
  t.is(retrain.fields['report']?.type, 'DriftReport');
  t.is(retrain.fields['last_sequence']?.id, 8);
  t.is(retrain.fields['first_row']?.type, 'uint32');
  t.is(report.fields['last_row']?.type, 'uint32');
  const feedback = r.lookupType('mlmesh.events.v1.Feedback');
  t.true(feedback.fields['labels']?.repeated);
  t.is(feedback.fields['row']?.type, 'int32');
  t.is(r.lookupType('mlmesh.monitor.v1.ListReportsResponse').fields['performance']?.type, 'WindowPerformance');
});

test('readme - the monitor options table is the one the code describes (npm run docs:config)', (t) => {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  for (const row of describeOptions(MONITOR_OPTIONS).split('\n').slice(2)) {
    t.true(readme.includes(row), `README.md lacks or misstates: ${row}`);
  }
});

test('compose - the monitor service runs its entry point with documented options and matching ports', (t) => {
  const compose = parse(readFileSync(join(projectRoot(), 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[] }>;
  };
  const monitor = compose.services['monitor'];
  t.truthy(monitor);
  const script = monitor?.command?.find((a) => a.endsWith('.js'));
  t.true(existsSync(join(projectRoot(), script as string)), `${script} exists after npm run build`);
  // A service's own variable or the mesh-wide one it falls back to; never a former name.
  const known = new Map(Object.values(MONITOR_OPTIONS).flatMap((spec) => [[spec.env, spec], ...(spec.fallbackEnv ? [[spec.fallbackEnv, spec] as const] : [])]));
  for (const [key, value] of Object.entries(monitor?.environment ?? {})) {
    const spec = known.get(key);
    t.truthy(spec, `${key} is not a monitor option`);
    t.notThrows(() => spec?.parse(String(value), key), key);
  }
  const env = monitor?.environment ?? {};
  t.true(monitor?.ports?.includes(`${env['MLMESH_MONITOR_GRPC_PORT']}:${env['MLMESH_MONITOR_GRPC_PORT']}`));
  t.true(monitor?.ports?.includes(`${env['MLMESH_MONITOR_HTTP_PORT']}:${env['MLMESH_MONITOR_HTTP_PORT']}`));
});

test('compose - the preprocess and features services run their entry points with documented options and matching ports', async (t) => {
  const { PREPROCESS_OPTIONS } = await import('../../services/preprocess/index.js');
  const { FEATURES_OPTIONS } = await import('../../services/features/index.js');
  const compose = parse(readFileSync(join(projectRoot(), 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[] }>;
  };
  for (const [name, options, prefix] of [['preprocess', PREPROCESS_OPTIONS, 'MLMESH_PREPROCESS'], ['features', FEATURES_OPTIONS, 'MLMESH_FEATURES']] as const) {
    const svc = compose.services[name];
    t.truthy(svc, name);
    const script = svc?.command?.find((a) => a.endsWith('.js'));
    t.true(existsSync(join(projectRoot(), script as string)), `${script} exists after npm run build`);
    const known = new Map(Object.values(options as Record<string, { env: string; parse: (raw: unknown, label: string) => unknown }>).map((spec) => [spec.env, spec]));
    for (const [key, value] of Object.entries(svc?.environment ?? {})) {
      const spec = known.get(key);
      t.truthy(spec, `${key} is not a ${name} option`);
      t.notThrows(() => spec?.parse(String(value), key), key);
    }
    const env = svc?.environment ?? {};
    t.true(svc?.ports?.includes(`${env[`${prefix}_GRPC_PORT`]}:${env[`${prefix}_GRPC_PORT`]}`));
    t.true(svc?.ports?.includes(`${env[`${prefix}_HTTP_PORT`]}:${env[`${prefix}_HTTP_PORT`]}`));
  }
});
