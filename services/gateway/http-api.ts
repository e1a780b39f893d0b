/**
 * The gateway's HTTP/JSON front, on the host's HTTP port (fastify), with the gRPC semantics:
 *
 *   POST /v1/deployments/{name}/predict   {"rows": [{field: value}], "as_of": ISO 8601 | epoch ms}
 *   GET  /v1/deployments                  ListDeployments
 *   GET  /v1/deployments/{name}           GetDeployment
 *   GET  /version                         GetVersion
 *   GET  /health                          200 {"status": "SERVING", …} or 503
 *
 * A predict runs the same code as the gRPC Predict (limits, deadline, request id, hops, cache).
 * The deadline is the `x-timeout-ms` header (else the gateway's defaultTimeoutMs); the request
 * id the `x-request-id` header (sent back). JSON values: a string, a boolean, null, a number
 * (an integer travels as int64, which `double` fields take too; send ids beyond 2^53 as strings).
 * Errors are `{"error": "..."}` with the HTTP status of the gRPC code (404 unknown deployment,
 * 400 bad request, 503 a hop UNAVAILABLE, 504 a deadline); row errors are in the 200 answer.
 */
import { InvalidArgumentError, clip } from '../../shared/errors/index.js';
import { statusName, toGrpcStatus } from '../../shared/grpc/index.js';
import type { CallContext } from '../../shared/grpc/index.js';
import { JSON_TYPE, httpCallContext, httpStatusOfCode, sendError } from '../../shared/http/index.js';
import type { FastifyInstance, FastifyReply, FastifyRequest, HttpCall } from '../../shared/http/index.js';
import type { Row__Output } from '../../shared/generated/mlmesh/gateway/v1/Row.js';
import type { Value__Output } from '../../shared/generated/mlmesh/gateway/v1/Value.js';
import type { PredictResponse } from '../../shared/generated/mlmesh/gateway/v1/PredictResponse.js';
import { deploymentInfo, lookup, runPredict, versionInfo } from './server.js';
import type { HandlerDeps } from './server.js';

const PREDICT_KEYS = ['rows', 'as_of', 'as_of_ms'];

function bad(field: string, message: string): never {
  throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

/** A JSON value as a gateway Value. */
function jsonValue(v: unknown, field: string): Value__Output {
  if (v === null) return { null_value: 'NULL_VALUE', kind: 'null_value' };
  if (typeof v === 'string') return { string_value: v, kind: 'string_value' };
  if (typeof v === 'boolean') return { bool_value: v, kind: 'bool_value' };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(field, 'must be a finite number');
    return Number.isSafeInteger(v) ? { int64_value: String(v), kind: 'int64_value' } : { double_value: v, kind: 'double_value' };
  }
  return bad(field, `must be a string, a number, a boolean or null, got ${Array.isArray(v) ? 'a list' : typeof v}`);
}

/** The `as_of` of a body: ISO 8601 text or epoch ms; 0 when absent. */
function asOfMs(body: Record<string, unknown>): number {
  const v = body['as_of'] ?? body['as_of_ms'];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && Number.isFinite(Date.parse(v))) return Date.parse(v);
  return bad('as_of', `must be an ISO 8601 date-time with its offset or epoch milliseconds, got ${clip(JSON.stringify(v), 60)}`);
}

/** A predict body as the gRPC request. */
export function decodePredictBody(name: string, body: unknown, maxRows: number): { deployment: string; rows: Row__Output[]; as_of_ms: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('body', 'must be a JSON object {"rows": [...]}');
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!PREDICT_KEYS.includes(k)) bad(clip(k, 60), `unknown key (known: ${PREDICT_KEYS.join(', ')})`);
  const rows = o['rows'];
  if (!Array.isArray(rows)) bad('rows', 'must be a list of objects');
  // Checked here too, so a huge body is refused before every row is decoded.
  if (rows.length > maxRows) bad('rows', `${rows.length} rows, at most ${maxRows} per request (option maxRows)`);
  return {
    deployment: name,
    as_of_ms: String(asOfMs(o)),
    rows: rows.map((r: unknown, i) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) bad(`rows[${i}]`, 'must be an object of field: value');
      return { fields: Object.fromEntries(Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, jsonValue(v, `rows[${i}].${clip(k, 60)}`)])) };
    }),
  };
}

