/** Metrics: a Prometheus registry per service and the HTTP endpoint that serves it and health. */
export { MetricsServer } from './http-server.js';
export type { MetricsServerOptions, HttpAnswer } from './http-server.js';
export { createRegistry } from './registry.js';
