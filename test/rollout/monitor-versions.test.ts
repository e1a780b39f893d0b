/**
 * During a rollout the monitor keeps the candidate's windows apart from the baseline's: it keys
 * windows by model and version, so routed prediction logs of version 2 (route "weights", a
 * route revision) fill version 2's window and its DriftReports say version 2 — what the rollout's
 * drift criterion reads (DriftReport.version == candidate).
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeDriftReport, encodePredictionLog } from '../../shared/events/index.js';
import type { StreamMessage } from '../../services/monitor/engine.js';
import { isDrift, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

function routed(seq: number, version: string, row: number[]): StreamMessage {
  return {
    seq,
    timeMs: 1_000_000,
    data: encodePredictionLog({
      meta: { event_id: `e${seq}`, time_unix_ms: 1_000_000 },
      request_id: `r${seq}`,
      model: 'm',
      version,
      route: 'weights',
      route_revision: 7,
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', '2'], raw: Buffer.from(Float32Array.from(row).buffer) }],
      outputs: [],
    }),
  };
}

test('monitor versions - routed logs of a candidate fill its own window and its reports carry its version', async (t) => {
  const { engine, published } = await setup(t.context, { window_rows: 10 }, { config: { windowRows: 10 } });
  const batch: StreamMessage[] = [];
  // 90% baseline, 10% candidate, interleaved as a canary split sends them.
  for (let i = 0; i < 200; i++) batch.push(routed(i + 1, i % 10 === 0 ? '2' : '1', [Math.sin(i), Math.cos(i)]));
  await engine.applyPredictions(batch);
  const reports = published.filter(isDrift).map((p) => decodeDriftReport(p.data));
  const byVersion = (v: string) => reports.filter((r) => r.version === v);
  t.is(byVersion('2').length, 2, 'the candidate’s 20 rows make its own two windows of 10');
  t.is(byVersion('1').length, 18);
  t.true(byVersion('2').every((r) => Number(r.rows) === 10 && r.model === 'm'));
  t.true(published.filter(isDrift).filter((p) => decodeDriftReport(p.data).version === '2').every((p) => p.subject === 'mlmesh.events.drift.m'));
});
