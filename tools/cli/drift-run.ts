/** The `drift` commands at work, with the client package's MonitorClient. */
import { connection } from './connection.js';
import { readFile } from 'node:fs/promises';
import { MonitorClient, fromNpy, isRpcError, toMatrix } from '../../shared/client/index.js';
import type { DriftCommon, DriftTestOptions } from './drift.js';
import { CommandError } from './errors.js';
import { printer } from './output.js';

async function withClient<T>(o: DriftCommon, fn: (c: MonitorClient) => Promise<T>): Promise<T> {
  const client = new MonitorClient(o.address, { timeoutMs: o.timeoutMs, longTimeoutMs: o.timeoutMs, ...connection() });
  try {
    return await fn(client);
  } catch (e: unknown) {
    // The service's own words, with its code: "NOT_FOUND: report 'x' …".
    if (isRpcError(e)) throw new CommandError(`monitor at ${o.address}: ${e.message}`, { cause: e });
    throw e;
  } finally {
    client.close();
  }
}

const when = (ms: unknown): string => (Number(ms) > 0 ? new Date(Number(ms)).toISOString() : '-');
const p = (x: unknown): string => (typeof x === 'number' ? (x < 1e-4 ? x.toExponential(2) : x.toFixed(4)) : '-');

interface Detector {
  detector: string;
  p_value: number;
  has_p_value: boolean;
  drifted: boolean;
  statistic_name: string;
  statistic: number;
  skipped_reason: string;
  details?: Record<string, number> | null;
}

/** DRIFT / ok, or for a shown-only entry (mmd_<kernel>: not in the decision) "shown" with its own decision. */
function verdictText(d: Detector): string {
  if (d.details?.['shown_only'] === 1) return d.details['alone_drifted'] === 1 ? 'shown (p < alpha alone, not in the decision)' : 'shown';
  return d.drifted ? 'DRIFT' : 'ok   ';
}

function detectorsText(ds: readonly Detector[]): string {
  return ds.map((d) => `    ${d.detector.padEnd(16)} ${d.skipped_reason ? `skipped: ${d.skipped_reason}` : `${verdictText(d)} p=${d.has_p_value ? p(d.p_value) : '-'} ${d.statistic_name}=${p(d.statistic)}`}`).join('\n');
}

/** A report's segments in one line (none when the model has no segments). */
function segmentLine(seg: { segment_by: string; segments: Array<{ segment: string; flagged: boolean }>; rates?: { p_adjusted: number } | null; accuracy?: { p_adjusted: number } | null } | null | undefined): string[] {
  if (!seg || seg.segment_by === '') return [];
  const flagged = seg.segments.filter((s) => s.flagged).map((s) => s.segment);
  return [`  segments by ${seg.segment_by}: ${seg.segments.length}, rates p ${p(seg.rates?.p_adjusted)}, accuracy p ${p(seg.accuracy?.p_adjusted)}; flagged: ${flagged.length ? flagged.join(', ') : 'none'}`];
}

/** `drift status`. */
export async function status(o: DriftCommon & { model?: string }): Promise<void> {
  const out = printer(o.json);
  await withClient(o, async (c) => {
    const res = await c.getStatus({ model: o.model ?? '' });
    if (res.versions.length === 0) out.note(o.model ? `the monitor has no window of model '${o.model}' yet` : 'the monitor has no model yet');
    for (const v of res.versions) {
      out.record({ ...v }, () => {
        const last = v.last_report;
        return [
          `${v.model}@${v.version}: open window ${String(v.open_window_rows)} rows since ${when(v.open_window_start_ms)}, ${String(v.windows_closed)} closed, drifted ${v.consecutive_drifted} in a row`,
          `  reference ${String(v.reference_rows)} rows ${v.reference_sha256 ? v.reference_sha256.slice(0, 12) : '-'}; feedback ${String(v.feedback_rows)} rows, accuracy ${Number(v.feedback_rows) > 0 ? p(v.accuracy) : '-'}`,
          last ? `  last report ${last.report_id}: ${last.drifted ? 'DRIFT' : 'no drift'} (${String(last.rows)} rows, closed by ${last.close_reason})` : '  no report yet',
        ].join('\n');
      });
    }
  });
}

