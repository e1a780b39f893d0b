/**
 * Live quality from feedback: accuracy per window with its 95% Wilson interval, MAE / RMSE for
 * regressors (numeric feedback), the calibration of confidence against accuracy, quality alerts
 * (once per window and metric), and the markers the page draws on its time axis (retrain requests
 * the monitor published). Everything is read from, or written to, `feedback.sqlite` (the join's
 * database): the performance records, the labelled prediction rows, and two small tables here.
 */
import type { Database as Db, Statement } from 'better-sqlite3';

/** z of a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval of a binomial proportion k/n (Wilson 1927), [0, 1] for n = 0. Better
 * than the normal ("Wald") interval at small n or proportions near 0 or 1, where Wald's can
 * leave [0, 1] or collapse to a point.
 */
export function wilson(k: number, n: number, z = Z95): [number, number] {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Quality of one window (or a version's total). */
export interface WindowQuality {
  windowIndex: number;
  labelled: number;
  correct: number;
  /** correct / labelled (0 with no labels) and its 95% Wilson interval. */
  accuracy: number;
  ciLow: number;
  ciHigh: number;
  /** Numeric targets (regressors) and the errors against them (0 with none). */
  numeric: number;
  mae: number;
  rmse: number;
  late: number;
  updatedMs: number;
}

/** A window's quality from its counts. */
export function qualityOf(windowIndex: number, c: { labelled: number; correct: number; numeric: number; absErrorSum: number; sqErrorSum: number; late: number; updatedMs: number }): WindowQuality {
  const [ciLow, ciHigh] = wilson(c.correct, c.labelled);
  return {
    windowIndex,
    labelled: c.labelled,
    correct: c.correct,
    accuracy: c.labelled > 0 ? c.correct / c.labelled : 0,
    ciLow: c.labelled > 0 ? ciLow : 0,
    ciHigh: c.labelled > 0 ? ciHigh : 0,
    numeric: c.numeric,
    mae: c.numeric > 0 ? c.absErrorSum / c.numeric : 0,
    rmse: c.numeric > 0 ? Math.sqrt(c.sqErrorSum / c.numeric) : 0,
    late: c.late,
    updatedMs: c.updatedMs,
  };
}

/** One bin of the calibration (reliability) diagram. */
export interface CalibrationBin {
  /** Confidence range [lo, hi) (the last bin includes 1). */
  lo: number;
  hi: number;
  rows: number;
  meanConfidence: number;
  accuracy: number;
}

/** A quality alert as stored (and published as a QualityAlert event). */
export interface QualityAlertRecord {
  alertId: string;
  model: string;
  version: string;
  windowIndex: number;
  metric: 'accuracy' | 'mae';
  value: number;
  threshold: number;
  ciLow: number;
  ciHigh: number;
  labelled: number;
  reportId: string;
  timeMs: number;
}

/** Something to mark on the page's time axis. */
export interface Marker {
  kind: 'retrain' | 'alert' | 'version';
  timeMs: number;
  /** Window index it refers to (-1: none). */
  windowIndex: number;
  version: string;
  text: string;
}

/** Settings that decide alerts (per model: monitoring section). */
export interface AlertSettings {
  accuracyThreshold: number;
  maeThreshold: number;
  minLabels: number;
}

/**
 * The alerts a window's quality calls for (at most one per metric): accuracy when its Wilson
 * upper bound is below the threshold, MAE when above its threshold, each with ≥ minLabels.
 */
export function alertsFor(q: WindowQuality, s: AlertSettings): Array<{ metric: 'accuracy' | 'mae'; value: number; threshold: number }> {
  const out: Array<{ metric: 'accuracy' | 'mae'; value: number; threshold: number }> = [];
  if (s.accuracyThreshold > 0 && q.labelled >= s.minLabels && q.ciHigh < s.accuracyThreshold) out.push({ metric: 'accuracy', value: q.accuracy, threshold: s.accuracyThreshold });
  if (s.maeThreshold > 0 && q.numeric >= s.minLabels && q.mae > s.maeThreshold) out.push({ metric: 'mae', value: q.mae, threshold: s.maeThreshold });
  return out;
}

const QUALITY_SCHEMA = `
CREATE TABLE IF NOT EXISTS quality_alerts (
  alert_id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, window_index INTEGER NOT NULL, metric TEXT NOT NULL,
  value REAL NOT NULL, threshold REAL NOT NULL, ci_low REAL NOT NULL, ci_high REAL NOT NULL, labelled INTEGER NOT NULL,
  report_id TEXT NOT NULL, time_ms INTEGER NOT NULL, published INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS retrain_log (
  request_id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, window_index INTEGER NOT NULL, time_ms INTEGER NOT NULL, reason TEXT NOT NULL
);`;

interface PerfRow {
  window_index: number;
  labelled: number;
  correct: number;
  late: number;
  updated_ms: number;
  numeric: number;
  abs_err_sum: number;
  sq_err_sum: number;
}

interface AlertRow {
  alert_id: string;
  model: string;
  version: string;
  window_index: number;
  metric: string;
  value: number;
  threshold: number;
  ci_low: number;
  ci_high: number;
  labelled: number;
  report_id: string;
  time_ms: number;
}

/** Quality queries and the alert / retrain logs, on the join's database. */
export class QualityStore {
  private readonly seriesStmt: Statement<[string, string], PerfRow>;
  private readonly calibrationStmt: Statement<[string, string], { confidence: number; correct: number }>;
  private readonly insertAlert: Statement<[string, string, string, number, string, number, number, number, number, number, string, number]>;
  private readonly unpublished: Statement<[], AlertRow>;
  private readonly markPublished: Statement<[string]>;
  private readonly alertsStmt: Statement<[string], AlertRow>;
  private readonly insertRetrain: Statement<[string, string, string, number, number, string]>;
  private readonly retrainsStmt: Statement<[string], { request_id: string; version: string; window_index: number; time_ms: number; reason: string }>;

  constructor(db: Db) {
    db.exec(QUALITY_SCHEMA);
    this.seriesStmt = db.prepare('SELECT window_index, labelled, correct, late, updated_ms, numeric, abs_err_sum, sq_err_sum FROM performance WHERE model = ? AND version = ? ORDER BY window_index');
    this.calibrationStmt = db.prepare('SELECT confidence, correct FROM predictions WHERE model = ? AND version = ? AND joined = 1 AND correct IS NOT NULL AND confidence IS NOT NULL');
    this.insertAlert = db.prepare(
      'INSERT OR IGNORE INTO quality_alerts (alert_id, model, version, window_index, metric, value, threshold, ci_low, ci_high, labelled, report_id, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.unpublished = db.prepare('SELECT * FROM quality_alerts WHERE published = 0 ORDER BY time_ms, alert_id');
    this.markPublished = db.prepare('UPDATE quality_alerts SET published = 1 WHERE alert_id = ?');
    this.alertsStmt = db.prepare('SELECT * FROM quality_alerts WHERE model = ? ORDER BY time_ms, alert_id');
    this.insertRetrain = db.prepare('INSERT OR IGNORE INTO retrain_log (request_id, model, version, window_index, time_ms, reason) VALUES (?, ?, ?, ?, ?, ?)');
    this.retrainsStmt = db.prepare('SELECT request_id, version, window_index, time_ms, reason FROM retrain_log WHERE model = ? ORDER BY time_ms');
  }

  /** Quality per window of a version that has feedback, oldest first. */
  series(model: string, version: string): WindowQuality[] {
    return this.seriesStmt.all(model, version).map((r) =>
      qualityOf(r.window_index, { labelled: r.labelled, correct: r.correct, numeric: r.numeric, absErrorSum: r.abs_err_sum, sqErrorSum: r.sq_err_sum, late: r.late, updatedMs: r.updated_ms }),
    );
  }

  /** A version's total over its windows (windowIndex −1). */
  total(model: string, version: string): WindowQuality {
    const s = this.seriesStmt.all(model, version);
    const sum = (f: (r: PerfRow) => number): number => s.reduce((a, r) => a + f(r), 0);
    return qualityOf(-1, {
      labelled: sum((r) => r.labelled), correct: sum((r) => r.correct), numeric: sum((r) => r.numeric), absErrorSum: sum((r) => r.abs_err_sum), sqErrorSum: sum((r) => r.sq_err_sum),
      late: sum((r) => r.late), updatedMs: s.reduce((a, r) => Math.max(a, r.updated_ms), 0),
    });
  }

  /**
   * Confidence against accuracy over the labelled rows the join still holds, in `bins` equal
   * bins of [0, 1]; empty bins are left out.
   */
  calibration(model: string, version: string, bins = 10): CalibrationBin[] {
    const acc = Array.from({ length: bins }, () => ({ rows: 0, conf: 0, correct: 0 }));
    for (const r of this.calibrationStmt.iterate(model, version)) {
      const b = acc[Math.min(bins - 1, Math.max(0, Math.floor(r.confidence * bins)))] as { rows: number; conf: number; correct: number };
      b.rows++;
      b.conf += r.confidence;
      b.correct += r.correct;
    }
    return acc.flatMap((b, i) => (b.rows > 0 ? [{ lo: i / bins, hi: (i + 1) / bins, rows: b.rows, meanConfidence: b.conf / b.rows, accuracy: b.correct / b.rows }] : []));
  }

  /** Records an alert (false when this window already alerted on this metric). */
  recordAlert(a: QualityAlertRecord): boolean {
    return this.insertAlert.run(a.alertId, a.model, a.version, a.windowIndex, a.metric, a.value, a.threshold, a.ciLow, a.ciHigh, a.labelled, a.reportId, a.timeMs).changes > 0;
  }

  /** Alerts recorded but not yet published (a publish failed, or a crash came in between). */
  pendingAlerts(): QualityAlertRecord[] {
    return this.unpublished.all().map(alertOf);
  }

  /** Marks an alert published. */
  published(alertId: string): void {
    this.markPublished.run(alertId);
  }

  /** Every alert of a model, oldest first. */
  alerts(model: string): QualityAlertRecord[] {
    return this.alertsStmt.all(model).map(alertOf);
  }

  /** Records a RetrainRequest the monitor published (for the page's markers). */
  logRetrain(requestId: string, model: string, version: string, windowIndex: number, timeMs: number, reason: string): void {
    this.insertRetrain.run(requestId, model, version, windowIndex, timeMs, reason);
  }

  /** RetrainRequests of a model, oldest first. */
  retrains(model: string): Array<{ requestId: string; version: string; windowIndex: number; timeMs: number; reason: string }> {
    return this.retrainsStmt.all(model).map((r) => ({ requestId: r.request_id, version: r.version, windowIndex: r.window_index, timeMs: r.time_ms, reason: r.reason }));
  }
}

function alertOf(r: AlertRow): QualityAlertRecord {
  return {
    alertId: r.alert_id, model: r.model, version: r.version, windowIndex: r.window_index, metric: r.metric as 'accuracy' | 'mae', value: r.value, threshold: r.threshold,
    ciLow: r.ci_low, ciHigh: r.ci_high, labelled: r.labelled, reportId: r.report_id, timeMs: r.time_ms,
  };
}
