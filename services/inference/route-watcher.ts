import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from 'nats';
import { errorMessage } from '../../shared/errors/index.js';
import { SUBJECTS, encodeModelEvent } from '../../shared/events/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { RouteStore } from '../../shared/routes/index.js';
import type { RouteWatch } from '../../shared/routes/index.js';
import type { Refusal, RouteTable } from './route-table.js';

/** Pause before watching again after the watch ended or could not start, in ms. */
export const REWATCH_PAUSE_MS = 500;

/** Longest wait for the watch loop to end at {@link RouteWatcher.drain}, in ms. */
export const DRAIN_WAIT_MS = 1000;

/** Lifecycle of the watcher. */
export type RouteWatcherState = 'idle' | 'watching' | 'stopped';

/**
 * Feeds a {@link RouteTable} from the KV bucket mlmesh_routes over the service's NATS
 * connection, and publishes the table's refusals as ModelEvents (kind `route_refused`) on
 * mlmesh.events.model.<model>. The watch starts with every current value; when it ends (NATS
 * restarted without its store, the consumer was lost) it starts again after a pause. While NATS
 * is away the table keeps the routes it has: they keep serving.
 */
export class RouteWatcher {
  private stateValue: RouteWatcherState = 'idle';
  private nc: NatsConnection | undefined;
  private watch: RouteWatch | undefined;
  private loop: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private restarting = false;
  private readonly source = `inference@${hostname()}-${process.pid}`;

  constructor(
    private readonly table: RouteTable,
    private readonly logger: Logger,
    private readonly producerVersion: string,
    private readonly bucket?: string,
  ) {}

  /** `idle` until a connection is attached, `watching`, then `stopped` after {@link drain}. */
  get state(): RouteWatcherState {
    return this.stateValue;
  }

  /** Starts watching on a connection (once connected; later calls only swap the connection). */
  attach(nc: NatsConnection): void {
    this.nc = nc;
    if (this.loop || this.stop.signal.aborted) return;
    this.stateValue = 'watching';
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stop.signal.aborted) {
      const nc = this.nc;
      try {
        if (!nc || nc.isClosed()) throw new Error('NATS connection closed');
        const store = await RouteStore.create(nc, this.bucket !== undefined ? { bucket: this.bucket } : {});
        const w = await store.watch();
        this.watch = w;
        if (this.stop.signal.aborted) w.stop();
        void w.initialized.then(() => this.logger.info('routes: watching mlmesh_routes'));
        for await (const change of w) this.table.update(change);
        if (this.restarting) this.logger.info('routes: NATS reconnected, watching again');
        else if (!this.stop.signal.aborted) this.logger.warn('routes: the watch ended, watching again (the routes in force keep serving)');
        this.restarting = false;
      } catch (e: unknown) {
        if (!this.stop.signal.aborted) this.logger.warn({ err: errorMessage(e) }, 'routes: cannot watch mlmesh_routes, retrying (the routes in force keep serving)');
      } finally {
        this.watch = undefined;
      }
      // An aborted sleep resolves early via the catch: the loop condition ends it.
      await sleep(REWATCH_PAUSE_MS, undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
  }

  /**
   * Starts the watch again at once (after a reconnect: the server may have restarted, and an
   * ordered consumer would take its heartbeat timeout to notice). The new watch begins with
   * every current value, so nothing written meanwhile is missed.
   */
  rewatch(): void {
    this.restarting = true;
    this.watch?.stop();
  }

  /**
   * Publishes a refusal as a ModelEvent (best effort: while NATS is away it is only logged and
   * counted, which the table has done already).
   */
  publishRefusal(r: Refusal): void {
    const js = this.nc && !this.nc.isClosed() ? this.nc.jetstream() : undefined;
    if (!js) return;
    const eventId = randomUUID();
    const data = encodeModelEvent({
      meta: { event_id: eventId, time_unix_ms: Date.now(), source: this.source, producer_version: this.producerVersion },
      model: r.model,
      kind: 'route_refused',
      reason: r.reason,
      route_revision: r.revision,
      actor: this.source,
    });
    js.publish(SUBJECTS.modelEvent(r.model), data, { msgID: eventId, timeout: 2000 }).catch((e: unknown) => this.logger.warn({ model: r.model, err: errorMessage(e) }, 'routes: could not publish the route_refused event'));
  }

  /** Stops watching (the routes in force stay in the table). */
  async drain(): Promise<void> {
    this.stop.abort();
    this.watch?.stop();
    // A loop stuck in a JetStream request while NATS is away would hold the drain for the
    // request's timeout: wait a little, then leave it to the connection's close (which ends it).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_WAIT_MS)))]);
    clearTimeout(timer);
    this.stateValue = 'stopped';
  }
}
