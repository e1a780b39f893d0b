import type { GetDeploymentResponse__Output } from '../generated/mlmesh/gateway/v1/GetDeploymentResponse.js';
import type { GetVersionResponse__Output } from '../generated/mlmesh/gateway/v1/GetVersionResponse.js';
import type { ListDeploymentsResponse__Output } from '../generated/mlmesh/gateway/v1/ListDeploymentsResponse.js';
import type { PredictRequest } from '../generated/mlmesh/gateway/v1/PredictRequest.js';
import type { PredictResponse__Output } from '../generated/mlmesh/gateway/v1/PredictResponse.js';
import type { Row } from '../generated/mlmesh/gateway/v1/Row.js';
import type { Value } from '../generated/mlmesh/gateway/v1/Value.js';
import { SERVICES } from './methods.js';
import type { CallOptions, ClientOptions } from './options.js';
import { ServiceClient } from './service-client.js';

/** A row as plain values: numbers (integers go as int64 unless `doubles` names them), strings, booleans, null. */
export type PlainRow = Readonly<Record<string, number | bigint | string | boolean | null>>;

/** Options of {@link GatewayClient.predictRows}. */
export interface PredictRowsOptions extends CallOptions {
  /** Read features as of this time (a Date or epoch ms); unset: now. */
  asOf?: Date | number;
  /** Fields whose integral numbers must go as doubles (the deployment's `double` fields take int64 too, so this is rarely needed). */
  doubles?: readonly string[];
}

/** One plain value as a gateway Value. */
export function toGatewayValue(v: number | bigint | string | boolean | null, double = false): Value {
  if (v === null) return { null_value: 'NULL_VALUE' };
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (typeof v === 'bigint') return { int64_value: v.toString() };
  if (!double && Number.isSafeInteger(v)) return { int64_value: String(v) };
  return { double_value: v };
}

/** Plain rows as gateway rows. */
export function toGatewayRows(rows: readonly PlainRow[], doubles: readonly string[] = []): Row[] {
  const d = new Set(doubles);
  return rows.map((r) => ({ fields: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toGatewayValue(v, d.has(k))])) }));
}

/**
 * A client of the gateway (`mlmesh.gateway.v1.GatewayService`): one call for a prediction —
 * features, preprocessing and inference behind it — with a result or the errors per row.
 *
 * ```ts
 * const gateway = new GatewayClient('127.0.0.1:8041');
 * const res = await gateway.predictRows('credit', [{ applicant_id: '2143134', loan_amount: 12000 }]);
 * for (const r of res.rows) console.log(r.prediction?.label ?? r.errors);
 * ```
 */
export class GatewayClient extends ServiceClient {
  /** @throws TypeError when an option is out of range. */
  constructor(address: string, options?: ClientOptions) {
    super(SERVICES.gateway, address, options);
  }

  /** Predict with a request message. Retried on UNAVAILABLE (every hop is idempotent). */
  predict(request: PredictRequest, opts?: CallOptions): Promise<PredictResponse__Output> {
    return this.unary('Predict', request, opts);
  }

  /** Predict with plain rows (`{ field: value }`); see {@link toGatewayValue} for how values are typed. */
  predictRows(deployment: string, rows: readonly PlainRow[], opts: PredictRowsOptions = {}): Promise<PredictResponse__Output> {
    const { asOf, doubles, ...call } = opts;
    const asOfMs = asOf === undefined ? 0 : asOf instanceof Date ? asOf.getTime() : asOf;
    return this.predict({ deployment, rows: toGatewayRows(rows, doubles), as_of_ms: asOfMs }, call);
  }

  /** GetVersion: the API version and what serves each deployment. */
  getVersion(opts?: CallOptions): Promise<GetVersionResponse__Output> {
    return this.unary('GetVersion', {}, opts);
  }

  /** ListDeployments: the deployments loaded and the files refused. */
  listDeployments(opts?: CallOptions): Promise<ListDeploymentsResponse__Output> {
    return this.unary('ListDeployments', {}, opts);
  }

  /** GetDeployment: one deployment and its spec (canonical JSON). */
  getDeployment(name: string, opts?: CallOptions): Promise<GetDeploymentResponse__Output> {
    return this.unary('GetDeployment', { name }, opts);
  }
}