/** `drift reports`. */
export async function reports(o: DriftCommon & { model: string; version?: string; from?: number; to?: number; limit?: number }): Promise<void> {
  const out = printer(o.json);
  await withClient(o, async (c) => {
    const res = await c.listReports({ model: o.model, version: o.version ?? '', from_ms: o.from ?? 0, to_ms: o.to ?? 0, limit: o.limit ?? 0 });
    const perf = new Map(res.performance.map((x) => [x.report_id, x]));
    for (const r of res.reports) {
      const pf = perf.get(r.report_id);
      out.record({ ...r, performance: pf ?? null }, () => `${r.report_id} ${when(r.window_start_ms)}..${when(r.window_end_ms)} ${String(r.rows)} rows ${r.drifted ? 'DRIFT' : 'ok'} [${r.detectors.map((d) => `${d.detector}${d.drifted ? '!' : ''}`).join(' ')}]${pf && Number(pf.labelled_rows) > 0 ? ` accuracy ${p(pf.accuracy)} [${p(pf.ci_low)}, ${p(pf.ci_high)}] (${String(pf.labelled_rows)} labelled)` : ''}${pf && Number(pf.numeric_rows) > 0 ? ` MAE ${p(pf.mae)} RMSE ${p(pf.rmse)} (${String(pf.numeric_rows)} targets)` : ''}`);
    }
    if (res.reports.length === 0) out.note(`no report of model '${o.model}' in that range`);
  });
}

/** `drift report <id>`. */
export async function report(id: string, o: DriftCommon): Promise<void> {
  const out = printer(o.json);
  await withClient(o, async (c) => {
    const res = await c.getReport({ report_id: id });
    const r = res.report;
    if (!r) throw new CommandError(`the monitor returned no report for '${id}'`);
    out.record({ ...res }, () =>
      [`${r.report_id}: ${r.drifted ? 'DRIFT' : 'no drift'} at alpha ${r.alpha} (${String(r.rows)} rows, ${when(r.window_start_ms)}..${when(r.window_end_ms)}, closed by ${r.close_reason})`, `  reference ${String(r.reference_rows)} rows ${r.reference_sha256.slice(0, 12)}`, detectorsText(r.detectors), ...segmentLine(res.segments)].join('\n'),
    );
  });
}

