/**
 * The rollout controller: every tick, the replica holding the lease (key lease.controller in KV
 * mlmesh_rollouts) acts on each active rollout — applies requests left by RPCs, writes the route
 * its state wants, analyses the step (collector.ts, inference-metrics.ts, analysis.ts) and moves
 * the state machine (machine.ts). Every state write is compare-and-set on the KV revision: a
 * controller that loses one re-reads next tick and stands down. Other replicas only read.
 */
import { hostname } from 'node:os';
import { EventEmitter } from 'node:events';
import type { JetStreamClient, NatsConnection } from 'nats';
import { SUBJECTS, encodeModelEvent } from '../../shared/events/index.js';
import type { ModelEvent, Route__Output } from '../../shared/events/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { RouteStore } from '../../shared/routes/index.js';
import type { RouteEntry } from '../../shared/routes/index.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import { analyse } from './analysis.js';
import { StepCollector } from './collector.js';
import { deltaOf, scrapeCounters } from './inference-metrics.js';
import { applyRequest, begin, desiredRoute, isActive, observe, pause, resume, timerDue } from './machine.js';
import type { EventDraft, Transition } from './machine.js';
import type { RolloutMetrics } from './metrics.js';
import { planFromProto } from './plan.js';
import { NatsDownError } from './errors.js';
import { StateStore } from './state-store.js';
import type { StoredRollout } from './state-store.js';
import type { Unloader } from './unloader.js';

/** What the controller needs. */
export interface ControllerOptions {
  logger: Logger;
  metrics: RolloutMetrics;
  unloader: Unloader;
  inferenceMetricsUrls: readonly string[];
  leaseMs: number;
  stateHistory: number;
  maxTrackedRequests: number;
  callTimeoutMs: number;
  producerVersion: string;
  /** @default Date.now */
  now?: () => number;
}

/** The reason a rollout shows while NATS is unreachable. */
export const NATS_UNAVAILABLE = 'nats unavailable';

/**
 * Acts on rollouts (when it holds the lease) and keeps a view of every rollout for the RPCs
 * (refreshed each tick; shown paused with reason "nats unavailable" while NATS is down).
 * Emits `change` (model) when a rollout it sees changed.
 */
