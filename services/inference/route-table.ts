import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { InferParameter__Output } from '../../shared/generated/inference/InferParameter.js';
import type { Logger } from '../../shared/logging/index.js';
import { chooseVersion, compileRoute } from '../../shared/routes/index.js';
import type { CompiledRoute, RouteChange, RouteKind } from '../../shared/routes/index.js';
import type { ModelManager } from './model-manager.js';
import type { ModelVersion } from './model-version.js';

/** A request routed by its model's route. */
export interface Routed {
  /** The version that serves it. */
  readonly mv: ModelVersion;
  readonly kind: RouteKind;
  /** Route.revision of the route that chose it. */
  readonly revision: number;
  /** Shadow versions that get a copy once the answer is sent (usually empty). */
  readonly shadows: readonly string[];
}

/** A route this replica did not apply, for the route_refused ModelEvent. */
export interface Refusal {
  readonly model: string;
  /** Route.revision of the refused route (0 when its value could not be read). */
  readonly revision: number;
  readonly reason: string;
  /** `not_loaded` (it names a version this replica does not serve) or `invalid` (not a valid Route). */
  readonly cause: 'not_loaded' | 'invalid';
}

/** What the table needs: the served versions, a logger, metrics, and where refusals go. */
export interface RouteTableDeps {
  manager: Pick<ModelManager, 'find' | 'servedVersions'>;
  logger: Logger;
  registry: Registry;
  /** Called once per refused route revision of a model this replica serves (publishes a ModelEvent). */
  onRefused: (r: Refusal) => void;
}

/** The sticky key of a request: a string or int64 request parameter, or the request id. */
function stickyKey(c: CompiledRoute, parameters: Record<string, InferParameter__Output>, requestId: string): string | undefined {
  if (c.sticky === 'request_id') return requestId;
  if (c.sticky !== 'parameter') return undefined;
  const p = parameters[c.stickyParameter];
  if (p?.parameter_choice === 'string_param') return p.string_param === '' ? undefined : p.string_param;
  if (p?.parameter_choice === 'int64_param') return String(p.int64_param);
  return undefined;
}

/**
 * The routes this replica applies, one per model, fed by the KV watch (`update`) and re-checked
 * whenever a model's served versions change (`recheck`). A route is applied only when every
 * version it names (shadows included) is served here; otherwise the last good route of the
 * model stays in force, the refusal is logged, counted and reported (once per route revision),
 * and the route is applied as soon as the versions it needs are loaded. A route whose version is
 * unloaded is withdrawn (the model's newest version serves) until that version is back. Routes
 * of models this replica does not serve wait silently.
 */
export class RouteTable {
  /** The route in force, per model. */
  private readonly applied = new Map<string, CompiledRoute>();
  /** The newest route written, per model, while it cannot be applied. */
  private readonly pending = new Map<string, CompiledRoute>();
  /** Model name of each KV key seen (a delete carries only the key). */
  private readonly modelOfKey = new Map<string, string>();
  /** The revision last refused, per model: a refusal is reported once. */
  private readonly refused = new Map<string, number>();
  private readonly routedCounter: Counter<'model' | 'version' | 'route'>;
  private readonly routedBound = new Map<string, Map<string, Record<RouteKind, { inc(): void }>>>();
  private readonly refusals: Counter<'model' | 'cause'>;
  private readonly revisionGauge: Gauge<'model'>;
  private frozen = false;

  constructor(private readonly d: RouteTableDeps) {
    const registers = [d.registry];
    this.routedCounter = new Counter({ name: 'mlmesh_inference_routed_requests_total', help: "Requests routed by their model's route, by serving version and route kind (weights, sticky).", labelNames: ['model', 'version', 'route'], registers });
    this.refusals = new Counter({ name: 'mlmesh_inference_route_refusals_total', help: 'Routes this replica did not apply: cause not_loaded (a version it names is not served here) or invalid (not a valid Route).', labelNames: ['model', 'cause'], registers });
    this.revisionGauge = new Gauge({ name: 'mlmesh_inference_route_revision', help: 'Route.revision of the route in force per model (0: none, the newest version serves).', labelNames: ['model'], registers });
  }

  /** The route in force for a model, if any. */
  routeOf(model: string): CompiledRoute | undefined {
    return this.applied.get(model);
  }

  /** The newest route of a model that waits for its versions, if any. */
  pendingOf(model: string): CompiledRoute | undefined {
    return this.pending.get(model);
  }

