/**
 * The three services a Predict calls, through the typed clients of `shared/client`: one
 * channel each, round-robin over the addresses the target resolves to, keepalive, UNAVAILABLE
 * retried (idempotent reads: GetOnlineFeatures, Transform, ModelInfer). {@link callHop} gives a
 * call the time left, the caller's cancel and request id, and names the hop in its failure.
 */
import { FeaturesClient, InferenceClient, PreprocessClient, isRpcError } from '../../shared/client/index.js';
import type { CallOptions, ClientOptions } from '../../shared/client/index.js';
import { Code, CancelledError, DeadlineExceededError, errorMessage } from '../../shared/errors/index.js';
import type { CodeValue } from '../../shared/errors/index.js';
import { HopError } from './errors.js';
import type { Hop } from './errors.js';

/** Addresses and channel settings of the backends. */
export interface BackendOptions {
  featuresAddress: string;
  preprocessAddress: string;
  inferenceAddress: string;
  /** Attempts per call on UNAVAILABLE (1: no retry). */
  retryAttempts: number;
  /** Keepalive ping interval, ms (0: off). */
  keepaliveMs: number;
  /** Channel credentials (the host's: mutual TLS under tlsCaFile). @default plaintext */
  credentials?: ClientOptions['credentials'];
}

/** The clients of the three services. */
export class Backends {
  readonly features: FeaturesClient;
  readonly preprocess: PreprocessClient;
  readonly inference: InferenceClient;

  constructor(readonly options: BackendOptions) {
    const channel: ClientOptions = {
      loadBalancing: 'round_robin',
      keepaliveMs: options.keepaliveMs,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      retry: options.retryAttempts > 1 ? { maxAttempts: options.retryAttempts, initialBackoffMs: 20, maxBackoffMs: 500 } : false,
      // grpc-js waits up to 120 s between reconnects by default: a mesh service that restarts
      // should be used again within seconds.
      channelOptions: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 5000 },
    };
    this.features = new FeaturesClient(options.featuresAddress, channel);
    this.preprocess = new PreprocessClient(options.preprocessAddress, channel);
    this.inference = new InferenceClient(options.inferenceAddress, channel);
  }

  /** The address of a hop, for messages. */
  address(hop: Hop): string {
    return hop === 'features' ? this.options.featuresAddress : hop === 'preprocess' ? this.options.preprocessAddress : this.options.inferenceAddress;
  }

  close(): void {
    this.features.close();
    this.preprocess.close();
    this.inference.close();
  }
}

/** What every hop of one request shares: its deadline, its cancel, its request id. */
export interface RequestBudget {
  /** Epoch ms. */
  readonly deadlineMs: number;
  readonly signal: AbortSignal;
  readonly requestId: string;
}

/** Time kept back from the last hop's share of the deadline for the gateway's answer, in ms (at most 5% of what is left). */
export const ANSWER_MARGIN_MS = 25;

const PASS_THROUGH: ReadonlySet<number> = new Set([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, Code.CANCELLED, Code.RESOURCE_EXHAUSTED, Code.INTERNAL, Code.UNKNOWN, Code.DATA_LOSS]);

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k])) as Record<number, string>;

/**
 * The gateway's status for a hop's failure: UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED,
 * RESOURCE_EXHAUSTED and the internal codes pass through; a hop refusing what the deployment
 * asks (NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION…) is FAILED_PRECONDITION: the
 * deployment no longer fits that service's state.
 */
export function hopStatus(code: number): CodeValue {
  return (PASS_THROUGH.has(code) ? code : Code.FAILED_PRECONDITION) as CodeValue;
}

/**
 * Calls one hop with the time left (at most `hopTimeoutMs`), the request's signal and id.
 * @throws HopError naming the hop: DEADLINE_EXCEEDED when no time is left before it starts or
 *   it runs out, CANCELLED when the caller cancelled, else the hop's own status (see {@link hopStatus}).
 */
export async function callHop<T>(hop: Hop, budget: RequestBudget, hopTimeoutMs: number, address: string, fn: (opts: CallOptions) => Promise<T>): Promise<T> {
  const left = budget.deadlineMs - Date.now();
  if (budget.signal.aborted) throw abortedHop(hop, budget.signal.reason);
  if (left <= 0) throw new HopError(hop, 'DEADLINE_EXCEEDED', Code.DEADLINE_EXCEEDED, 'the request’s deadline passed before this hop started (not called)');
  // The hop must answer a little before the request's deadline, so that the gateway's own
  // answer (naming the hop) reaches the caller before the caller's deadline does.
  const margin = Math.min(ANSWER_MARGIN_MS, Math.floor(left * 0.05));
  const timeoutMs = Math.max(1, Math.min(left - margin, hopTimeoutMs));
  try {
    return await fn({ signal: budget.signal, timeoutMs, requestId: budget.requestId });
  } catch (e: unknown) {
    if (budget.signal.aborted) throw abortedHop(hop, budget.signal.reason, e);
    if (isRpcError(e)) {
      const limit = timeoutMs === hopTimeoutMs ? `the hop's timeout of ${hopTimeoutMs} ms` : `the ${timeoutMs} ms left of the request's deadline`;
      const detail = (e.code as number) === Code.DEADLINE_EXCEEDED ? `no answer within ${limit} (${address})` : `${e.details} (${address})`;
      throw new HopError(hop, e.codeName, hopStatus(e.code), detail, { cause: e });
    }
    throw new HopError(hop, 'INTERNAL', Code.INTERNAL, errorMessage(e), { cause: e });
  }
}

function abortedHop(hop: Hop, reason: unknown, cause?: unknown): HopError {
  if (reason instanceof DeadlineExceededError) return new HopError(hop, 'DEADLINE_EXCEEDED', Code.DEADLINE_EXCEEDED, 'the request’s deadline passed during this hop', { cause: cause ?? reason });
  const why = reason instanceof CancelledError ? reason.message : 'cancelled';
  return new HopError(hop, 'CANCELLED', Code.CANCELLED, why, { cause: cause ?? reason });
}

/** The status name of a code number, e.g. `UNAVAILABLE`. */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? String(code);
}