export class Controller extends EventEmitter<{ change: [string] }> {
  /** Who acts: "controller@host-pid". */
  readonly owner = `controller@${hostname()}-${process.pid}`;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private store: StateStore | undefined;
  private routes: RouteStore | undefined;
  private readonly cache = new Map<string, StoredRollout>();
  private readonly collectors = new Map<string, { key: string; collector: StepCollector }>();
  private connected = false;
  private outageSince = 0;
  private leader = false;
  private ticking: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: ControllerOptions) {
    super();
    this.now = o.now ?? Date.now;
  }

  /** Binds to NATS (called on every connect): the buckets, JetStream. */
  async attach(nc: NatsConnection): Promise<void> {
    this.store = await StateStore.create(nc, { history: this.o.stateHistory });
    this.routes = await RouteStore.create(nc);
    this.nc = nc;
    this.js = nc.jetstream();
    this.setConnected(true);
  }

  /** NATS status from the host's connection. */
  onStatus(type: string): void {
    if (type === 'disconnect') this.setConnected(false);
    else if (type === 'reconnect') this.setConnected(true);
  }

  private setConnected(up: boolean): void {
    if (up === this.connected) return;
    this.connected = up;
    if (!up) {
      this.outageSince = this.now();
      this.leader = false;
      for (const c of this.collectors.values()) c.collector.stop();
      this.collectors.clear();
      this.o.logger.warn('rollout: NATS unavailable: active rollouts pause until it is back (the routes written keep serving)');
    }
    for (const m of this.cache.keys()) this.emit('change', m);
  }

  /** Whether NATS is connected (the controller can read and act). */
  get natsUp(): boolean {
    return this.connected && this.nc !== undefined && !this.nc.isClosed();
  }

  /** Whether this replica holds the lease. */
  get acting(): boolean {
    return this.leader;
  }

  /** The state store. @throws UnavailableError-like Error while NATS is down. */
  stateStore(): StateStore {
    if (!this.store || !this.natsUp) throw new NatsDownError();
    return this.store;
  }

  /** The route store. */
  routeStore(): RouteStore {
    if (!this.routes || !this.natsUp) throw new NatsDownError();
    return this.routes;
  }

  /** The rollouts as the RPCs show them (paused "nats unavailable" while NATS is down). */
  view(model: string): Rollout__Output | undefined {
    const s = this.cache.get(model);
    return s ? this.shown(s.rollout) : undefined;
  }

  /** Every rollout seen. */
  viewAll(): Rollout__Output[] {
    return [...this.cache.values()].map((s) => this.shown(s.rollout));
  }

  private shown(r: Rollout__Output): Rollout__Output {
    if (this.natsUp || !isActive(r) || r.state === 'paused') return r;
    return { ...r, state: 'paused', paused_from: r.state, reason: NATS_UNAVAILABLE };
  }

  /** Stores a read value in the view, emitting `change` when it is new. */
  remember(s: StoredRollout): void {
    const old = this.cache.get(s.rollout.model);
    if (old && old.kvRevision >= s.kvRevision) return;
    this.cache.set(s.rollout.model, s);
    this.emit('change', s.rollout.model);
  }

  /** One tick now (or waits for the one running). */
  tick(): Promise<void> {
    this.ticking ??= this.tickOnce().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    if (!this.natsUp || !this.store) {
      this.setConnected(false);
      return;
    }
    const store = this.store;
    let all: StoredRollout[];
    try {
      this.leader = await store.lease(this.owner, this.o.leaseMs, this.now());
      all = await store.list();
    } catch (e: unknown) {
      this.o.logger.warn({ err: errorMessage(e) }, 'rollout: reading the state failed');
      return;
    }
    this.o.metrics.acting.set(this.leader ? 1 : 0);
    for (const s of all) this.remember(s);
    this.o.metrics.active.set(all.filter((s) => isActive(s.rollout)).length);
    if (!this.leader) return;
    const recovered = this.outageSince;
    this.outageSince = 0;
    for (const s of all) {
      if (!isActive(s.rollout)) {
        this.dropCollector(s.rollout.model);
        continue;
      }
      try {
        await this.act(s, recovered);
      } catch (e: unknown) {
        this.o.logger.warn({ err: errorMessage(e), model: s.rollout.model, rollout: s.rollout.id }, 'rollout: tick failed (retried next tick)');
      }
    }
  }

  private async act(s: StoredRollout, outageSince: number): Promise<void> {
    const r = s.rollout;
    const now = this.now();
    // A rollout that was running while NATS was down: paused for the outage, resumed now (the step's hold starts again).
    if (outageSince > 0 && r.state === 'running') {
      const p = pause(r, outageSince, NATS_UNAVAILABLE);
      const q = resume(p.next, now, `nats back after ${Math.round((now - outageSince) / 1000)} s`);
      await this.commit(s, { next: q.next, events: [...p.events, ...q.events] });
      return;
    }
    const requested = applyRequest(r, now);
    if (requested) {
      await this.commit(s, requested);
      return;
    }
    if (r.route_pending) {
      await this.writeRoute(s);
      return;
    }
    if (r.state === 'starting') {
      await this.commit(s, begin(r, now));
      return;
    }
    if (r.state === 'running' || r.state === 'retiring') {
      const foreign = await this.foreignRoute(s);
      if (foreign) {
        await this.commit(s, pause(r, now, foreign));
        return;
      }
    }
    if (r.state === 'running') await this.analyse(s, now);
    else if (r.state === 'rolling_back' || r.state === 'retiring') {
      const t = timerDue(r, now);
      if (t) await this.commit(s, t);
    }
  }

  /** A reason when the model's route is not the one the rollout wrote last, and not its own. */
  private async foreignRoute(s: StoredRollout): Promise<string | undefined> {
    const r = s.rollout;
    const cur = await this.routeStore().get(r.model);
    const rev = Number(r.route_revision);
    if (!cur) return rev > 0 ? `the route of model '${r.model}' was deleted outside the rollout` : undefined;
    if (Number(cur.route.revision) === rev) return undefined;
    if (cur.route.rollout_id === r.id) {
      // Our own write whose state update was lost (a restart between the two): adopt it.
      await this.put(s, { ...r, route_revision: cur.route.revision });
      return undefined;
    }
    return `route changed outside the rollout: revision ${cur.route.revision} written by '${cur.route.written_by || 'unknown'}' (the rollout wrote ${rev})`;
  }

  private async analyse(s: StoredRollout, now: number): Promise<void> {
    const r = s.rollout;
    const plan = planFromProto(r.plan);
    const collector = await this.collectorFor(r);
    const scraped = await scrapeCounters(this.o.inferenceMetricsUrls, r.model, this.o.callTimeoutMs);
    const counters: Record<string, number> = { ...r.counters_at_step_start };
    const c = deltaOf(scraped, counters, r.candidate);
    const b = deltaOf(scraped, counters, r.baseline);
    const kind = plan.predictionKind !== 'auto' ? plan.predictionKind : r.kind !== '' ? (r.kind as 'class' | 'value') : collector.outputCols > 1 ? 'class' : collector.outputCols === 1 ? 'value' : 'class';
    const results = analyse(collector.snapshot({ candidate: c, baseline: b }, kind, plan.shadowPercent > 0), plan.criteria);
    await this.commit(s, observe(r, { results, candidateRequests: c.requests, baselineRequests: b.requests, counters, kind: collector.outputCols > 0 ? kind : '' }, now));
  }

  private async collectorFor(r: Rollout__Output): Promise<StepCollector> {
    const key = `${r.id}:${r.step_index}:${r.step_started_unix_ms}`;
    const cur = this.collectors.get(r.model);
    if (cur?.key === key) return cur.collector;
    cur?.collector.stop();
    this.collectors.delete(r.model);
    if (!this.js) throw new NatsDownError();
    const starting = StepCollector.start(this.js, { model: r.model, candidate: r.candidate, baseline: r.baseline, fromMs: Number(r.step_started_unix_ms), maxTracked: this.o.maxTrackedRequests, logger: this.o.logger });
    // A tick must never hang (it would stop every rollout): a consumer that does not start in time is retried next tick.
    let timer: NodeJS.Timeout | undefined;
    const collector = await Promise.race([
      starting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the step's consumers did not start within ${this.o.callTimeoutMs} ms`)), this.o.callTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    this.collectors.set(r.model, { key, collector });
    return collector;
  }

  private dropCollector(model: string): void {
    this.collectors.get(model)?.collector.stop();
    this.collectors.delete(model);
  }

  /** Writes a state (compare-and-set). Returns the stored value, or undefined when it lost (it stands down). */
  private async put(s: StoredRollout, next: Rollout__Output): Promise<StoredRollout | undefined> {
    try {
      const rev = await this.stateStore().put(next, s.kvRevision);
      const stored = { rollout: next, kvRevision: rev };
      this.remember(stored);
      return stored;
    } catch (e: unknown) {
      if (e instanceof Error && e.name === 'StateConflictError') {
        this.o.logger.info({ model: next.model, rollout: next.id }, 'rollout: state changed meanwhile: standing down until the next tick');
        return undefined;
      }
      throw e;
    }
  }

  /** Persists a transition, publishes its events, and writes its route when pending. */
  private async commit(s: StoredRollout, t: Transition): Promise<void> {
    const next = { ...t.next, controller: this.owner, event_seq: String(Number(t.next.event_seq) + t.events.length) };
    if (next.route_pending && next.state === 'running' && Object.keys(next.counters_at_step_start).length === 0) {
      // The step's counters start before its route: every candidate request of the step counts.
      const scraped = await scrapeCounters(this.o.inferenceMetricsUrls, next.model, this.o.callTimeoutMs);
      deltaOf(scraped, next.counters_at_step_start, next.candidate);
      deltaOf(scraped, next.counters_at_step_start, next.baseline);
    }
    const stored = await this.put(s, next);
    if (!stored) return;
    // The route first, so the events carry the revision that serves the new state. A route that
    // cannot be written now stays pending (retried next tick) and the events go out regardless.
    let after: StoredRollout = stored;
    if (next.route_pending) {
      after = await this.writeRoute(stored).catch((e: unknown) => {
        this.o.logger.warn({ err: errorMessage(e), model: next.model, rollout: next.id }, 'rollout: writing the route failed (retried next tick)');
        return stored;
      });
    }
    await this.publish(after.rollout, t.events, Number(s.rollout.event_seq));
    for (const e of t.events) this.o.metrics.transitions.inc({ kind: e.kind });
  }

  private async publish(r: Rollout__Output, events: readonly EventDraft[], firstSeq: number): Promise<void> {
    if (!this.js) return;
    for (const [i, e] of events.entries()) {
      const id = `${r.id}-${firstSeq + i + 1}`;
      const ev: ModelEvent = {
        meta: { event_id: id, time_unix_ms: this.now(), source: 'rollout', producer_version: this.o.producerVersion },
        model: r.model,
        kind: e.kind,
        rollout_id: r.id,
        candidate: r.candidate,
        baseline: r.baseline,
        step_index: e.stepIndex,
        candidate_percent: e.candidatePercent,
        reason: e.reason,
        evidence: e.evidence,
        route_revision: r.route_revision,
        actor: this.owner,
      };
      try {
        await this.js.publish(SUBJECTS.modelEvent(r.model), encodeModelEvent(ev), { msgID: id });
      } catch (err: unknown) {
        this.o.logger.warn({ err: errorMessage(err), model: r.model, event: e.kind }, 'rollout: publishing a ModelEvent failed');
      }
      this.o.logger.info({ model: r.model, rollout: r.id, event: e.kind, step: e.stepIndex, percent: e.candidatePercent, reason: e.reason }, `rollout ${e.kind}`);
    }
  }

  /**
   * Writes the route the state wants (compare-and-set on the route's KV revision), unloads what
   * an ended rollout leaves, then clears route_pending. A route someone else wrote since the
   * rollout's last one pauses the rollout instead (a person is never fought).
   */
  private async writeRoute(s: StoredRollout): Promise<StoredRollout> {
    const r = s.rollout;
    const routes = this.routeStore();
    const cur: RouteEntry | undefined = await routes.get(r.model);
    const rev = Number(r.route_revision);
    const foreign = cur !== undefined && rev > 0 && Number(cur.route.revision) !== rev && cur.route.rollout_id !== r.id;
    if (foreign && isActive(r) && r.state !== 'rolling_back') {
      await this.commit(s, pause({ ...r, route_pending: false }, this.now(), `route changed outside the rollout: revision ${cur.route.revision} written by '${cur.route.written_by || 'unknown'}' (the rollout wrote ${rev})`));
      return s;
    }
    const entry = await routes.put(desiredRoute(r), { expectedKvRevision: cur?.kvRevision ?? 0 });
    this.o.metrics.routeWrites.inc();
    if (!isActive(r) && planFromProto(r.plan).unload) {
      const version = r.state === 'completed' ? r.baseline : r.candidate;
      await this.o.unloader.unload(r.model, version, r.state === 'completed' ? r.candidate : r.baseline).catch((e: unknown) => this.o.logger.warn({ err: errorMessage(e), model: r.model, version }, 'rollout: unloading the version failed (it stays loaded with weight 0)'));
    }
    return (await this.put(s, { ...r, route_pending: false, route_revision: entry.route.revision, updated_unix_ms: String(this.now()) })) ?? s;
  }

  /** The current route of a model (for StartRollout's baseline), undefined when none. */
  async routeOf(model: string): Promise<Route__Output | undefined> {
    return (await this.routeStore().get(model))?.route;
  }

  /** Stops the step consumers and gives the lease up. */
  async close(): Promise<void> {
    for (const c of this.collectors.values()) c.collector.stop();
    this.collectors.clear();
    if (this.store && this.natsUp && this.leader) await this.store.release(this.owner).catch(() => undefined);
    this.leader = false;
  }
}
