/** gRPC handlers of mlmesh.monitor.v1.MonitorService (thin: the engine and the detectors do the work). */
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError, clip } from '../../shared/errors/index.js';
import type { DriftReport } from '../../shared/events/index.js';
import type { ServerStreamHandler, UnaryHandler } from '../../shared/grpc/index.js';
import type { MonitorServiceHandlers } from '../../shared/generated/mlmesh/monitor/v1/MonitorService.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import type { GetStatusRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/GetStatusRequest.js';
import type { GetStatusResponse } from '../../shared/generated/mlmesh/monitor/v1/GetStatusResponse.js';
import type { ListReportsRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/ListReportsRequest.js';
import type { ListReportsResponse } from '../../shared/generated/mlmesh/monitor/v1/ListReportsResponse.js';
import type { GetReportRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/GetReportRequest.js';
import type { GetReportResponse } from '../../shared/generated/mlmesh/monitor/v1/GetReportResponse.js';
import type { WindowPerformance } from '../../shared/generated/mlmesh/monitor/v1/WindowPerformance.js';
import type { WatchReportsRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/WatchReportsRequest.js';
import type { ReplaceReferenceRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/ReplaceReferenceRequest.js';
import type { ReplaceReferenceResponse } from '../../shared/generated/mlmesh/monitor/v1/ReplaceReferenceResponse.js';
import type { TwoSampleTestRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestRequest.js';
import type { TwoSampleTestResponse } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestResponse.js';
import type { VersionStatus } from '../../shared/generated/mlmesh/monitor/v1/VersionStatus.js';
import type { MonitorConfig } from './config.js';
import type { MonitorEngine } from './engine.js';
import { qualityHandlers, segmentsResponse, windowPerformanceOf } from './quality-handlers.js';
import { qualityOf } from './quality.js';
import { c2stSettingsOf } from './detectors.js';
import { replaceReference } from './reference.js';
import { twoSampleTest } from './two-sample.js';
import type { AdhocRunner } from './two-sample.js';

/** Reports buffered for one WatchReports client before it is cut off (RESOURCE_EXHAUSTED). */
export const MAX_WATCH_QUEUE = 1000;

/** Largest `limit` of ListReports. */
export const MAX_REPORTS = 1000;

/** A report's window performance on the wire (labels joined so far, late ones included). */
function performanceOf(engine: MonitorEngine, reportId: string): WindowPerformance {
  const p = engine.performance(reportId);
  const index = Number(reportId.slice(reportId.lastIndexOf('/') + 1));
  return windowPerformanceOf(reportId, qualityOf(index, p ?? { labelled: 0, correct: 0, late: 0, updatedMs: 0, numeric: 0, absErrorSum: 0, sqErrorSum: 0 }));
}

function requireModel(model: string, field = 'model'): string {
  if (model === '') throw new InvalidArgumentError(`${field}: required`);
  return model;
}

/** Builds the handlers. */
export function monitorHandlers(engine: MonitorEngine, config: MonitorConfig, adhoc: AdhocRunner): PromiseHandlers<MonitorServiceHandlers> {
  const GetStatus: UnaryHandler<GetStatusRequest__Output, GetStatusResponse> = async (req) => {
    const versions: VersionStatus[] = engine
      .allWindows()
      .map((w) => w.header)
      .filter((h) => req.model === '' || h.model === req.model)
      .sort((a, b) => (a.model === b.model ? Number(a.version) - Number(b.version) : a.model < b.model ? -1 : 1))
      .map((h) => {
        const last = engine.reports.list(h.model, h.version, 0, 0, 1)[0];
        const fb = engine.versionFeedback(h.model, h.version);
        const ref = engine.cachedReference(h.model, h.version);
        const st: VersionStatus = {
          model: h.model,
          version: h.version,
          open_window_rows: String(h.rows),
          open_window_start_ms: String(h.startMs),
          windows_closed: String(h.windowsClosed),
          consecutive_drifted: h.consecutiveDrifted,
          last_retrain_ms: String(engine.modelState(h.model)?.lastRetrainMs ?? 0),
          reference_rows: String(ref?.rows ?? 0),
          reference_sha256: ref?.sha256 ?? '',
          feedback_rows: String(fb.labelled),
          feedback_correct: String(fb.correct),
          accuracy: fb.labelled > 0 ? fb.correct / fb.labelled : 0,
          last_sequence: String(h.lastAppliedSeq),
        };
        if (last) st.last_report = last;
        return st;
      });
    if (req.model !== '' && versions.length === 0) throw new NotFoundError(`model '${clip(req.model)}' is not monitored (no prediction logs seen)`);
    return { versions };
  };

  const ListReports: UnaryHandler<ListReportsRequest__Output, ListReportsResponse> = async (req) => {
    requireModel(req.model);
    const from = Number(req.from_ms);
    const to = Number(req.to_ms);
    if (from < 0) throw new InvalidArgumentError('from_ms: must be >= 0');
    if (to < 0) throw new InvalidArgumentError('to_ms: must be >= 0');
    if (to > 0 && from > to) throw new InvalidArgumentError(`from_ms (${from}) is after to_ms (${to})`);
    if (req.limit < 0 || req.limit > MAX_REPORTS) throw new InvalidArgumentError(`limit: must be in 0..${MAX_REPORTS}, got ${req.limit}`);
    const known = engine.allWindows().some((w) => w.header.model === req.model) || engine.reports.models().includes(req.model);
    if (!known) throw new NotFoundError(`model '${clip(req.model)}' is not monitored (no prediction logs seen)`);
    const reports = engine.reports.list(req.model, req.version, from, to, req.limit || MAX_REPORTS);
    return { reports, performance: reports.map((r) => performanceOf(engine, r.report_id as string)) };
  };

  const GetReport: UnaryHandler<GetReportRequest__Output, GetReportResponse> = async (req) => {
    if (req.report_id === '') throw new InvalidArgumentError('report_id: required ("<model>/<version>/<window_index>")');
    const report = engine.reports.get(req.report_id);
    if (!report) throw new NotFoundError(`report_id: no report '${clip(req.report_id)}'`);
    const index = Number(report.window_index);
    const segments = segmentsResponse(await engine.segments(report.model as string, report.version as string, index, index, config.maxSegments));
    return { report, performance: performanceOf(engine, req.report_id), segments };
  };

  const WatchReports: ServerStreamHandler<WatchReportsRequest__Output, DriftReport> = async (req, ctx, send) => {
    const queue: DriftReport[] = [];
    let overflow = false;
    let wake: (() => void) | undefined;
    const stop = engine.reports.watch((r) => {
      if (req.model !== '' && r.model !== req.model) return;
      // A watcher that does not read is cut off rather than buffered without bound.
      if (queue.length >= MAX_WATCH_QUEUE) overflow = true;
      else queue.push(r);
      wake?.();
    });
    let done: () => void = () => {};
    const ended = new Promise<void>((resolve) => (done = resolve));
    // Listeners removed in finally: ctx.draining is the server-wide signal.
    ctx.signal.addEventListener('abort', done);
    ctx.draining.addEventListener('abort', done);
    try {
      for (;;) {
        if (overflow) throw new ResourceExhaustedError(`WatchReports: more than ${MAX_WATCH_QUEUE} reports waiting for this client; it is not reading`);
        while (queue.length > 0) await send(queue.shift() as DriftReport);
        if (ctx.signal.aborted || ctx.draining.aborted) return;
        await Promise.race([ended, new Promise<void>((r) => (wake = r))]);
        wake = undefined;
      }
    } finally {
      stop();
      ctx.signal.removeEventListener('abort', done);
      ctx.draining.removeEventListener('abort', done);
    }
  };

  const ReplaceReference: UnaryHandler<ReplaceReferenceRequest__Output, ReplaceReferenceResponse> = async (req, ctx) => {
    requireModel(req.model);
    if (req.version === '') throw new InvalidArgumentError('version: required');
    if (req.produced_by === '') throw new InvalidArgumentError('produced_by: required (who or what made the reference, for provenance)');
    if (req.source_data_sha256 !== '' && !/^[0-9a-f]{64}$/.test(req.source_data_sha256)) throw new InvalidArgumentError('source_data_sha256: must be 64 lowercase hex digits');
    return engine.serial(async () => {
      const mon = await engine.monitoringOf(req.model);
      const previous = (await engine.referenceOf(req.model, req.version).catch(() => null)) ?? undefined;
      const ref = await replaceReference(
        config.modelRepository,
        req.model,
        req.version,
        req.inputs_npy,
        req.outputs_npy.byteLength > 0 ? req.outputs_npy : undefined,
        mon,
        { produced_by: req.produced_by, source_data_sha256: req.source_data_sha256 || null },
        previous,
      );
      engine.setReference(ref);
      ctx.log.info({ model: req.model, version: req.version, rows: ref.rows, sha256: ref.sha256 }, 'reference replaced');
      return { rows: String(ref.rows), sha256: ref.sha256, previous_sha256: previous?.sha256 ?? '' };
    });
  };

  const TwoSampleTest: UnaryHandler<TwoSampleTestRequest__Output, TwoSampleTestResponse> = async (req, ctx) => twoSampleTest(req, adhoc, ctx.signal, config.mmdMaxRows, c2stSettingsOf(config));

  return { GetStatus, ListReports, GetReport, ReplaceReference, TwoSampleTest, WatchReports, ...qualityHandlers(engine, config) };
}
