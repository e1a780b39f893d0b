/**
 * The HTTP/JSON read beside gRPC, on the service's HTTP port (the one of /metrics and health):
 *
 *   GET /feature/<name>/<version>?pid=<entity id>&date=<ISO 8601>
 *
 * `pid` is the entity id (the same rules as gRPC entity ids); `date` is the point in time: the
 * answer is the value with the latest event time at or before it, as GetOnlineFeatures with
 * as_of_ms answers; without `date`, the latest value (through the cache, its age measured from
 * now). Errors are JSON with the HTTP status: 400 naming the parameter, 404 for an unknown feature
 * or version, 503 when the store cannot be reached.
 */
import { Code, InvalidArgumentError, NotFoundError, isMlmeshError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { sendAnswer } from '../../shared/http/index.js';
import type { FastifyInstance, FastifyReply, FastifyRequest, HttpAnswer } from '../../shared/http/index.js';
import type { Value } from '../../shared/generated/mlmesh/features/v1/Value.js';
import { TimeFormatError } from './errors.js';
import type { FeatureReader } from './reader.js';
import { FEATURE_NAME_PATTERN, checkEntityId, parseRef } from './refs.js';
import type { FeatureRegistry } from './registry.js';
import { parseIsoDateTime } from './times.js';

const ROUTE = /^\/feature(?:\/|$)/;
const FEATURE_PATH = /^\/feature\/([^/]+)\/([^/]+)\/?$/;
const VERSION_PATTERN = /^[1-9][0-9]{0,8}$/;
const USAGE = 'GET /feature/<name>/<version>?pid=<entity id>&date=<ISO 8601>';
const PARAMETERS = ['pid', 'date'];
const JSON_TYPE = 'application/json; charset=utf-8';

/** HTTP statuses of the gRPC codes this route can meet; anything else is 500. */
const HTTP_STATUS: Partial<Record<number, number>> = {
  [Code.INVALID_ARGUMENT]: 400,
  [Code.NOT_FOUND]: 404,
  [Code.FAILED_PRECONDITION]: 409,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.DEADLINE_EXCEEDED]: 504,
  [Code.UNAVAILABLE]: 503,
};

const CODE_NAME = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k])) as Record<number, string>;

/** A 400 naming an HTTP parameter. */
function badParameter(parameter: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`${parameter}: ${message}`, { field: parameter });
}

function json(status: number, body: unknown): HttpAnswer {
  return { status, body: JSON.stringify(body) + '\n', contentType: JSON_TYPE };
}

/** Any thrown value as a JSON error answer (the one mapping of this edge). */
function errorAnswer(e: unknown, logger: Logger): HttpAnswer {
  if (isMlmeshError(e)) {
    const status = HTTP_STATUS[e.code] ?? 500;
    const parameter = e instanceof InvalidArgumentError ? e.field : undefined;
    if (status === 500) logger.error({ err: e }, 'feature HTTP read failed');
    return json(status, { error: { status, code: CODE_NAME[e.code] ?? 'UNKNOWN', message: status === 500 ? 'internal error' : e.message, ...(parameter ? { parameter } : {}) } });
  }
  logger.error({ err: e }, 'feature HTTP read failed');
  return json(500, { error: { status: 500, code: 'INTERNAL', message: 'internal error' } });
}

/** A proto Value as plain JSON: INT64 as a decimal string (JSON numbers lose precision past 2^53). */
function plain(v: Value | undefined): unknown {
  if (v?.float_value !== undefined) return v.float_value;
  if (v?.int64_value !== undefined) return String(v.int64_value);
  if (v?.string_value !== undefined) return v.string_value;
  if (v?.bool_value !== undefined) return v.bool_value;
  if (v?.float_vector_value) return v.float_vector_value.values ?? [];
  return null;
}

function decode(part: string, parameter: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badParameter(parameter, 'not valid percent-encoding');
  }
}

/** The one value of `name` in the query (refusing repeats), or undefined. */
function single(url: URL, name: string): string | undefined {
  const all = url.searchParams.getAll(name);
  if (all.length > 1) throw badParameter(name, `give it once (got ${all.length})`);
  return all[0];
}

