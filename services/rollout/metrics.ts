import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** The rollout service's Prometheus metrics. */
export class RolloutMetrics {
  /** Rollouts not ended (running, paused, rolling back, retiring). */
  readonly active: Gauge;
  /** 1 while this replica holds the controller lease (acts), else 0. */
  readonly acting: Gauge;
  /** ModelEvents published, by kind. */
  readonly transitions: Counter<'kind'>;
  /** Routes written (KV mlmesh_routes). */
  readonly routeWrites: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.active = new Gauge({ name: 'mlmesh_rollout_active', help: 'Rollouts not ended (running, paused, rolling back, retiring).', registers });
    this.acting = new Gauge({ name: 'mlmesh_rollout_acting', help: '1 while this replica holds the controller lease and acts, else 0.', registers });
    this.transitions = new Counter({ name: 'mlmesh_rollout_events_total', help: 'ModelEvents of rollouts, by kind (step_started, step_passed, rolled_back, ...).', labelNames: ['kind'], registers });
    this.routeWrites = new Counter({ name: 'mlmesh_rollout_route_writes_total', help: 'Routes written to KV mlmesh_routes.', registers });
  }
}
