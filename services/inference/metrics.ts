import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { BatcherObserver } from './batcher.js';
import { InferenceStatistics } from './statistics.js';
import type { VersionStatistics } from './statistics.js';

/** Why a request failed, as the `reason` label of the failure counter. */
export type FailureReason = 'rejected' | 'cancelled' | 'deadline' | 'invalid' | 'unavailable' | 'internal';

/** Request metrics of one version, labels bound. */
export interface VersionMetrics {
  success: { inc(): void };
  duration: { observe(v: number): void };
  failure(reason: FailureReason): { inc(): void };
  /** Triton's statistics of the version (the ModelStatistics RPC). */
  stats: VersionStatistics;
}

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The inference service's Prometheus metrics, per model and version, named after Triton's:
 * inference count (rows) vs execution count (session runs) gives the mean batch size.
 */
export class InferenceMetrics {
  readonly requestSuccess: Counter<'model' | 'version'>;
  readonly requestFailure: Counter<'model' | 'version' | 'reason'>;
  readonly inferenceCount: Counter<'model' | 'version'>;
  readonly executionCount: Counter<'model' | 'version'>;
  readonly queueDuration: Histogram<'model' | 'version'>;
  readonly computeDuration: Histogram<'model' | 'version'>;
  readonly requestDuration: Histogram<'model' | 'version'>;
  readonly batchSize: Histogram<'model' | 'version'>;
  readonly pending: Gauge<'model' | 'version'>;
  readonly executing: Gauge<'model' | 'version'>;
  readonly loadedVersions: Gauge<'model'>;
  /** Triton's per-version statistics, counted beside the metrics (the ModelStatistics RPC). */
  readonly statistics = new InferenceStatistics();

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['model', 'version'] as const;
    this.requestSuccess = new Counter({ name: 'mlmesh_inference_request_success_total', help: 'Inference requests that succeeded.', labelNames, registers });
    this.requestFailure = new Counter({
      name: 'mlmesh_inference_request_failure_total',
      help: 'Inference requests that failed, by reason (rejected, cancelled, deadline, invalid, unavailable, internal).',
      labelNames: ['model', 'version', 'reason'],
      registers,
    });
    this.inferenceCount = new Counter({ name: 'mlmesh_inference_count_total', help: 'Rows inferred (a batch of 8 counts 8).', labelNames, registers });
    this.executionCount = new Counter({ name: 'mlmesh_inference_exec_count_total', help: 'Session runs (a batch of 8 counts 1).', labelNames, registers });
    this.queueDuration = new Histogram({ name: 'mlmesh_inference_queue_duration_seconds', help: 'Time a request waited in the batch queue.', labelNames, buckets: LATENCY_BUCKETS, registers });
    this.computeDuration = new Histogram({ name: 'mlmesh_inference_compute_duration_seconds', help: 'Time of one session run (one batch).', labelNames, buckets: LATENCY_BUCKETS, registers });
    this.requestDuration = new Histogram({ name: 'mlmesh_inference_request_duration_seconds', help: 'Time from receiving a request to its response.', labelNames, buckets: LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: 'mlmesh_inference_batch_size', help: 'Rows per session run.', labelNames, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers });
    this.pending = new Gauge({ name: 'mlmesh_inference_pending_requests', help: 'Requests waiting in the batch queue.', labelNames, registers });
    this.executing = new Gauge({ name: 'mlmesh_inference_executions_in_flight', help: 'Session runs in progress.', labelNames, registers });
    this.loadedVersions = new Gauge({ name: 'mlmesh_inference_model_versions_loaded', help: 'Versions of a model being served.', labelNames: ['model'], registers });
  }

  private readonly bound = new Map<string, VersionMetrics>();

  /** Request metrics of one model version, with labels bound once (no label hashing per call). */
  forVersion(model: string, version: string): VersionMetrics {
    const key = `${model}\u0000${version}`;
    let m = this.bound.get(key);
    if (!m) {
      const labels = { model, version };
      const failures = new Map<FailureReason, ReturnType<InferenceMetrics['requestFailure']['labels']>>();
      m = {
        success: this.requestSuccess.labels(labels),
        duration: this.requestDuration.labels(labels),
        stats: this.statistics.forVersion(model, version),
        failure: (reason) => {
          let c = failures.get(reason);
          if (!c) failures.set(reason, (c = this.requestFailure.labels({ ...labels, reason })));
          return c;
        },
      };
      this.bound.set(key, m);
    }
    return m;
  }

  /** The batcher observer for one model version. */
  observerFor(model: string, version: string): BatcherObserver {
    const labels = { model, version };
    const pending = this.pending.labels(labels);
    const executing = this.executing.labels(labels);
    const execs = this.executionCount.labels(labels);
    const rowsCount = this.inferenceCount.labels(labels);
    const batch = this.batchSize.labels(labels);
    const compute = this.computeDuration.labels(labels);
    const queue = this.queueDuration.labels(labels);
    const stats = this.statistics.forVersion(model, version);
    return {
      pending: (d) => pending.inc(d),
      executing: (d) => executing.inc(d),
      executed: (rows, computeNs) => {
        execs.inc();
        rowsCount.inc(rows);
        batch.observe(rows);
        compute.observe(computeNs / 1e9);
        stats.executed(rows, computeNs);
      },
      dequeued: (queueNs) => queue.observe(queueNs / 1e9),
    };
  }
}
