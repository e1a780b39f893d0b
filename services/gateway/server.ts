import { InvalidArgumentError, NotFoundError, UnavailableError, clip } from '../../shared/errors/index.js';
import type { CallContext } from '../../shared/grpc/index.js';
import type { GatewayServiceHandlers } from '../../shared/generated/mlmesh/gateway/v1/GatewayService.js';
import type { DeploymentInfo } from '../../shared/generated/mlmesh/gateway/v1/DeploymentInfo.js';
import type { GetDeploymentResponse } from '../../shared/generated/mlmesh/gateway/v1/GetDeploymentResponse.js';
import type { GetVersionResponse } from '../../shared/generated/mlmesh/gateway/v1/GetVersionResponse.js';
import type { ListDeploymentsResponse } from '../../shared/generated/mlmesh/gateway/v1/ListDeploymentsResponse.js';
import type { PredictRequest__Output } from '../../shared/generated/mlmesh/gateway/v1/PredictRequest.js';
import type { PredictResponse } from '../../shared/generated/mlmesh/gateway/v1/PredictResponse.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import type { Binding } from './binding.js';
import { API_VERSION, predict } from './predict.js';
import type { PredictDeps } from './predict.js';
import type { DeploymentRegistry } from './registry.js';

/** What the handlers need. */
export interface HandlerDeps extends PredictDeps {
  readonly registry: DeploymentRegistry;
  readonly maxRows: number;
  readonly maxFields: number;
  readonly defaultTimeoutMs: number;
  /** The gateway's software version. */
  readonly serverVersion: string;
}

/** The summary of a binding on the wire. */
export function deploymentInfo(b: Binding): DeploymentInfo {
  return {
    name: b.spec.name,
    version: b.spec.version,
    sha256: b.spec.sha256,
    description: b.spec.description,
    model_name: b.model.name,
    pipeline: `${b.pipeline.name}@${b.pipeline.version}`,
    pipeline_sha256: b.pipeline.sha256,
    feature_versions: [...b.featureVersions],
    file: b.file,
    loaded_at: b.loadedAt.toISOString(),
    request_fields: [...b.fields],
  };
}

/**
 * The binding of `name`.
 * @throws UnavailableError (retryable) while the gateway's start-up read of the deployments
 *   folder is under way: the deployment may be one it is binding. NotFoundError naming the
 *   deployments there are once that read is done.
 */
export function lookup(reg: DeploymentRegistry, name: string): Binding {
  const b = reg.get(name);
  if (b) return b;
  if (!reg.loaded) throw new UnavailableError(`deployment '${clip(name, 100)}' is not served yet: the gateway is starting (loading its deployments), retry shortly`);
  const known = reg.list().map((x) => x.spec.name);
  throw new NotFoundError(`deployment '${clip(name, 100)}' is not loaded (loaded: ${known.length > 0 ? clip(known.join(', '), 300) : 'none'})`, { resource: { type: 'deployment', name: clip(name, 100) } });
}

/**
 * Runs a decoded Predict request: limits, the deployment, the deadline (the caller's, else
 * `defaultTimeoutMs`), then {@link predict}. Shared by the gRPC handler and the HTTP route.
 */
export async function runPredict(d: HandlerDeps, req: PredictRequest__Output, ctx: Pick<CallContext, 'deadlineMs' | 'signal' | 'requestId'> & { bind?: (f: Record<string, unknown>) => void }): Promise<PredictResponse> {
  const b = lookup(d.registry, req.deployment);
  ctx.bind?.({ deployment: b.spec.name, deployment_version: b.spec.version });
  if (req.rows.length > d.maxRows) throw new InvalidArgumentError(`rows: ${req.rows.length} rows, at most ${d.maxRows} per request (option maxRows)`, { field: 'rows' });
  for (const [i, r] of req.rows.entries()) {
    const n = Object.keys(r.fields).length;
    if (n > d.maxFields) throw new InvalidArgumentError(`rows[${i}].fields: ${n} fields, at most ${d.maxFields} (option maxFields)`, { field: `rows[${i}].fields` });
  }
  const asOfMs = Number(req.as_of_ms);
  if (!Number.isSafeInteger(asOfMs) || asOfMs < 0) throw new InvalidArgumentError(`as_of_ms: must be epoch milliseconds ≥ 0 (0: now), got ${clip(String(req.as_of_ms))}`, { field: 'as_of_ms' });
  const deadlineMs = Math.min(ctx.deadlineMs, Date.now() + d.defaultTimeoutMs);
  const end = d.metrics.predictSeconds.startTimer({ deployment: b.spec.name });
  try {
    return await predict(b, { rows: req.rows, asOfMs }, { deadlineMs, signal: ctx.signal, requestId: ctx.requestId }, d);
  } finally {
    end();
  }
}

/** The GetVersion answer. */
export function versionInfo(d: HandlerDeps): GetVersionResponse {
  return {
    api_version: API_VERSION,
    server_version: d.serverVersion,
    deployments: d.registry.list().map((b) => ({
      deployment: b.spec.name,
      version: b.spec.version,
      sha256: b.spec.sha256,
      model_name: b.model.name,
      model_versions: [...(d.serving.versions(b.model.name).length > 0 ? d.serving.versions(b.model.name) : b.model.versionsAtLoad)],
      pipeline: `${b.pipeline.name}@${b.pipeline.version}`,
      pipeline_sha256: b.pipeline.sha256,
      feature_versions: [...b.featureVersions],
    })),
  };
}

/** The handlers of `mlmesh.gateway.v1.GatewayService`: thin, the work is in predict.ts. */
export function gatewayHandlers(d: HandlerDeps): PromiseHandlers<GatewayServiceHandlers> {
  return {
    Predict: (req: PredictRequest__Output, ctx: CallContext): Promise<PredictResponse> => runPredict(d, req, ctx),
    GetVersion: (): Promise<GetVersionResponse> => Promise.resolve(versionInfo(d)),
    ListDeployments: (): Promise<ListDeploymentsResponse> =>
      Promise.resolve({
        deployments: d.registry.list().map(deploymentInfo),
        refused: d.registry.refused().map((r) => ({ file: r.file, name: r.name, version: r.version, reason: r.reason, refused_at: r.at.toISOString() })),
      }),
    GetDeployment: (req): Promise<GetDeploymentResponse> => {
      const b = lookup(d.registry, req.name);
      return Promise.resolve({ deployment: deploymentInfo(b), spec_json: b.spec.canonical });
    },
  };
}
