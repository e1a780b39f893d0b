import type { Logger } from '../../shared/logging/index.js';
import { DynamicBatcher } from './batcher.js';
import type { InferJob, JobResult } from './batcher.js';
import type { ModelConfig } from './model-config.js';
import type { Manifest } from './manifest.js';
import { verifyManifest } from './manifest.js';
import type { InferenceMetrics } from './metrics.js';
import { buildSignature } from './signature.js';
import type { ModelSignature } from './signature.js';
import { InstancePool } from './worker-pool.js';
import { join } from 'node:path';

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
   * warm-up run), checks the ONNX inputs/outputs against the config and opens its batcher.
   * @throws ModelLoadError with the reason when any step fails.
   */
  static async load(opts: {
    model: string;
    version: number;
    dir: string;
    config: ModelConfig;
    metrics: InferenceMetrics;
    logger: Logger;
  }): Promise<ModelVersion> {
    const where = `model '${opts.model}' version ${opts.version}`;
    const { manifest, digest } = await verifyManifest(opts.dir, where);
    const label = `${opts.model}@${opts.version}`;
    let batcher: DynamicBatcher | undefined;
    const pool = await InstancePool.create({
      label,
      modelPath: join(opts.dir, 'model.onnx'),
      count: opts.config.instanceCount,
      executionProviders: opts.config.executionProviders,
      intraOpThreads: opts.config.intraOpThreads,
      logger: opts.logger,
      onIdle: () => batcher?.schedule(),
    });
    try {
      const signature = buildSignature(where, opts.config, pool.inputs, pool.outputs);
      batcher = new DynamicBatcher(
        label,
        opts.config,
        pool,
        signature.outputs.map((o) => o.name),
        opts.metrics.observerFor(opts.model, String(opts.version)),
      );
      opts.logger.info({ model: opts.model, version: opts.version, instances: opts.config.instanceCount, providers: pool.providers }, 'model version loaded');
      return new ModelVersion(opts.model, String(opts.version), opts.config, manifest, digest, signature, pool, batcher);
    } catch (e: unknown) {
      await pool.close();
      throw e;
    }
  }

  /** Current state: only 'ready' versions take new requests. */
  get state(): VersionState {
    return this.stateValue;
  }

  /** Requests waiting in this version's queue. */
  get queued(): number {
    return this.batcher.queued;
  }

  /** Instances running a batch now. */
  get busyInstances(): number {
    return this.pool.busyCount;
  }

  /** Queues a validated request. See {@link DynamicBatcher.submit}. */
  infer(job: InferJob): Promise<JobResult> {
    return this.batcher.submit(job);
  }

  /** Fault injection for tests: crashes one session worker. */
  crashInstance(index: number): void {
    this.pool.crashInstance(index);
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

  /** Hard stop: queued requests fail with UNAVAILABLE, workers terminate. */
  async close(): Promise<void> {
    this.stateValue = 'closed';
    this.batcher.close();
    await this.pool.close();
  }
}
