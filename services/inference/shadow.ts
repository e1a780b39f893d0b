import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { errorMessage } from '../../shared/errors/index.js';
import type { ModelInferRequest__Output } from '../../shared/generated/inference/ModelInferRequest.js';
import type { Logger } from '../../shared/logging/index.js';
import type { ModelManager } from './model-manager.js';
import type { PredictionLogger } from './prediction-log.js';
import { decodeInferRequest } from './request.js';
import { submitSplit } from './split.js';

/** What happened to a shadow copy (label `outcome` of mlmesh_inference_shadow_requests_total). */
export type ShadowOutcome = 'run' | 'dropped' | 'failed';

/** Options of {@link ShadowRunner}. */
export interface ShadowRunnerOptions {
  manager: Pick<ModelManager, 'find'>;
  /** Where a shadow copy's outputs go (and nowhere else). */
  predictionLog: PredictionLogger | undefined;
  logger: Logger;
  registry: Registry;
  /** Copies running at once; past it a copy is dropped (0: every copy is dropped). */
  maxInFlight: number;
  /** Deadline of one copy, in ms. */
  timeoutMs: number;
  /** Largest request, in multiples of max_batch_size (option maxRequestBatches), as for the primary. */
  maxRequestBatches: number;
}

/** One shadow copy to run: the caller's request, as received, for another version. */
export interface ShadowJob {
  model: string;
  version: string;
  request: ModelInferRequest__Output;
  requestId: string;
  routeRevision: number;
}

/**
 * Runs shadow copies of routed requests on their shadow versions, after the caller's answer has
 * been sent: bounded (at most `maxInFlight` at once, the excess dropped and counted, never
 * queued here), each with its own deadline, outputs only to the prediction log (shadow = true,
 * route = "shadow", the caller's request id). A failure is counted and logged at debug, never
 * surfaced to anyone.
 */
export class ShadowRunner {
  private inFlight = 0;
  private draining = false;
  private readonly running = new Set<Promise<void>>();
  private readonly outcomes: Counter<'model' | 'version' | 'outcome'>;
  private readonly gauge: Gauge;

  constructor(private readonly o: ShadowRunnerOptions) {
    this.outcomes = new Counter({
      name: 'mlmesh_inference_shadow_requests_total',
      help: 'Shadow copies of routed requests, by outcome: run (answered and logged), dropped (shadowMaxInFlight copies were running, or the server was draining), failed.',
      labelNames: ['model', 'version', 'outcome'],
      registers: [o.registry],
    });
    this.gauge = new Gauge({ name: 'mlmesh_inference_shadow_in_flight', help: 'Shadow copies running now.', registers: [o.registry] });
  }

  /** Copies running now. */
  get active(): number {
    return this.inFlight;
  }

  /** Starts a copy, or drops it when `maxInFlight` copies are running. Never throws. */
  submit(job: ShadowJob): void {
    if (this.draining || this.inFlight >= this.o.maxInFlight) {
      this.outcomes.inc({ model: job.model, version: job.version, outcome: 'dropped' });
      return;
    }
    this.inFlight++;
    this.gauge.inc();
    const p = this.run(job).finally(() => {
      this.inFlight--;
      this.gauge.dec();
      this.running.delete(p);
    });
    this.running.add(p);
  }

  private async run(job: ShadowJob): Promise<void> {
    const t0 = process.hrtime.bigint();
    try {
      const mv = this.o.manager.find(job.model, job.version);
      if (!mv) throw new Error(`version ${job.version} is not served`);
      // Decoded against the shadow version's own signature: it may differ from the primary's.
      const max = mv.config.maxBatchSize;
      const decoded = decodeInferRequest(job.request, mv.signature, max, max * this.o.maxRequestBatches);
      const result = await submitSplit((j) => mv.infer(j), { inputs: decoded.inputs, rows: decoded.rows, key: decoded.key, outputs: decoded.outputs, signal: AbortSignal.timeout(this.o.timeoutMs) }, max);
      this.o.predictionLog?.record({
        requestId: job.requestId,
        model: mv.model,
        version: mv.version,
        config: mv.config,
        latencyUs: Number(process.hrtime.bigint() - t0) / 1e3,
        timeMs: Date.now(),
        inputs: decoded.inputs,
        outputs: result.outputs.filter((out) => decoded.outputs.includes(out.name)),
        parameters: job.request.parameters,
        route: 'shadow',
        routeRevision: job.routeRevision,
        shadow: true,
      });
      this.outcomes.inc({ model: job.model, version: job.version, outcome: 'run' });
    } catch (e: unknown) {
      // Never surfaced: the caller has its answer; the copy only feeds the comparison.
      this.outcomes.inc({ model: job.model, version: job.version, outcome: 'failed' });
      this.o.logger.debug({ model: job.model, version: job.version, requestId: job.requestId, err: errorMessage(e) }, 'shadow copy failed');
    }
  }

  /** Drops copies from now on and waits for the running ones (before the models drain). */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all([...this.running]);
  }
}
