/**
 * Triton's per-model statistics (the ModelStatistics RPC, GET /v2/models/{m}/stats), counted
 * in the serving path: plain number fields bumped once per request and once per batch, no
 * allocation per call (a batch size seen for the first time adds one entry). Durations are
 * summed in ns as doubles: exact up to 2^53 ns (104 days of cumulative time per counter).
 */
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { InferBatchStatistics } from '../../shared/generated/inference/InferBatchStatistics.js';
import type { ModelStatistics } from '../../shared/generated/inference/ModelStatistics.js';

/** The counters of one batch size. */
interface BatchCounters {
  count: number;
  computeNs: number;
}

/** The statistics of one model version since the service started. */
export class VersionStatistics {
  /** Epoch ms of the last successful request; 0 before the first. */
  lastInferenceMs = 0;
  /** Rows of successful requests. */
  inferenceCount = 0;
  /** Batches run (session runs). */
  executionCount = 0;
  successCount = 0;
  successNs = 0;
  failCount = 0;
  failNs = 0;
  queueNs = 0;
  inputNs = 0;
  inferNs = 0;
  outputNs = 0;
  /** Indexed by batch size (sizes are small integers, at most max_batch_size). */
  private readonly batches: (BatchCounters | undefined)[] = [];

  /**
   * Counts a request answered OK (positional numbers: nothing is allocated per call). Times in
   * ns: `totalNs` from receipt to answer, `queueNs` in the batch queue (the slowest chunk's for
   * a split request), `inputNs` decoding the inputs, `inferNs` the session run that served it,
   * `outputNs` encoding the outputs; `nowMs` epoch ms.
   */
  success(rows: number, totalNs: number, queueNs: number, inputNs: number, inferNs: number, outputNs: number, nowMs: number): void {
    this.successCount++;
    this.successNs += totalNs;
    this.inferenceCount += rows;
    this.queueNs += queueNs;
    this.inputNs += inputNs;
    this.inferNs += inferNs;
    this.outputNs += outputNs;
    this.lastInferenceMs = nowMs;
  }

  /** Counts a request that failed after its version was resolved. */
  failure(totalNs: number): void {
    this.failCount++;
    this.failNs += totalNs;
  }

  /** Counts one batch run of `rows` rows (called by the batcher once per batch). */
  executed(rows: number, computeNs: number): void {
    this.executionCount++;
    let b = this.batches[rows];
    if (!b) this.batches[rows] = b = { count: 0, computeNs: 0 };
    b.count++;
    b.computeNs += computeNs;
  }

  /** The counters as Triton's ModelStatistics message. */
  snapshot(name: string, version: string): ModelStatistics {
    const d = (count: number, ns: number) => ({ count, ns: Math.round(ns) });
    const batchStats: InferBatchStatistics[] = [];
    this.batches.forEach((b, size) => {
      if (!b) return;
      // The session run includes moving the tensors in and out: not timed apart (ns 0).
      batchStats.push({ batch_size: size, compute_input: d(b.count, 0), compute_infer: d(b.count, b.computeNs), compute_output: d(b.count, 0) });
    });
    const n = this.successCount;
    return {
      name,
      version,
      last_inference: this.lastInferenceMs,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: d(n, this.successNs),
        fail: d(this.failCount, this.failNs),
        queue: d(n, this.queueNs),
        compute_input: d(n, this.inputNs),
        compute_infer: d(n, this.inferNs),
        compute_output: d(n, this.outputNs),
        // No response cache.
        cache_hit: d(0, 0),
        cache_miss: d(0, 0),
      },
      batch_stats: batchStats,
    };
  }
}

/**
 * Every version's statistics, by model and version. A version keeps its counters when it is
 * reloaded (same model, same version number) for as long as the service runs.
 */
export class InferenceStatistics {
  private readonly byVersion = new Map<string, VersionStatistics>();

  /** The counters of one version (made on first use; look it up once, not per call). */
  forVersion(model: string, version: string): VersionStatistics {
    const key = `${model}\u0000${version}`;
    let s = this.byVersion.get(key);
    if (!s) this.byVersion.set(key, (s = new VersionStatistics()));
    return s;
  }
}

/** What {@link modelStatistics} reads of the model manager. */
export interface ServedModels {
  resolve(name: string, version: string): { model: string; version: string };
  servedVersions(name: string): readonly { model: string; version: string }[];
  loadedModels(): string[];
}

/**
 * The statistics the ModelStatistics RPC answers: every served version of every model (`name`
 * empty), of one model (`version` empty), or of one version.
 * @throws InvalidArgumentError naming `version` when a version is given without a name;
 *   NotFoundError (UnavailableError while it loads) when the model or version is not served.
 */
export function modelStatistics(models: ServedModels, stats: InferenceStatistics, name: string, version: string): ModelStatistics[] {
  if (name === '' && version !== '') throw new InvalidArgumentError('version needs a name: leave both empty for every model', { field: 'version' });
  const versions = name === '' ? models.loadedModels().flatMap((m) => models.servedVersions(m)) : version === '' ? (models.resolve(name, ''), models.servedVersions(name)) : [models.resolve(name, version)];
  return versions.map((v) => stats.forVersion(v.model, v.version).snapshot(v.model, v.version));
}
