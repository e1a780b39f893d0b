import type { KV, KvEntry, NatsConnection } from 'nats';
import { FailedPreconditionError } from '../errors/index.js';
import { KV_BUCKETS, decodeRoute, encodeRoute, subjectToken } from '../events/index.js';
import type { Route, Route__Output } from '../events/index.js';
import { WRONG_LAST_SEQUENCE } from '../nats/kv.js';
import { RouteConflictError } from './errors.js';
import { routeViolations, validateRoute } from './validate.js';

/** A model's route as stored, with the KV revision to compare-and-set against. */
export interface RouteEntry {
  readonly route: Route__Output;
  /** Revision of the KV entry (the bucket stream's sequence): what {@link RouteStore.put} compares. */
  readonly kvRevision: number;
}

/** One change seen by {@link RouteStore.watch}. `key` is the KV key (see {@link routeKey}). */
export type RouteChange =
  | { readonly type: 'put'; readonly key: string; readonly route: Route__Output; readonly kvRevision: number }
  | { readonly type: 'delete'; readonly key: string; readonly kvRevision: number }
  /** A value that is not a valid Route (bad bytes, failed validation, or another model's name). */
  | { readonly type: 'invalid'; readonly key: string; readonly kvRevision: number; readonly reason: string };

/** A running watch: the changes, in order, starting with every key's current value. */
export interface RouteWatch extends AsyncIterable<RouteChange> {
  /** Resolves once every current value has been yielded (the watch is then live). */
  readonly initialized: Promise<void>;
  /** Ends the iteration. */
  stop(): void;
}

/** Options of {@link RouteStore.create}. */
export interface RouteStoreOptions {
  /** @default KV_BUCKETS.routes ('mlmesh_routes') */
  bucket?: string;
  /** Values kept per key when the bucket is created (an existing bucket keeps its own). @default 10 */
  history?: number;
  /** Clock for Route.updated_unix_ms. @default Date.now */
  now?: () => number;
}

/** The KV key of a model's route: the model name as a subject token (see subjectToken). */
export function routeKey(model: string): string {
  return subjectToken(model);
}


/**
 * The routes of the mesh in NATS KV (bucket mlmesh_routes, key = model, value = a protobuf
 * Route). Writes are compare-and-set on the KV revision, so two writers (the rollout controller,
 * a person with the CLI) never overwrite each other unseen, and each write bumps Route.revision
 * by one (the first route of a model has revision 1; after a delete it starts again at 1).
 */
export class RouteStore {
  private constructor(
    private readonly kv: KV,
    private readonly now: () => number,
  ) {}

  /** Binds to the bucket, creating it (file storage) when it is missing. */
  static async create(nc: NatsConnection, opts: RouteStoreOptions = {}): Promise<RouteStore> {
    const kv = await nc.jetstream().views.kv(opts.bucket ?? KV_BUCKETS.routes, { history: opts.history ?? 10 });
    return new RouteStore(kv, opts.now ?? Date.now);
  }

  /** The model's route, or undefined when it has none (never written, or deleted). @throws FailedPreconditionError when the stored value is not a valid route of this model. */
  async get(model: string): Promise<RouteEntry | undefined> {
    const e = await this.kv.get(routeKey(model));
    if (!e || e.operation !== 'PUT') return undefined;
    const c = toChange(e);
    if (c.type === 'put' && c.route.model === model) return { route: c.route, kvRevision: c.kvRevision };
    const reason = c.type === 'invalid' ? c.reason : `key '${c.key}' holds the route of model '${c.type === 'put' ? c.route.model : ''}'`;
    throw new FailedPreconditionError(`stored route of model '${model}' is not usable: ${reason}`, { resource: { type: 'route', name: model } });
  }

