import { PROTO_FILES } from '../protos/index.js';
import type { ResolvedRetryOptions } from './options.js';

/** How the client treats one RPC. */
export interface MethodPolicy {
  /** Safe to send twice: UNAVAILABLE is retried. */
  readonly idempotent: boolean;
  /** Gets the client's `longTimeoutMs` rather than `timeoutMs` by default. */
  readonly long: boolean;
  /** A server stream (no default deadline). */
  readonly stream: boolean;
  /** A bidirectional stream (the client streams too); never retried. */
  readonly bidi?: boolean;
}

/** What the client knows of one service. */
export interface ServiceSpec {
  /** Fully-qualified name, e.g. `inference.GRPCInferenceService`. */
  readonly name: string;
  /** Its .proto file, relative to `protos/`. */
  readonly proto: string;
  /** Every RPC of the service, by method name. */
  readonly methods: Readonly<Record<string, MethodPolicy>>;
}

const read: MethodPolicy = { idempotent: true, long: false, stream: false };
const readStream: MethodPolicy = { idempotent: true, long: false, stream: true };
const write: MethodPolicy = { idempotent: false, long: false, stream: false };
const longWrite: MethodPolicy = { idempotent: false, long: true, stream: false };
const longRead: MethodPolicy = { idempotent: true, long: true, stream: false };
const bidi: MethodPolicy = { idempotent: false, long: false, stream: true, bidi: true };

/**
 * Every RPC of every service in `protos/`, with the retry and deadline choice for it. Reads are
 * idempotent. So are:
 * - ModelInfer and Transform: pure functions of the request. The only side effect of ModelInfer
 *   is its prediction log, published with `Nats-Msg-Id` = the request id, and the client sends the
 *   same `x-request-id` on every attempt, so JetStream stores a retried prediction once;
 * - TwoSampleTest: a pure computation (seeded);
 * - Predict (gateway): features read, Transform and ModelInfer, each idempotent, with the same
 *   request id on every attempt;
 * - RegisterFeature and RegisterFeatureService: idempotent by design (the same content again is
 *   a no-op; a retry whose first attempt did register answers `created: false`).
 * Not retried: ModelStreamInfer (a stream), StartRollout, Pause, Resume, Promote, Abort (a retry could act twice), WriteFeatures (a late retry could overwrite a newer value written meanwhile),
 * Materialize, Fit (an empty version takes the next integer: a retry could store two versions),
 * RepositoryModelLoad/Unload (a retry could reorder two clients' loads), ReplaceReference.
 */
export const SERVICES = {
  inference: {
    name: 'inference.GRPCInferenceService',
    proto: PROTO_FILES.inference,
    methods: {
      ServerLive: read,
      ServerReady: read,
      ModelReady: read,
      ServerMetadata: read,
      ModelMetadata: read,
      ModelInfer: read,
      ModelStreamInfer: bidi,
      ModelConfig: read,
      ModelStatistics: read,
      RepositoryIndex: read,
      RepositoryModelLoad: longWrite,
      RepositoryModelUnload: longWrite,
    },
  },
  preprocess: {
    name: 'mlmesh.preprocess.v1.PreprocessService',
    proto: PROTO_FILES.preprocess,
    methods: { Transform: read, Fit: longWrite, GetPipeline: read, ListPipelines: read },
  },
  features: {
    name: 'mlmesh.features.v1.FeatureService',
    proto: PROTO_FILES.features,
    methods: {
      GetOnlineFeatures: read,
      GetHistoricalFeatures: readStream,
      WriteFeatures: write,
      Materialize: longWrite,
      RegisterFeature: read,
      GetFeature: read,
      ListFeatures: read,
      RegisterFeatureService: read,
      GetFeatureService: read,
      ListFeatureServices: read,
    },
  },
  gateway: {
    name: 'mlmesh.gateway.v1.GatewayService',
    proto: PROTO_FILES.gateway,
    methods: { Predict: read, GetVersion: read, ListDeployments: read, GetDeployment: read },
  },
  monitor: {
    name: 'mlmesh.monitor.v1.MonitorService',
    proto: PROTO_FILES.monitor,
    methods: { GetStatus: read, ListReports: read, GetReport: read, WatchReports: readStream, ReplaceReference: longWrite, TwoSampleTest: longRead, GetLabelQueue: read, GetQuality: read, GetSegments: read },
  },
  rollout: {
    name: 'mlmesh.rollout.v1.RolloutService',
    proto: PROTO_FILES.rollout,
    methods: { StartRollout: write, GetRollout: read, ListRollouts: read, WatchRollout: readStream, Pause: write, Resume: write, Promote: write, Abort: write },
  },
  retrainer: {
    name: 'mlmesh.retrainer.v1.RetrainerService',
    proto: PROTO_FILES.retrainer,
    methods: { Retrain: write, ListRuns: read, GetRun: read, WatchRun: readStream, CancelRun: write, GetLineage: read },
  },
} as const satisfies Record<string, ServiceSpec>;

/** A gRPC duration string (`0.1s`), to the ms, at least 1 ms. */
function seconds(ms: number): string {
  const text = (Math.max(1, Math.round(ms)) / 1000).toFixed(3);
  return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text}s`;
}

/**
 * The gRPC service config (JSON, for the `grpc.service_config` channel option) that retries
 * UNAVAILABLE on the idempotent methods of `spec` and picks the load-balancing policy;
 * undefined when retries are off and the policy is grpc-js's default (pick_first).
 */
export function serviceConfig(spec: ServiceSpec, retry: ResolvedRetryOptions | undefined, loadBalancing: 'pick_first' | 'round_robin' = 'pick_first'): string | undefined {
  const loadBalancingConfig = loadBalancing === 'round_robin' ? [{ round_robin: {} }] : [];
  const names = Object.entries(spec.methods)
    .filter(([, p]) => p.idempotent)
    .map(([method]) => ({ service: spec.name, method }));
  if (!retry || names.length === 0) return loadBalancing === 'round_robin' ? JSON.stringify({ loadBalancingConfig, methodConfig: [] }) : undefined;
  return JSON.stringify({
    loadBalancingConfig,
    methodConfig: [
      {
        name: names,
        retryPolicy: {
          maxAttempts: retry.maxAttempts,
          initialBackoff: seconds(retry.initialBackoffMs),
          maxBackoff: seconds(retry.maxBackoffMs),
          backoffMultiplier: retry.backoffMultiplier,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ],
  });
}