/** The request's parameters, checked; the feature is not resolved yet. */
function parse(m: RegExpExecArray, url: URL): { ref: string; pid: string; asOfMs: number } {
  const name = decode(m[1] as string, 'name');
  const version = decode(m[2] as string, 'version');
  if (!FEATURE_NAME_PATTERN.test(name)) throw badParameter('name', `${JSON.stringify(name)} is not a feature name ([a-z][a-z0-9_]*)`);
  if (!VERSION_PATTERN.test(version)) throw badParameter('version', `${JSON.stringify(version)} is not a version (a positive integer)`);
  for (const key of url.searchParams.keys()) if (!PARAMETERS.includes(key)) throw badParameter(key, `unknown parameter (known: ${PARAMETERS.join(', ')})`);
  const pid = single(url, 'pid');
  if (pid === undefined) throw badParameter('pid', 'is required (the entity id)');
  checkEntityId(pid, 'pid');
  const date = single(url, 'date');
  let asOfMs = 0;
  if (date !== undefined) {
    if (date.trim() === '') throw badParameter('date', 'must not be empty (leave it out for the latest value)');
    try {
      asOfMs = parseIsoDateTime(date.trim());
    } catch (e: unknown) {
      if (e instanceof TimeFormatError) throw badParameter('date', e.message);
      throw e;
    }
    // as_of 0 means "latest" on the gRPC side: a point in time must be after the epoch.
    if (asOfMs <= 0) throw badParameter('date', 'must be after 1970-01-01T00:00:00Z');
  }
  return { ref: `${name}@${version}`, pid, asOfMs };
}

/** What the route reads through. */
export interface FeatureHttpDeps {
  registry: FeatureRegistry;
  reader: FeatureReader;
  logger: Logger;
}

/**
 * The routes for the host's `routes` hook: GET (and HEAD) of every path under `/feature`,
 * answered as JSON (404 with the usage for a path that is not `/feature/<name>/<version>`).
 */
export function featureHttpRoutes(d: FeatureHttpDeps): (app: FastifyInstance) => void {
  const answer = featureHttpRoute(d);
  return (app) => {
    // The URL as sent, not fastify's decoded parameters: a bad percent-encoding is a 400 naming the part.
    const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const url = new URL(req.originalUrl, 'http://localhost');
      // Every path these routes match is under /feature, so there is always an answer.
      return sendAnswer(reply, (await answer(url.pathname, url)) as HttpAnswer);
    };
    app.get('/feature', handler);
    app.get('/feature/*', handler);
  };
}

/** Answers every path under `/feature` (JSON), and leaves the others (undefined). */
function featureHttpRoute(d: FeatureHttpDeps): (path: string, url: URL) => Promise<HttpAnswer | undefined> {
  return async (path, url) => {
    if (!ROUTE.test(path)) return undefined;
    try {
      const m = FEATURE_PATH.exec(path);
      if (!m) throw new NotFoundError(`no such route: ${USAGE}`);
      const { ref, pid, asOfMs } = parse(m, url);
      const f = await d.registry.get(parseRef(ref, 'feature'));
      const res = await d.reader.online({ features: { refs: [f.ref] }, entity_ids: [pid], as_of_ms: String(asOfMs), selection: 'features' });
      const column = res.columns?.[0];
      const status = column?.statuses?.[0] ?? 'NOT_FOUND';
      const found = status !== 'NOT_FOUND';
      const eventMs = Number(column?.event_times_ms?.[0] ?? 0);
      return json(200, {
        feature: f.ref,
        pid,
        date: asOfMs === 0 ? null : new Date(asOfMs).toISOString(),
        value_type: f.valueType,
        status,
        value: plain(column?.values?.[0]),
        event_time: found ? new Date(eventMs).toISOString() : null,
        event_time_ms: found ? eventMs : null,
      });
    } catch (e: unknown) {
      return errorAnswer(e, d.logger);
    }
  };
}