  /**
   * Routes a request to its model's route (undefined when the model has none in force, or the
   * chosen version was unloaded an instant ago: then the newest version serves).
   */
  choose(model: string, parameters: Record<string, InferParameter__Output>, requestId: string): Routed | undefined {
    const c = this.applied.get(model);
    if (!c) return undefined;
    const choice = chooseVersion(c, stickyKey(c, parameters, requestId));
    const mv = this.d.manager.find(model, choice.version);
    if (!mv) return undefined;
    // Counters bound once per model, version and kind: no label hashing or string building per request.
    let byVersion = this.routedBound.get(model);
    if (!byVersion) this.routedBound.set(model, (byVersion = new Map<string, Record<RouteKind, { inc(): void }>>()));
    let bound = byVersion.get(choice.version);
    if (!bound) {
      const labels = { model, version: choice.version };
      byVersion.set(choice.version, (bound = { weights: this.routedCounter.labels({ ...labels, route: 'weights' }), sticky: this.routedCounter.labels({ ...labels, route: 'sticky' }) }));
    }
    bound[choice.kind].inc();
    return { mv, kind: choice.kind, revision: c.revision, shadows: choice.shadows };
  }

  /**
   * Stops following changes and loads (at the drain: the models are about to be unloaded, which
   * is not a reason to withdraw routes or report refusals). The routes in force stay.
   */
  freeze(): void {
    this.frozen = true;
  }

  /** Takes one change from the KV watch. */
  update(change: RouteChange): void {
    if (this.frozen) return;
    if (change.type === 'invalid') {
      const model = this.modelOfKey.get(change.key) ?? change.key;
      this.d.logger.warn({ model, key: change.key, kvRevision: change.kvRevision, reason: change.reason }, 'route refused: invalid value (the last good route stays in force)');
      this.refusals.inc({ model, cause: 'invalid' });
      this.d.onRefused({ model, revision: 0, reason: `invalid route value at KV revision ${change.kvRevision}: ${change.reason}`, cause: 'invalid' });
      return;
    }
    if (change.type === 'delete') {
      const model = this.modelOfKey.get(change.key);
      if (model === undefined) return;
      this.pending.delete(model);
      this.refused.delete(model);
      if (this.applied.delete(model)) this.d.logger.info({ model }, 'route deleted: the newest version serves');
      this.revisionGauge.set({ model }, 0);
      return;
    }
    const model = change.route.model;
    this.modelOfKey.set(change.key, model);
    // The watch validated it; compiling cannot throw.
    this.pending.set(model, compileRoute(change.route));
    this.recheck(model);
  }

  /** Re-checks a model's routes against its served versions (after every load and unload). */
  recheck(model: string): void {
    if (this.frozen) return;
    const next = this.pending.get(model);
    if (next) {
      const missing = this.missing(next);
      if (missing.length === 0) {
        this.pending.delete(model);
        this.apply(next);
        return;
      }
      this.refuse(next, missing);
    }
    const current = this.applied.get(model);
    if (current) {
      const missing = this.missing(current);
      if (missing.length === 0) return;
      this.applied.delete(model);
      this.revisionGauge.set({ model }, 0);
      if (!next) this.pending.set(model, current);
      const log = this.d.manager.servedVersions(model).length > 0 ? this.d.logger.warn.bind(this.d.logger) : this.d.logger.info.bind(this.d.logger);
      log({ model, revision: current.revision, missing }, 'route withdrawn: a version it names is no longer served (the newest version serves until it is back)');
      this.refuse(current, missing);
    }
  }

  private apply(c: CompiledRoute): void {
    this.applied.set(c.model, c);
    this.refused.delete(c.model);
    this.revisionGauge.set({ model: c.model }, c.revision);
    this.d.logger.info({ model: c.model, revision: c.revision, versions: c.versions, weights: c.weights, shadows: c.shadows.map((s) => s.version), sticky: c.sticky }, 'route applied');
  }

  private missing(c: CompiledRoute): string[] {
    return c.needs.filter((v) => !this.d.manager.find(c.model, v));
  }

  private refuse(c: CompiledRoute, missing: readonly string[]): void {
    // A replica that does not serve the model at all is not the one to complain.
    if (this.d.manager.servedVersions(c.model).length === 0) {
      this.d.logger.debug({ model: c.model, revision: c.revision }, 'route waits: the model is not loaded here');
      return;
    }
    if (this.refused.get(c.model) === c.revision) return;
    this.refused.set(c.model, c.revision);
    const served = this.d.manager.servedVersions(c.model).map((v) => v.version);
    const reason = `route revision ${c.revision} names version ${missing.join(', ')}, not loaded on this replica (served: ${served.join(', ')})`;
    this.d.logger.warn({ model: c.model, revision: c.revision, missing, served, inForce: this.applied.get(c.model)?.revision ?? 0 }, `route refused: ${reason}`);
    this.refusals.inc({ model: c.model, cause: 'not_loaded' });
    this.d.onRefused({ model: c.model, revision: c.revision, reason, cause: 'not_loaded' });
  }
}
