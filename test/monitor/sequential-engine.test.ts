/**
 * The sequential detector wired into the engine (sequential-detector.ts): each closed window's
 * family-wise p-value feeds a CUSUM whose threshold is set for a configured expected run time
 * (ERT) between false alarms. On clean windows (uniform p-values) the alarms, and so the
 * RetrainRequests with retrain_trigger "cusum", come at about one per ERT windows; a drift is
 * caught within a few windows and its request covers the CUSUM's run; a crash between the
 * report and the window file restores the same CUSUM state; bad settings are refused by name.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeDriftReport, decodeRetrainRequest } from '../../shared/events/index.js';
import type { DetectorResult, DriftReport__Output, RetrainRequest__Output } from '../../shared/events/index.js';
import type { DetectorRunner, StreamMessage } from '../../services/monitor/engine.js';
import { familyDecision } from '../../services/monitor/detectors.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import { cusumH } from '../../services/monitor/sequential-detector.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { isDrift, isRetrain, msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx, Published } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

/** A detector run whose p-value for window i is `pOf(i)` (the window index is in the seed "m/1/<i>"). */
function scripted(pOf: (index: number) => number): DetectorRunner {
  return async (_ref, _win, s) => {
    const index = Number(s.seed.split('/').pop());
    const p = pOf(index);
    const r: DetectorResult = { detector: 'ks', statistic_name: 'scripted', statistic: 0, p_value: p, has_p_value: true, drifted: p < s.alpha, correction: 'none', features: [], details: {}, skipped_reason: '' };
    return familyDecision([r], s);
  };
}

/** Windows of 2 rows, one 1-row log per message: window k is sequences 2k+1 and 2k+2. */
function windows(from: number, count: number): StreamMessage[] {
  return Array.from({ length: count * 2 }, (_, i) => msg(from * 2 + i + 1, [[i, i]]));
}

const retrains = (published: Published[]): RetrainRequest__Output[] => published.filter(isRetrain).map((p) => decodeRetrainRequest(p.data));
const reports = (published: Published[]): DriftReport__Output[] => [...new Map(published.filter(isDrift).map((p) => decodeDriftReport(p.data)).map((r) => [r.report_id, r])).values()];
const cusumOf = (r: DriftReport__Output) => r.detectors.find((d) => d.detector === 'cusum');

/** Uniform p-values, seeded per window (the same for a window whenever it is tested). */
const uniform = (seed: number) => (i: number): number => 1 - seededRandom(seed * 100_003 + i)();

test('sequential engine - on 1,000 clean windows with ERT 50 the CUSUM alarms about 20 times (calibration), and each alarm is one RetrainRequest', async (t) => {
  const { engine, published } = await setup(t.context, { window_rows: 2, window_seconds: 0, detectors: ['ks'], detector_correction: 'holm', cusum_ert_windows: 50, retrain_trigger: 'cusum', cooldown_seconds: 0 }, { detect: scripted(uniform(7)) });
  for (let w = 0; w < 1000; w += 100) await engine.applyPredictions(windows(w, 100));
  const rs = reports(published);
  t.is(rs.length, 1000);
  const alarms = rs.filter((r) => cusumOf(r)?.drifted).length;
  const drifted = rs.filter((r) => r.drifted).length;
  t.log(`1,000 clean windows: ${alarms} CUSUM alarms (expected about 1000 / 50 = 20), ${drifted} windows drifted at alpha 0.05, h = ${cusumH(50, 0.5).toFixed(3)}`);
  // Run lengths are roughly geometric with mean 50: 20 alarms ± about 4.5 (one sd).
  t.true(alarms >= 9 && alarms <= 32, `${alarms} alarms`);
  t.is(retrains(published).length, alarms, 'one request per alarm (no cooldown)');
  t.true(retrains(published).every((r) => /sequential detector alarm: CUSUM S/.test(r.reason)));
  // The CUSUM never changes the window's own decision.
  t.true(drifted >= 30 && drifted <= 75, `${drifted} windows drifted at alpha 0.05 (expected about 50)`);
});

