import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RowIssue } from './table.js';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The preprocess service's Prometheus metrics. The `pipeline` label is the name of a stored
 * pipeline (set only once a request resolved one, so clients cannot grow the label set).
 */
export class PreprocessMetrics {
  /** Records transformed (`outcome="transformed"`) or refused (`outcome="refused"`). */
  readonly records: Counter<'pipeline' | 'outcome'>;
  /** Row errors by code. */
  readonly rowErrors: Counter<'pipeline' | 'code'>;
  /** Time to transform one request's batch (decode, steps, encode), in seconds. */
  readonly transformSeconds: Histogram<'pipeline'>;
  /** Fits by outcome (`ok`, `invalid`, `failed`). */
  readonly fits: Counter<'outcome'>;
  /** Time of a successful fit, in seconds. */
  readonly fitSeconds: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.records = new Counter({ name: 'mlmesh_preprocess_records_total', help: 'Records transformed or refused, by pipeline.', labelNames: ['pipeline', 'outcome'], registers });
    this.rowErrors = new Counter({ name: 'mlmesh_preprocess_row_errors_total', help: 'Per-row validation errors, by pipeline and code.', labelNames: ['pipeline', 'code'], registers });
    this.transformSeconds = new Histogram({ name: 'mlmesh_preprocess_transform_duration_seconds', help: 'Time to transform one batch.', labelNames: ['pipeline'], buckets: LATENCY_BUCKETS, registers });
    this.fits = new Counter({ name: 'mlmesh_preprocess_fits_total', help: 'Fits, by outcome (ok, invalid, failed).', labelNames: ['outcome'], registers });
    this.fitSeconds = new Histogram({ name: 'mlmesh_preprocess_fit_duration_seconds', help: 'Time of a successful fit.', buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers });
  }

  /** Counts one transformed batch. */
  transformed(pipeline: string, rows: number, refused: number, issues: readonly RowIssue[], seconds: number): void {
    if (rows > 0) this.records.inc({ pipeline, outcome: 'transformed' }, rows);
    if (refused > 0) this.records.inc({ pipeline, outcome: 'refused' }, refused);
    for (const i of issues) this.rowErrors.inc({ pipeline, code: i.code });
    this.transformSeconds.observe({ pipeline }, seconds);
  }
}
