import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CacheCounters } from './cache.js';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The gateway's Prometheus metrics. `deployment` is the name of a loaded deployment (set only
 * once a request resolved one, so callers cannot grow the label set).
 */
export class GatewayMetrics implements CacheCounters {
  /** Rows answered, by outcome (`predicted`, `error`, `cached` — cached rows count as predicted too). */
  readonly rows: Counter<'deployment' | 'outcome'>;
  /** Row errors by code. */
  readonly rowErrors: Counter<'deployment' | 'code'>;
  /** Time of one hop call, by hop (`features`, `preprocess`, `inference`). */
  readonly hopSeconds: Histogram<'hop'>;
  /** Hop failures by hop and the hop's status. */
  readonly hopFailures: Counter<'hop' | 'code'>;
  /** Time of a whole Predict inside the gateway. */
  readonly predictSeconds: Histogram<'deployment'>;
  /** Cache lookups: `hit`, `miss`. */
  readonly cacheLookups: Counter<'result'>;
  /** Bytes the cache holds. */
  readonly cacheBytes: Gauge;
  /** Deployments serving. */
  readonly deployments: Gauge;
  /** Deployment loads by outcome (`loaded`, `refused`). */
  readonly loads: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rows = new Counter({ name: 'mlmesh_gateway_rows_total', help: 'Rows answered, by deployment and outcome (predicted, error, cached).', labelNames: ['deployment', 'outcome'], registers });
    this.rowErrors = new Counter({ name: 'mlmesh_gateway_row_errors_total', help: 'Row errors, by deployment and code.', labelNames: ['deployment', 'code'], registers });
    this.hopSeconds = new Histogram({ name: 'mlmesh_gateway_hop_duration_seconds', help: 'Time of one call to a backend, by hop.', labelNames: ['hop'], buckets: LATENCY_BUCKETS, registers });
    this.hopFailures = new Counter({ name: 'mlmesh_gateway_hop_failures_total', help: 'Failed backend calls, by hop and status.', labelNames: ['hop', 'code'], registers });
    this.predictSeconds = new Histogram({ name: 'mlmesh_gateway_predict_duration_seconds', help: 'Time of a Predict in the gateway, by deployment.', labelNames: ['deployment'], buckets: LATENCY_BUCKETS, registers });
    this.cacheLookups = new Counter({ name: 'mlmesh_gateway_cache_lookups_total', help: 'Response cache lookups, by result (hit, miss).', labelNames: ['result'], registers });
    this.cacheBytes = new Gauge({ name: 'mlmesh_gateway_cache_bytes', help: 'Bytes held by the response cache.', registers });
    this.deployments = new Gauge({ name: 'mlmesh_gateway_deployments', help: 'Deployments serving.', registers });
    this.loads = new Counter({ name: 'mlmesh_gateway_deployment_loads_total', help: 'Deployment file loads, by outcome (loaded, refused).', labelNames: ['outcome'], registers });
    this.cacheLookups.inc({ result: 'hit' }, 0);
    this.cacheLookups.inc({ result: 'miss' }, 0);
  }

  hit(): void {
    this.cacheLookups.inc({ result: 'hit' });
  }

  miss(): void {
    this.cacheLookups.inc({ result: 'miss' });
  }

  bytes(n: number): void {
    this.cacheBytes.set(n);
  }
}