test('sequential engine - a drift (p = 0.01 per window) alarms within 4 windows; its RetrainRequest covers the CUSUM run, not the whole history', async (t) => {
  const shiftAt = 30;
  const pOf = (i: number): number => (i < shiftAt ? uniform(11)(i) : 0.01);
  const { engine, published } = await setup(t.context, { window_rows: 2, window_seconds: 0, detectors: ['ks'], cusum_ert_windows: 200, retrain_trigger: 'cusum', cooldown_seconds: 0 }, { detect: scripted(pOf) });
  await engine.applyPredictions(windows(0, shiftAt + 10));
  const rs = reports(published);
  const firstAlarm = rs.findIndex((r) => cusumOf(r)?.drifted);
  t.log(`h = ${cusumH(200, 0.5).toFixed(3)}; first alarm at window ${firstAlarm} (shift at ${shiftAt})`);
  t.true(firstAlarm >= shiftAt && firstAlarm < shiftAt + 4, `first alarm at window ${firstAlarm}`);
  const req = retrains(published)[0] as RetrainRequest__Output;
  const c = cusumOf(rs[firstAlarm] as DriftReport__Output);
  const runStart = Number(c?.details['run_start']);
  t.true(runStart <= shiftAt && runStart >= 0);
  t.is(req.drifted_report_ids[0], `m/1/${runStart}`, 'from the run start');
  t.is(req.drifted_report_ids[req.drifted_report_ids.length - 1], `m/1/${firstAlarm}`);
  t.is(req.first_sequence, String(runStart * 2 + 1));
  // After an alarm S restarts at 0 and climbs again.
  t.true((cusumOf(rs[firstAlarm + 1] as DriftReport__Output)?.statistic ?? 0) < (c?.statistic ?? 0));
});

test('sequential engine - a crash between the report and the window file: the restarted engine resumes the same CUSUM', async (t) => {
  const pOf = (i: number): number => (i % 3 === 0 ? 0.02 : uniform(5)(i));
  const cfg = { window_rows: 2, window_seconds: 0, detectors: ['ks'], cusum_ert_windows: 100 };
  const clean = await setup({ dir: `${t.context.dir}/a`, engines: t.context.engines }, cfg, { detect: scripted(pOf) });
  await clean.engine.applyPredictions(windows(0, 12));
  const expected = reports(clean.published).map((r) => cusumOf(r)?.statistic);

  const crashed = await setup({ dir: `${t.context.dir}/b`, engines: t.context.engines }, cfg, { detect: scripted(pOf) });
  await crashed.engine.applyPredictions(windows(0, 5));
  crashed.store.fail.saveWindow = 1;
  await t.throwsAsync(crashed.engine.applyPredictions(windows(5, 1)), { message: /saveWindow failed/ });
  const again = await crashed.restart();
  await again.applyPredictions(windows(5, 7));
  t.deepEqual(reports(crashed.published).map((r) => cusumOf(r)?.statistic), expected);
  t.true(expected.some((s) => (s ?? 0) > 0), 'the CUSUM moved');
});

test('sequential engine - settings: retrain_trigger "cusum" needs cusum_ert_windows; an ERT of 1 and unknown triggers are refused by name', (t) => {
  const defaults = resolveMonitorConfig({ env: {} });
  t.throws(() => parseMonitoring({ retrain_trigger: 'cusum' }, defaults, 'model m'), { message: /monitoring\.retrain_trigger: "cusum" needs monitoring\.cusum_ert_windows/ });
  t.throws(() => parseMonitoring({ cusum_ert_windows: 1 }, defaults, 'model m'), { message: /monitoring\.cusum_ert_windows: must be 0 \(off\) or at least 2/ });
  t.throws(() => parseMonitoring({ retrain_trigger: 'sometimes', cusum_ert_windows: 50 }, defaults, 'model m'), { message: /monitoring\.retrain_trigger/ });
  t.throws(() => parseMonitoring({ cusum_ert_windows: 50, cusum_k: -1 }, defaults, 'model m'), { message: /monitoring\.cusum_k/ });
  const m = parseMonitoring({ cusum_ert_windows: 50 }, defaults, 'model m');
  t.is(m.retrainTrigger, 'consecutive');
  t.is(m.cusumK, 0.5);
});
