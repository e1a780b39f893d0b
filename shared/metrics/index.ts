/** Metrics: a Prometheus registry per service (the host's HTTP port serves it at /metrics, see shared/http). */
export { createRegistry } from './registry.js';