  /**
   * Writes a model's route with compare-and-set: Route.revision becomes the current one plus one
   * (1 when there is none) and updated_unix_ms now (unless set). `expectedKvRevision` is the
   * KV revision the caller read (0: the model must have no route); without it, the current
   * entry is read first and the write still fails if someone writes between that read and it.
   *
   * @throws InvalidArgumentError naming the field when the route is not valid.
   * @throws RouteConflictError when the entry is not at the expected revision.
   */
  async put(route: Route, opts: { expectedKvRevision?: number } = {}): Promise<RouteEntry> {
    validateRoute(route);
    const model = route.model ?? '';
    const key = routeKey(model);
    const current = await this.kv.get(key);
    const currentRev = current && current.operation === 'PUT' ? current.revision : 0;
    const expected = opts.expectedKvRevision ?? currentRev;
    if (expected !== currentRev) throw new RouteConflictError(model, expected, currentRev);
    let base = 0;
    if (current && current.operation === 'PUT') {
      const c = toChange(current);
      // A corrupt value is overwritten (that is how it gets repaired) and counted from 0.
      if (c.type === 'put') base = Number(c.route.revision);
    }
    const next: Route = { ...route, revision: base + 1, updated_unix_ms: Number(route.updated_unix_ms ?? 0) > 0 ? route.updated_unix_ms : this.now() };
    const bytes = encodeRoute(next);
    let kvRevision: number;
    try {
      // create() also succeeds on a key whose last entry is a delete marker.
      kvRevision = expected === 0 ? await this.kv.create(key, bytes) : await this.kv.update(key, bytes, expected);
    } catch (e: unknown) {
      if ((e as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === WRONG_LAST_SEQUENCE) {
        const now = await this.kv.get(key);
        throw new RouteConflictError(model, expected, now && now.operation === 'PUT' ? now.revision : 0, { cause: e });
      }
      throw e;
    }
    return { route: decodeRoute(bytes), kvRevision };
  }

  /**
   * Deletes a model's route (the replicas then serve the model's default version). With
   * `expectedKvRevision`, only if the entry is still at that revision. Returns whether there was
   * one.
   *
   * @throws RouteConflictError when the entry is not at the expected revision.
   */
  async delete(model: string, opts: { expectedKvRevision?: number } = {}): Promise<boolean> {
    const key = routeKey(model);
    const current = await this.kv.get(key);
    const currentRev = current && current.operation === 'PUT' ? current.revision : 0;
    if (opts.expectedKvRevision !== undefined && opts.expectedKvRevision !== currentRev) throw new RouteConflictError(model, opts.expectedKvRevision, currentRev);
    if (currentRev === 0) return false;
    try {
      await this.kv.delete(key, { previousSeq: currentRev });
    } catch (e: unknown) {
      if ((e as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === WRONG_LAST_SEQUENCE) {
        const now = await this.kv.get(key);
        throw new RouteConflictError(model, currentRev, now && now.operation === 'PUT' ? now.revision : 0, { cause: e });
      }
      throw e;
    }
    return true;
  }

  /**
   * Watches every key: first the current value of each (deleted keys skipped), then every change
   * as it is written. The iteration ends when {@link RouteWatch.stop} is called or the
   * connection closes (a caller that must keep watching starts a new watch then).
   */
  async watch(): Promise<RouteWatch> {
    let resolveInit!: () => void;
    const initialized = new Promise<void>((resolve) => {
      resolveInit = resolve;
    });
    const it = await this.kv.watch({ key: '>', initializedFn: () => resolveInit() });
    // An empty bucket may never call initializedFn in some server/client combinations; the
    // stream info says how many entries to expect.
    const status = await this.kv.status();
    if (status.values === 0) resolveInit();
    async function* changes(): AsyncGenerator<RouteChange> {
      for await (const e of it) yield toChange(e);
    }
    const gen = changes();
    return {
      initialized,
      stop: () => it.stop(),
      [Symbol.asyncIterator]: () => gen,
    };
  }
}

function toChange(e: KvEntry): RouteChange {
  const key = e.key;
  const kvRevision = e.revision;
  if (e.operation !== 'PUT') return { type: 'delete', key, kvRevision };
  let route: Route__Output;
  try {
    route = decodeRoute(e.value);
  } catch (err: unknown) {
    return { type: 'invalid', key, kvRevision, reason: `not a protobuf Route (${err instanceof Error ? err.message : String(err)})` };
  }
  const v = routeViolations(route);
  if (v.length > 0) return { type: 'invalid', key, kvRevision, reason: `${v[0]!.field}: ${v[0]!.description}` };
  if (routeKey(route.model) !== key) return { type: 'invalid', key, kvRevision, reason: `the route names model '${route.model}', which is not key '${key}'` };
  return { type: 'put', key, route, kvRevision };
}
