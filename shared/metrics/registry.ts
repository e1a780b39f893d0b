import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A fresh registry for one service instance (never the global one, so several services can run
 * in one process, as the tests do), with prom-client's process metrics when `processMetrics`.
 */
export function createRegistry(opts: { service: string; processMetrics?: boolean }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