async function matrix(path: string, what: string): Promise<ReturnType<typeof toMatrix>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e: unknown) {
    throw new CommandError(`--${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let t;
  try {
    t = fromNpy(bytes);
  } catch (e: unknown) {
    throw new CommandError(`--${what} ${path}: not a .npy file: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (t.shape.length !== 2) throw new CommandError(`--${what} ${path}: needs rows × columns (2 dimensions), got shape [${t.shape.join(', ')}]`);
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
  return toMatrix(data, [t.shape[0] as number, t.shape[1] as number]);
}

/** `drift test`: the detectors on two samples. */
export async function twoSampleTest(o: DriftTestOptions): Promise<void> {
  const out = printer(o.json);
  const req = {
    reference: await matrix(o.reference, 'reference'),
    test: await matrix(o.test, 'test'),
    ...(o.referenceOutputs ? { reference_outputs: await matrix(o.referenceOutputs, 'reference-outputs') } : {}),
    ...(o.testOutputs ? { test_outputs: await matrix(o.testOutputs, 'test-outputs') } : {}),
    detectors: o.detectors ?? [],
    categorical_columns: o.categorical ?? [],
    alpha: o.alpha ?? 0,
    correction: o.correction ?? '',
    kernel: o.kernel ?? '',
    permutations: o.permutations ?? 0,
    seed: o.seed ?? 0,
    output_kind: o.outputKind ?? '',
  };
  await withClient(o, async (c) => {
    const res = await c.twoSampleTest(req);
    out.record({ ...res }, () => `${res.drifted ? 'DRIFT' : 'no drift'}\n${detectorsText(res.detectors)}`);
  });
}

/** `drift quality`. */
export async function quality(o: DriftCommon & { model: string; version?: string }): Promise<void> {
  const out = printer(o.json);
  await withClient(o, async (c) => {
    const res = await c.getQuality({ model: o.model, version: o.version ?? '' });
    for (const v of res.versions) {
      out.record({ model: o.model, ...v }, () => {
        const t = v.total;
        const lines = [`${o.model}@${v.version}: ${t && Number(t.labelled_rows) > 0 ? `accuracy ${p(t.accuracy)} [${p(t.ci_low)}, ${p(t.ci_high)}] over ${String(t.labelled_rows)} labels` : 'no labels'}${t && Number(t.numeric_rows) > 0 ? `, MAE ${p(t.mae)} RMSE ${p(t.rmse)} over ${String(t.numeric_rows)} targets` : ''}${v.calibration.length ? `, ECE ${p(v.ece)}` : ''}`];
        for (const w of v.windows) {
          lines.push(`  window ${String(w.window_index)}: ${Number(w.labelled_rows) > 0 ? `${String(w.correct)}/${String(w.labelled_rows)} = ${p(w.accuracy)} [${p(w.ci_low)}, ${p(w.ci_high)}]` : '-'}${Number(w.numeric_rows) > 0 ? ` MAE ${p(w.mae)} RMSE ${p(w.rmse)} (${String(w.numeric_rows)})` : ''}${Number(w.late_rows) > 0 ? `, ${String(w.late_rows)} late` : ''}`);
        }
        for (const b of v.calibration) lines.push(`  confidence [${b.lo.toFixed(1)}, ${b.hi.toFixed(1)}): ${String(b.rows)} rows, mean ${p(b.mean_confidence)}, accuracy ${p(b.accuracy)}`);
        return lines.join('\n');
      });
    }
    for (const a of res.alerts) out.record({ alert: a }, () => `ALERT ${a.alert_id}: ${a.metric} ${p(a.value)} vs threshold ${p(a.threshold)} (${String(a.labelled_rows)} labels) at ${when(a.meta?.time_unix_ms)}`);
    if (res.versions.length === 0) out.note(`model '${o.model}' has no version with feedback yet`);
  });
}

/** `drift segments`. */
export async function segments(o: DriftCommon & { model: string; version?: string; fromWindow?: number; toWindow?: number }): Promise<void> {
  const out = printer(o.json);
  await withClient(o, async (c) => {
    const r = await c.getSegments({ model: o.model, version: o.version ?? '', from_window: o.fromWindow ?? 0, to_window: o.toWindow ?? 0 });
    out.record({ ...r }, () => {
      if (r.segment_by === '') return `${r.model}@${r.version}: no segments configured (monitoring.segment_parameter or segment_feature in the model's config.json)`;
      const lines = [
        `${r.model}@${r.version} by ${r.segment_by}, windows ${String(r.from_window)}..${String(r.to_window)}: ${String(r.rows)} rows, ${String(r.labelled_rows)} labelled`,
        `  prediction rates differ: chi2 ${p(r.rates?.statistic)} dof ${r.rates?.dof ?? 0} p ${p(r.rates?.p_value)} (adjusted ${p(r.rates?.p_adjusted)})${r.rates?.sparse ? ' sparse' : ''}`,
        `  accuracy differs:        chi2 ${p(r.accuracy?.statistic)} dof ${r.accuracy?.dof ?? 0} p ${p(r.accuracy?.p_value)} (adjusted ${p(r.accuracy?.p_adjusted)})${r.accuracy?.sparse ? ' sparse' : ''}`,
      ];
      for (const s of r.segments) {
        lines.push(`  ${s.flagged ? 'FLAG' : '    '} ${s.segment}: ${String(s.rows)} rows, confidence ${p(s.mean_confidence)}, ${Number(s.labelled_rows) > 0 ? `accuracy ${p(s.accuracy)} [${p(s.ci_low)}, ${p(s.ci_high)}]` : 'no labels'}, rates p ${p(s.rates?.p_adjusted)}, accuracy p ${p(s.accuracy_test?.p_adjusted)}`);
      }
      lines.push(`  (${r.note})`);
      return lines.join('\n');
    });
  });
}
