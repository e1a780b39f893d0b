/**
 * The HTTP port of every service, on fastify: /metrics, health and readiness, and the service's
 * own routes (any method), with JSON `{"error": "..."}` answers for errors.
 */
export { HttpServer, sendError, sendAnswer, JSON_TYPE, DEFAULT_HTTP_BODY_LIMIT_BYTES } from './server.js';
export type { HttpServerOptions, HttpRoutes, HttpAnswer } from './server.js';
export { httpStatusOf, httpStatusOfCode } from './status.js';
export type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
export { httpCallContext, httpRequestId, requestDeadlineMs, TIMEOUT_HEADER, MAX_TIMEOUT_MS } from './context.js';
export type { HttpCall } from './context.js';
