/** Prometheus metrics of the monitor. */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The monitor's metrics, registered on the service's registry. */
export class MonitorMetrics {
  readonly rows: Counter<'model' | 'version'>;
  readonly windows: Counter<'model' | 'version' | 'drifted'>;
  readonly retrains: Counter<'model'>;
  readonly retrainSuppressed: Counter<'model'>;
  readonly skipped: Counter<'reason'>;
  readonly feedback: Counter<'outcome'>;
  readonly lateLabels: Counter<'model' | 'version'>;
  readonly testSeconds: Histogram;
  readonly qualityAlerts: Counter<'model' | 'version' | 'metric'>;
  readonly liveAccuracy: Gauge<'model' | 'version'>;
  readonly liveMae: Gauge<'model' | 'version'>;
  readonly onlineAlarms: Counter<'model' | 'version'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rows = new Counter({ name: 'mlmesh_monitor_rows_total', help: 'Prediction rows added to windows.', labelNames: ['model', 'version'], registers });
    this.windows = new Counter({ name: 'mlmesh_monitor_windows_total', help: 'Windows closed and tested, by verdict.', labelNames: ['model', 'version', 'drifted'], registers });
    this.retrains = new Counter({ name: 'mlmesh_monitor_retrain_requests_total', help: 'RetrainRequests published.', labelNames: ['model'], registers });
    this.retrainSuppressed = new Counter({ name: 'mlmesh_monitor_retrain_suppressed_total', help: 'Retrain triggers held back by the cooldown.', labelNames: ['model'], registers });
    this.skipped = new Counter({ name: 'mlmesh_monitor_skipped_messages_total', help: 'Messages not applied: redelivered, undecodable, malformed tensor, shape mismatch, too_large (the full window would exceed windowMaxBytes).', labelNames: ['reason'], registers });
    this.feedback = new Counter({
      name: 'mlmesh_monitor_feedback_total',
      help: 'Feedback by outcome: labelled rows (correct, wrong, numeric, duplicate) and messages not joined (unjoined, not_a_label, wrong_model, rows_mismatch, undecodable).',
      labelNames: ['outcome'],
      registers,
    });
    this.lateLabels = new Counter({ name: 'mlmesh_monitor_late_labels_total', help: 'Labels credited to a window whose report was already published (see GetReport / ListReports performance).', labelNames: ['model', 'version'], registers });
    this.qualityAlerts = new Counter({ name: 'mlmesh_monitor_quality_alerts_total', help: 'QualityAlerts raised: a window whose live accuracy fell below accuracyThreshold (Wilson upper bound) or whose MAE rose above maeThreshold.', labelNames: ['model', 'version', 'metric'], registers });
    this.liveAccuracy = new Gauge({ name: 'mlmesh_monitor_live_accuracy', help: 'Accuracy of a version over every label joined so far (all windows).', labelNames: ['model', 'version'], registers });
    this.liveMae = new Gauge({ name: 'mlmesh_monitor_live_mae', help: "Mean absolute error of a regressor version over every numeric target joined so far.", labelNames: ['model', 'version'], registers });
    this.onlineAlarms = new Counter({ name: 'mlmesh_monitor_online_alarms_total', help: 'Alarms of the per-row online drift detector (monitoring.online), counted when the row is applied.', labelNames: ['model', 'version'], registers });
    this.testSeconds = new Histogram({ name: 'mlmesh_monitor_window_test_seconds', help: 'Time to run every detector on a window.', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
  }
}
