import { readFileSync } from 'node:fs';
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
  t.deepEqual(Object.keys(svc.methods).sort(), ['GetLabelQueue', 'GetQuality', 'GetReport', 'GetSegments', 'GetStatus', 'ListReports', 'ReplaceReference', 'TwoSampleTest', 'WatchReports']);
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
  const alert = r.lookupType('mlmesh.events.v1.QualityAlert');
  t.is(alert.fields['alert_id']?.id, 2);
  t.is(alert.fields['window_index']?.type, 'int64');
  t.is(r.lookupType('mlmesh.monitor.v1.GetQualityResponse').fields['alerts']?.type, 'mlmesh.events.v1.QualityAlert');
  t.is(r.lookupType('mlmesh.monitor.v1.GetReportResponse').fields['segments']?.type, 'GetSegmentsResponse');
  t.is(r.lookupType('mlmesh.monitor.v1.WindowPerformance').fields['ci_high']?.id, 8);
});

test('readme - the monitor options table is the one the code describes (npm run docs:config)', (t) => {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  for (const row of describeOptions(MONITOR_OPTIONS).split('\n').slice(2)) {
    t.true(readme.includes(row), `README.md lacks or misstates: ${row}`);
  }
});

// The compose file's services (monitor, preprocess, features…): test/mesh/compose.test.ts.
