/**
 * gRPC handlers of the live-quality RPCs (thin: label-queue.ts, quality.ts and segments.ts do the
 * work): GetLabelQueue, GetQuality, GetSegments.
 */
import { InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import type { QualityAlert } from '../../shared/events/index.js';
import type { UnaryHandler } from '../../shared/grpc/index.js';
import type { ContingencyTest } from '../../shared/generated/mlmesh/monitor/v1/ContingencyTest.js';
import type { GetLabelQueueRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/GetLabelQueueRequest.js';
import type { GetLabelQueueResponse } from '../../shared/generated/mlmesh/monitor/v1/GetLabelQueueResponse.js';
import type { GetQualityRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/GetQualityRequest.js';
import type { GetQualityResponse } from '../../shared/generated/mlmesh/monitor/v1/GetQualityResponse.js';
import type { GetSegmentsRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/GetSegmentsRequest.js';
import type { GetSegmentsResponse } from '../../shared/generated/mlmesh/monitor/v1/GetSegmentsResponse.js';
import type { WindowPerformance } from '../../shared/generated/mlmesh/monitor/v1/WindowPerformance.js';
import type { MonitorConfig } from './config.js';
import type { MonitorEngine } from './engine.js';
import { predictionText, queueCsv } from './label-csv.js';
import type { QualityAlertRecord, WindowQuality } from './quality.js';
import type { ContingencyResult, SegmentReport } from './segments.js';

/** Most rows GetLabelQueue returns. */
export const MAX_QUEUE_ROWS = 10_000;

/** A window's (or a version's) quality on the wire. */
export function windowPerformanceOf(reportId: string, q: WindowQuality): WindowPerformance {
  return {
    report_id: reportId,
    window_index: String(q.windowIndex),
    labelled_rows: String(q.labelled),
    correct: String(q.correct),
    accuracy: q.accuracy,
    ci_low: q.ciLow,
    ci_high: q.ciHigh,
    late_rows: String(q.late),
    updated_ms: String(q.updatedMs),
    numeric_rows: String(q.numeric),
    mae: q.mae,
    rmse: q.rmse,
  };
}

/** A stored alert as the event. */
export function alertEvent(a: QualityAlertRecord): QualityAlert {
  return {
    alert_id: a.alertId, model: a.model, version: a.version, window_index: String(a.windowIndex), metric: a.metric, value: a.value, threshold: a.threshold,
    ci_low: a.ciLow, ci_high: a.ciHigh, labelled_rows: String(a.labelled), report_id: a.reportId, meta: { event_id: a.alertId, time_unix_ms: String(a.timeMs), source: '', producer_version: '' },
  };
}

function test(c: ContingencyResult, pAdjusted: number): ContingencyTest {
  return { statistic: c.statistic, dof: c.dof, p_value: c.pValue, p_adjusted: pAdjusted, sparse: c.sparse };
}

function knownModel(engine: MonitorEngine, model: string): void {
  if (model === '') throw new InvalidArgumentError('model: required');
  const known = engine.allWindows().some((w) => w.header.model === model) || engine.reports.models().includes(model);
  if (!known) throw new NotFoundError(`model '${clip(model)}' is not monitored (no prediction logs seen)`);
}

/** The handlers. */
export function qualityHandlers(engine: MonitorEngine, config: MonitorConfig) {
  const GetLabelQueue: UnaryHandler<GetLabelQueueRequest__Output, GetLabelQueueResponse> = async (req) => {
    knownModel(engine, req.model);
    if (req.limit < 0 || req.limit > MAX_QUEUE_ROWS) throw new InvalidArgumentError(`limit: must be in 0..${MAX_QUEUE_ROWS}, got ${req.limit}`);
    const windows = req.windows.map(Number);
    windows.forEach((w, i) => {
      if (!Number.isSafeInteger(w) || w < 0) throw new InvalidArgumentError(`windows[${i}]: must be a window index >= 0, got ${req.windows[i]}`);
    });
    const items = engine.labelQueue({ model: req.model, version: req.version, windows, unlabelledOnly: req.unlabelled_only, limit: req.limit || MAX_QUEUE_ROWS });
    const mon = await engine.monitoringOf(req.model);
    return {
      items: items.map((q) => ({
        model: q.model, version: q.version, window_index: String(q.windowIndex), rank: q.rank, request_id: q.requestId, row: q.row, stratum: q.stratum,
        uncertainty_rank: q.uncertaintyRank, prediction: predictionText(q), confidence: q.confidence ?? 0, has_confidence: q.confidence !== null,
        inputs: q.inputs, labelled: q.labelled, created_ms: String(q.createdMs),
      })),
      csv: queueCsv(items, mon.featureNames),
    };
  };

  const GetQuality: UnaryHandler<GetQualityRequest__Output, GetQualityResponse> = async (req) => {
    knownModel(engine, req.model);
    const versions = engine.versionsOf(req.model).filter((v) => req.version === '' || v === req.version);
    if (req.version !== '' && versions.length === 0) throw new NotFoundError(`version: model '${clip(req.model)}' has no version '${clip(req.version)}' monitored`);
    return {
      versions: versions.map((v) => {
        const q = engine.quality(req.model, v);
        return {
          version: v,
          windows: q.windows.map((w) => windowPerformanceOf(`${req.model}/${v}/${w.windowIndex}`, w)),
          total: windowPerformanceOf('', q.total),
          calibration: q.calibration.map((b) => ({ lo: b.lo, hi: b.hi, rows: String(b.rows), mean_confidence: b.meanConfidence, accuracy: b.accuracy })),
          ece: q.ece,
        };
      }),
      alerts: engine.qualityAlerts(req.model).map(alertEvent),
    };
  };

  return { GetLabelQueue, GetQuality, GetSegments: segmentsHandler(engine, config) };
}

/** A segment report on the wire. */
export function segmentsResponse(r: SegmentReport): GetSegmentsResponse {
  return {
    model: r.model, version: r.version, segment_by: r.segmentBy, from_window: String(r.fromWindow), to_window: String(r.toWindow), alpha: r.alpha,
    segments: r.segments.map((s) => ({
      segment: s.segment, rows: String(s.rows), class_counts: s.classCounts.map(String), mean_confidence: s.meanConfidence, labelled_rows: String(s.labelled), correct: String(s.correct),
      accuracy: s.accuracy, ci_low: s.ciLow, ci_high: s.ciHigh, numeric_rows: String(s.numeric), mae: s.mae,
      rates: test(s.rates, s.rates.pAdjusted),
      accuracy_test: test(s.accuracyTest, s.accuracyTest.pAdjusted),
      flagged: s.flagged,
    })),
    rates: test(r.rates, r.rates.pAdjusted),
    accuracy: test(r.accuracy, r.accuracy.pAdjusted),
    rows: String(r.rows),
    labelled_rows: String(r.labelled),
    note: r.note,
  };
}

function segmentsHandler(engine: MonitorEngine, config: MonitorConfig): UnaryHandler<GetSegmentsRequest__Output, GetSegmentsResponse> {
  return async (req) => {
    knownModel(engine, req.model);
    const from = Number(req.from_window);
    const to = Number(req.to_window);
    if (from < 0) throw new InvalidArgumentError('from_window: must be >= 0');
    if (to < 0) throw new InvalidArgumentError('to_window: must be >= 0');
    if (to > 0 && from > to) throw new InvalidArgumentError(`from_window (${from}) is after to_window (${to})`);
    const versions = engine.versionsOf(req.model);
    const version = req.version === '' ? versions[versions.length - 1] : req.version;
    if (version === undefined || !versions.includes(version)) throw new NotFoundError(`version: model '${clip(req.model)}' has no version '${clip(req.version)}' monitored`);
    const r = await engine.segments(req.model, version, from, to === 0 ? Number.MAX_SAFE_INTEGER : to, config.maxSegments);
    return segmentsResponse(r);
  };
}
