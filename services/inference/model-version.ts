import { UnavailableError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { DynamicBatcher } from './batcher.js';
import type { InferJob, JobResult } from './batcher.js';
import { completeModelConfig } from './model-config.js';
import type { ModelConfig, ParsedModelConfig } from './model-config.js';
import type { Manifest } from './manifest.js';
import { verifyManifest } from './manifest.js';
import type { InferenceMetrics } from './metrics.js';
import { buildSignature } from './signature.js';
import type { ModelSignature } from './signature.js';
import { InstancePool } from './worker-pool.js';

/** Lifecycle of a loaded version. */
export type VersionState = 'ready' | 'draining' | 'closed';

/**
 * One served model version: its verified files, signature, session workers and batcher.
 * Requests that resolved to it keep it alive while it drains, so a swap never drops one.
 */
export class ModelVersion {
  private stateValue: VersionState = 'ready';
  private drained: Promise<void> | undefined;

  private constructor(
    readonly model: string,
    readonly version: string,
    readonly config: ModelConfig,
    readonly manifest: Manifest,
    /** SHA-256 of manifest.json as loaded: a reload keeps this version if it is unchanged. */
    readonly manifestDigest: string,
    readonly signature: ModelSignature,
    private readonly pool: InstancePool,
    private readonly batcher: DynamicBatcher,
  ) {}

  /**
   * Verifies the version's manifest (SHA-256 of every file), starts its session workers (with a
   * warm-up run of the served outputs), completes the config from the ONNX file (see
   * {@link completeModelConfig}), checks the ONNX inputs/outputs against it and opens its batcher.
   * @throws ModelLoadError with the reason when any step fails.
   */
  static async load(opts: {
    model: string;
    version: number;
    dir: string;
    config: ParsedModelConfig;
    /** `max_batch_size` for a config that leaves it out and a model that can batch. */
    defaultMaxBatchSize: number;
    metrics: InferenceMetrics;
    logger: Logger;
  }): Promise<ModelVersion> {
    const where = `model '${opts.model}' version ${opts.version}`;
    const { manifest, digest, model } = await verifyManifest(opts.dir, where);
    const shared = new SharedArrayBuffer(model.byteLength);
    new Uint8Array(shared).set(model);
    const label = `${opts.model}@${opts.version}`;
    let batcher: DynamicBatcher | undefined;
    const pool = await InstancePool.create({
      label,
      model: shared,
      count: opts.config.instanceCount,
      executionProviders: opts.config.executionProviders,
      intraOpThreads: opts.config.intraOpThreads,
      // Only the outputs the config serves are fetched: others may be of types onnxruntime-node
      // cannot return (skl2onnx's ZipMap, a sequence of maps).
      ...(opts.config.outputs.length > 0 ? { warmupOutputs: opts.config.outputs.map((o) => o.name) } : {}),
      logger: opts.logger,
      onIdle: () => batcher?.schedule(),
      onUnhealthy: (reason) => batcher?.failQueued(new UnavailableError(reason)),
    });
    try {
      const { config, auto } = completeModelConfig(opts.config, pool.inputs, pool.outputs, opts.defaultMaxBatchSize);
      const signature = buildSignature(where, config, pool.inputs, pool.outputs);
      batcher = new DynamicBatcher(label, config, pool, opts.metrics.observerFor(opts.model, String(opts.version)));
      opts.logger.info(
        { model: opts.model, version: opts.version, instances: config.instanceCount, providers: pool.providers, maxBatchSize: config.maxBatchSize, ...(auto ? { autoConfig: auto } : {}) },
        'model version loaded',
      );
      return new ModelVersion(opts.model, String(opts.version), config, manifest, digest, signature, pool, batcher);
    } catch (e: unknown) {
      await pool.close();
      throw e;
    }
  }

  /** Current state: only 'ready' versions take new requests. */
  get state(): VersionState {
    return this.stateValue;
  }

  /**
   * Why this version cannot serve now although it is loaded (every instance dead and failing to
   * restart), or undefined when it can.
   */
  get unavailableReason(): string | undefined {
    if (this.stateValue !== 'ready') return `version ${this.version} is ${this.stateValue}`;
    return this.pool.unhealthyReason;
  }

  /** Requests waiting in this version's queue. */
  get queued(): number {
    return this.batcher.queued;
  }

  /** Instances running a batch now. */
  get busyInstances(): number {
    return this.pool.busyCount;
  }

  /**
   * Queues a validated request. See {@link DynamicBatcher.submit}.
   * @throws (rejects) UnavailableError at once when no instance can run it.
   */
  infer(job: InferJob): Promise<JobResult> {
    const unhealthy = this.pool.unhealthyReason;
    if (unhealthy) return Promise.reject(new UnavailableError(unhealthy));
    return this.batcher.submit(job);
  }

  /** Fault injection for tests: see {@link InstancePool.crashInstance}. */
  crashInstance(index: number, opts: { failRestarts?: boolean } = {}): void {
    this.pool.crashInstance(index, opts);
  }

  /** Fault injection for tests: see {@link InstancePool.allowRestarts}. */
  allowRestarts(): void {
    this.pool.allowRestarts();
  }

  /** Stops taking requests, lets queued and running ones finish, then stops the workers. */
  drain(): Promise<void> {
    this.drained ??= (async () => {
      if (this.stateValue === 'ready') this.stateValue = 'draining';
      await this.batcher.drain();
      await this.close();
    })();
    return this.drained;
  }

  /** Hard stop: queued requests fail with UNAVAILABLE, workers exit after their current run. */
  async close(): Promise<void> {
    this.stateValue = 'closed';
    this.batcher.close();
    await this.pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
