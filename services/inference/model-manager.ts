import { NotFoundError, UnavailableError, clip, errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { ModelLoadError } from './errors.js';
import { DEFAULT_MODEL_CONFIG, selectVersions } from './model-config.js';
import type { ParsedModelConfig } from './model-config.js';
import { ModelVersion } from './model-version.js';
import { manifestDigest } from './manifest.js';
import type { InferenceMetrics } from './metrics.js';
import type { ModelRepository } from './repository.js';

/** Triton's model states, as RepositoryIndex reports them. */
export type ModelState = 'READY' | 'LOADING' | 'UNLOADING' | 'UNAVAILABLE';

/** One row of the repository index. */
export interface IndexEntry {
  name: string;
  version: string;
  state: ModelState;
  reason: string;
}

interface ModelEntry {
  /** Versions being served, newest last. */
  served: Map<string, ModelVersion>;
  /** The config they were loaded with (as read, before the ONNX file completed it). */
  config: ParsedModelConfig | undefined;
  /** State of versions that are not served (failed, unloaded), with the reason. */
  status: Map<string, { state: ModelState; reason: string }>;
  /** Model-level state when no version is known (e.g. config.json invalid). */
  modelStatus: { state: ModelState; reason: string } | undefined;
  /** The newest served version (what a request without a version gets). */
  latest: ModelVersion | undefined;
  /** Serializes loads and unloads of this model. */
  lock: Promise<void>;
}

/**
 * The models being served. Loads, reloads and unloads swap a model's served versions at once:
 * new versions load (verified, warmed up) beside the old ones, traffic moves when they are
 * ready, and old versions drain before they are disposed. A load is atomic: if any version the
 * policy selects fails, the previously served versions keep serving.
 */
export class ModelManager {
  private readonly models = new Map<string, ModelEntry>();
  private readonly servedListeners: ((model: string) => void)[] = [];
  /** Models a load is announced for (the startup models, see {@link expectLoads}) until that load settles. */
  private readonly announced = new Set<string>();
  /** Loads under way, by model: counted from the check that the model is in the repository until the load settles. */
  private readonly loadsUnderWay = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly repo: ModelRepository,
    private readonly metrics: InferenceMetrics,
    private readonly logger: Logger,
    /** `max_batch_size` for configs that leave it out (see completeModelConfig). */
    private readonly defaultMaxBatchSize: number = DEFAULT_MODEL_CONFIG.autoMaxBatchSize,
  ) {}

  private entry(name: string): ModelEntry {
    let e = this.models.get(name);
    if (!e) {
      e = { served: new Map(), latest: undefined, config: undefined, status: new Map(), modelStatus: undefined, lock: Promise.resolve() };
      this.models.set(name, e);
    }
    return e;
  }

  private async exclusive<T>(name: string, fn: (e: ModelEntry) => Promise<T>): Promise<T> {
    const e = this.entry(name);
    const run = e.lock.then(() => fn(e));
    e.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Loads (or reloads) a model: the versions its policy selects. `configOverride` is a JSON
   * config replacing config.json (the load RPC's `config` parameter).
   * @throws InvalidArgumentError for a bad name or override; NotFoundError for an unknown model
   *   or no version on disk; ModelLoadError when a version fails (old versions keep serving).
   */
  async load(name: string, configOverride?: string): Promise<void> {
    try {
      if (this.closed) throw new UnavailableError('server is shutting down');
      await this.repo.modelDir(name);
      this.loadsUnderWay.set(name, (this.loadsUnderWay.get(name) ?? 0) + 1);
      try {
        await this.loadNow(name, configOverride);
      } finally {
        const n = (this.loadsUnderWay.get(name) ?? 1) - 1;
        if (n > 0) this.loadsUnderWay.set(name, n);
        else this.loadsUnderWay.delete(name);
      }
    } finally {
      this.announced.delete(name);
    }
  }

  /**
   * Announces the loads about to start (the startup models, before the server takes calls):
   * until each one's {@link load} settles, a request for that model is answered UNAVAILABLE
   * "is loading" (retryable) rather than NOT_FOUND "is not loaded".
   */
  expectLoads(names: readonly string[]): void {
    for (const n of names) this.announced.add(n);
  }

  /** True while a load of `name` is announced or under way (see {@link resolve}). */
  loading(name: string): boolean {
    return this.announced.has(name) || this.loadsUnderWay.has(name);
  }

  private async loadNow(name: string, configOverride: string | undefined): Promise<void> {
    await this.exclusive(name, async (e) => {
      let config: ParsedModelConfig;
      try {
        const read = await this.repo.readModelConfig(name, configOverride);
        config = read.config;
        if (read.ignored.length > 0) this.logger.warn({ model: name, file: read.file, ignored: read.ignored }, `${read.file}: mlmesh ignores ${read.ignored.length} field(s)`);
      } catch (err: unknown) {
        if (e.served.size === 0) e.modelStatus = { state: 'UNAVAILABLE', reason: errorMessage(err) };
        throw err;
      }
      const onDisk = await this.repo.listVersions(name);
      const wanted = selectVersions(config.versionPolicy, onDisk).map(String);
      if (wanted.length === 0) {
        const why = onDisk.length === 0 ? 'has no version folders' : `has no version matching its version_policy (on disk: ${onDisk.join(', ')})`;
        if (e.served.size === 0) e.modelStatus = { state: 'UNAVAILABLE', reason: `model '${name}' ${why}` };
        throw new NotFoundError(`model '${name}' ${why}`);
      }
      const sameConfig = JSON.stringify(config) === JSON.stringify(e.config);
      const next = new Map<string, ModelVersion>();
      // A served version with the same config and an unchanged manifest is kept as it is.
      const toLoad: string[] = [];
      for (const v of wanted) {
        const current = e.served.get(v);
        if (current && sameConfig && !(await this.changedOnDisk(name, current))) next.set(v, current);
        else toLoad.push(v);
      }
      for (const v of toLoad) if (!e.served.has(v)) e.status.set(v, { state: 'LOADING', reason: '' });
      const results = await Promise.allSettled(
        toLoad.map(async (v) =>
          ModelVersion.load({
            model: name,
            version: Number(v),
            dir: await this.repo.versionDir(name, Number(v)),
            config,
            defaultMaxBatchSize: this.defaultMaxBatchSize,
            metrics: this.metrics,
            logger: this.logger,
          }),
        ),
      );
      const fresh: ModelVersion[] = [];
      const failures: string[] = [];
      results.forEach((r, i) => {
        const v = toLoad[i] as string;
        if (r.status === 'fulfilled') {
          fresh.push(r.value);
          next.set(v, r.value);
        } else {
          failures.push(`version ${v}: ${errorMessage(r.reason)}`);
          // A version that is still served keeps its READY row; the failure is in the error.
          if (!e.served.has(v)) e.status.set(v, { state: 'UNAVAILABLE', reason: errorMessage(r.reason) });
        }
      });
      if (failures.length > 0 || this.closed) {
        await Promise.all(fresh.map((mv) => mv.close()));
        for (const mv of fresh) {
          if (!e.served.has(mv.version)) e.status.set(mv.version, { state: 'UNAVAILABLE', reason: `not served: the load of model '${name}' failed (${failures.join('; ')})` });
        }
        const kept = e.served.size > 0 ? ` (still serving version ${[...e.served.keys()].join(', ')})` : '';
        this.logger.error({ model: name, failures }, 'model load failed');
        if (this.closed) throw new UnavailableError('server is shutting down');
        throw new ModelLoadError(`load of model '${name}' failed${kept}: ${failures.join('; ')}`);
      }
      const old = e.served;
      this.serve(name, e, next);
      e.config = config;
      e.modelStatus = undefined;
      for (const v of wanted) e.status.delete(v);
      // A version replaced by a reload of the same number keeps its READY row; only versions
      // that stop being served show UNLOADING, then UNAVAILABLE.
      const retired = [...old.values()].filter((mv) => e.served.get(mv.version) !== mv);
      await this.retire(e, retired);
      this.logger.info({ model: name, versions: [...e.served.keys()], retired: retired.map((r) => r.version) }, 'model served');
    });
  }

  /** Swaps a model's served versions (sorted, newest last) in one step: new requests see them at once. */
  private serve(name: string, e: ModelEntry, versions: ReadonlyMap<string, ModelVersion>): void {
    e.served = new Map([...versions.entries()].sort((a, b) => Number(a[0]) - Number(b[0])));
    e.latest = [...e.served.values()].at(-1);
    this.metrics.loadedVersions.set({ model: name }, e.served.size);
    for (const fn of this.servedListeners) fn(name);
  }

  /**
   * Calls `fn(model)` right after a model's served versions change (a load, reload, unload or
   * the drain), synchronously: by the time the next request is resolved, `fn` has run. The
   * route table re-checks the model's routes here.
   */
  onServedChange(fn: (model: string) => void): void {
    this.servedListeners.push(fn);
  }

  /**
   * Drains versions that no longer take requests. Those whose number is no longer served show
   * UNLOADING while they drain, then UNAVAILABLE 'unloaded'.
   */
  private async retire(e: ModelEntry, versions: readonly ModelVersion[]): Promise<void> {
    const leaving = versions.filter((mv) => !e.served.has(mv.version));
    for (const mv of leaving) e.status.set(mv.version, { state: 'UNLOADING', reason: '' });
    await Promise.all(versions.map((mv) => mv.drain()));
    for (const mv of leaving) {
      if (e.status.get(mv.version)?.state === 'UNLOADING') e.status.set(mv.version, { state: 'UNAVAILABLE', reason: 'unloaded' });
    }
  }

  /** True when a served version's manifest.json changed on disk since it was loaded. */
  private async changedOnDisk(name: string, mv: ModelVersion): Promise<boolean> {
    const dir = await this.repo.versionDir(name, Number(mv.version));
    return (await manifestDigest(dir)) !== mv.manifestDigest;
  }

  /**
   * Stops serving a model: its versions drain (queued and running requests finish) and stop.
   * Unloading a model that is not loaded does nothing (as Triton does).
   * @throws NotFoundError when the model is not in the repository.
   */
  async unload(name: string): Promise<void> {
    await this.repo.modelDir(name);
    await this.exclusive(name, async (e) => {
      if (e.served.size === 0) return;
      const old = [...e.served.values()];
      this.serve(name, e, new Map());
      e.config = undefined;
      await this.retire(e, old);
      this.logger.info({ model: name }, 'model unloaded');
    });
  }

  /**
   * The version that serves a request: the one asked for, or the newest served.
   * @throws UnavailableError (retryable) when no version is served yet but a load of the model
   *   is announced or under way (the startup load, a ModelLoad call, the repository poller);
   *   NotFoundError naming the model or version otherwise.
   */
  resolve(name: string, version: string): ModelVersion {
    const e = this.models.get(name);
    if (!e?.latest && this.loading(name)) throw new UnavailableError(`model '${clip(name)}' is loading: not served yet, retry shortly`);
    if (!e?.latest) throw new NotFoundError(`model '${clip(name)}' is not loaded`, { resource: { type: 'model', name } });
    if (version === '') return e.latest;
    const mv = e.served.get(version);
    if (!mv) throw new NotFoundError(`model '${clip(name)}' has no version '${clip(version)}' being served (served: ${[...e.served.keys()].join(', ')})`, { resource: { type: 'model version', name: `${name}@${version}` } });
    return mv;
  }

  /** The served version `version` of a model, or undefined (no throw: for the routing hot path). */
  find(name: string, version: string): ModelVersion | undefined {
    return this.models.get(name)?.served.get(version);
  }

  /** Served versions of a model, oldest first (empty when not loaded). */
  servedVersions(name: string): ModelVersion[] {
    return [...(this.models.get(name)?.served.values() ?? [])];
  }

  /** Names of models with at least one served version. */
  loadedModels(): string[] {
    return [...this.models.entries()].filter(([, e]) => e.served.size > 0).map(([n]) => n);
  }

  /** Every model in the repository with the state of each known version. */
  async index(readyOnly: boolean): Promise<IndexEntry[]> {
    const names = new Set([...(await this.repo.listModels()), ...this.models.keys()]);
    const out: IndexEntry[] = [];
    for (const name of [...names].sort()) {
      const e = this.models.get(name);
      const rows = new Map<string, IndexEntry>();
      for (const [v, s] of e?.status ?? []) rows.set(v, { name, version: v, ...s });
      for (const [v, mv] of e?.served ?? []) {
        const why = mv.unavailableReason;
        rows.set(v, { name, version: v, state: why ? 'UNAVAILABLE' : 'READY', reason: why ?? '' });
      }
      if (rows.size === 0) {
        rows.set('', { name, version: '', state: e?.modelStatus?.state ?? 'UNAVAILABLE', reason: e?.modelStatus?.reason ?? 'not loaded' });
      }
      const sorted = [...rows.values()].sort((a, b) => Number(a.version) - Number(b.version));
      out.push(...sorted.filter((r) => !readyOnly || r.state === 'READY'));
    }
    return out;
  }

  /** Drains every served version (queued and running requests finish), then refuses loads. */
  async drainAll(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.models.keys()].map((name) =>
        this.exclusive(name, async (e) => {
          const old = [...e.served.values()];
          this.serve(name, e, new Map());
          await Promise.all(old.map((mv) => mv.drain()));
        }),
      ),
    );
  }
}