/** A Predict answer as JSON: a row has `prediction` or `errors`. */
export function predictJson(res: PredictResponse): Record<string, unknown> {
  return {
    deployment: res.deployment,
    deployment_version: res.deployment_version,
    deployment_sha256: res.deployment_sha256,
    model_name: res.model_name,
    model_version: res.model_version,
    pipeline: res.pipeline,
    pipeline_sha256: res.pipeline_sha256,
    feature_versions: res.feature_versions,
    request_id: res.request_id,
    api_version: res.api_version,
    predicted_rows: res.predicted_rows,
    error_rows: res.error_rows,
    cached_rows: res.cached_rows,
    rows: (res.rows ?? []).map((r) =>
      r.prediction
        ? { row: r.row, prediction: { ...r.prediction, shape: (r.prediction.shape ?? []).map(Number) }, cached: r.cached, model_version: r.model_version }
        : { row: r.row, errors: r.errors },
    ),
  };
}

async function withCall(req: FastifyRequest, reply: FastifyReply, method: string, fn: (ctx: CallContext, call: HttpCall) => Promise<FastifyReply>): Promise<FastifyReply> {
  let call: HttpCall | undefined;
  try {
    call = httpCallContext(req, reply, { method });
    return await fn(call.ctx, call);
  } catch (e: unknown) {
    const st = toGrpcStatus(e, call?.ctx.requestId);
    if (call) call.ctx.log.info({ code: statusName(st.code) }, st.details);
    return sendError(reply, httpStatusOfCode(st.code), st.details);
  } finally {
    call?.finish();
  }
}

/** The routes for the host's `routes` hook. `ready` is the service's readiness. */
export function gatewayHttpRoutes(d: HandlerDeps, ready: () => boolean): (app: FastifyInstance) => void {
  return (app) => {
    app.post('/v1/deployments/:name/predict', (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) =>
      withCall(req, reply, 'Predict', async (ctx, call) => {
        const request = decodePredictBody(req.params.name, req.body, d.maxRows);
        const res = await runPredict(d, request, ctx);
        call.answering();
        return reply.type(JSON_TYPE).send(predictJson(res));
      }),
    );
    app.get('/v1/deployments', (req: FastifyRequest, reply: FastifyReply) =>
      withCall(req, reply, 'ListDeployments', async () =>
        reply.type(JSON_TYPE).send({
          deployments: d.registry.list().map(deploymentInfo),
          refused: d.registry.refused().map((r) => ({ file: r.file, name: r.name, version: r.version, reason: r.reason, refused_at: r.at.toISOString() })),
        }),
      ),
    );
    app.get('/v1/deployments/:name', (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) =>
      withCall(req, reply, 'GetDeployment', async () => {
        const b = lookup(d.registry, req.params.name);
        return reply.type(JSON_TYPE).send({ deployment: deploymentInfo(b), spec: JSON.parse(b.spec.canonical) as unknown });
      }),
    );
    app.get('/version', (req: FastifyRequest, reply: FastifyReply) => withCall(req, reply, 'GetVersion', async () => reply.type(JSON_TYPE).send(versionInfo(d))));
    app.get('/health', (_req: FastifyRequest, reply: FastifyReply) => {
      const ok = ready();
      return reply
        .code(ok ? 200 : 503)
        .type(JSON_TYPE)
        .send({ status: ok ? 'SERVING' : 'NOT_SERVING', deployments: d.registry.list().length, refused: d.registry.refused().length });
    });
  };
}
