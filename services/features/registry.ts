import { AlreadyExistsError, InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import type { FeatureList__Output } from '../../shared/generated/mlmesh/features/v1/FeatureList.js';
import { canonicalJson, contentHash, normalizeDefinition, normalizeFeatureService } from './definitions.js';
import type { FeatureDefinition, FeatureServiceDefinition } from './definitions.js';
import { formatRef, parseRef } from './refs.js';
import type { FeatureRef } from './refs.js';
import type { CatalogEntry, FeatureStore } from './store.js';
import type { ValueTypeName } from './values.js';

/** A registered feature version, ready to serve. */
export interface ResolvedFeature {
  /** `name@version`. */
  readonly ref: string;
  readonly name: string;
  readonly version: number;
  readonly definition: FeatureDefinition;
  /** SHA-256 hex of the canonical JSON of the definition. */
  readonly hash: string;
  readonly registeredAtMs: number;
  readonly valueType: ValueTypeName;
  /** 0: no limit. */
  readonly maxAgeMs: number;
}

/** A registered feature service. */
export interface ResolvedService {
  readonly service: FeatureServiceDefinition;
  readonly hash: string;
}

/** What a request selects: a list of refs or a feature service (the proto `selection` oneof). */
export interface Selection {
  features?: FeatureList__Output | null;
  feature_service?: string;
  selection?: 'features' | 'feature_service';
}

function resolved(entry: CatalogEntry): ResolvedFeature {
  // Stored JSON is canonical (no oneof names): normalizing again restores them.
  const definition = normalizeDefinition(JSON.parse(entry.json), 'stored definition');
  return {
    ref: formatRef(definition.name, definition.version),
    name: definition.name,
    version: definition.version,
    definition,
    hash: entry.hash,
    registeredAtMs: entry.registeredAtMs,
    valueType: definition.value_type as ValueTypeName,
    maxAgeMs: Number(definition.max_age_ms),
  };
}

/**
 * One request reads features of one entity type (its entity ids are of that type).
 * @throws InvalidArgumentError naming the first feature keyed by another entity type.
 */
function sameEntity(features: readonly ResolvedFeature[], field: string): void {
  const first = features[0];
  const other = features.findIndex((f) => f.definition.entity !== first?.definition.entity);
  if (first && other >= 0) {
    const f = features[other] as ResolvedFeature;
    throw new InvalidArgumentError(`${field}[${other}]: ${f.ref} is keyed by entity ${f.definition.entity}, ${first.ref} by ${first.definition.entity}: one request reads one entity type`, { field: `${field}[${other}]` });
  }
}

/**
 * The registry of feature definitions and feature services, kept in the store (shared by every
 * replica) and cached in memory. Definitions are immutable once registered, so a cached one is
 * never stale; a ref not in the cache is looked up in the store each time (another replica may
 * have registered it since).
 */
export class FeatureRegistry {
  private readonly features = new Map<string, ResolvedFeature>();
  private readonly services = new Map<string, ResolvedService>();

  constructor(
    private readonly store: FeatureStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Registers a definition. The same content again (same hash) is a no-op answered with
   * `created: false`.
   * @throws InvalidArgumentError for a malformed definition; AlreadyExistsError when the
   *   name@version holds other content.
   */
  async register(raw: unknown, field = 'definition'): Promise<{ feature: ResolvedFeature; created: boolean }> {
    const def = normalizeDefinition(raw, field);
    const ref = formatRef(def.name, def.version);
    const entry: CatalogEntry = { key: ref, hash: contentHash(def), json: canonicalJson(def), registeredAtMs: this.now() };
    const { stored, created } = await this.store.putCatalog('feature', entry);
    if (stored.hash !== entry.hash) {
      throw new AlreadyExistsError(
        `feature ${ref} is already registered with other content (sha256 ${stored.hash.slice(0, 12)}…, this one ${entry.hash.slice(0, 12)}…): definitions are immutable, register version ${def.version + 1} instead`,
      );
    }
    const feature = resolved(stored);
    this.features.set(ref, feature);
    return { feature, created };
  }

  /**
   * The registered feature `ref`.
   * @throws NotFoundError naming the ref and the versions that do exist.
   */
  async get(ref: FeatureRef): Promise<ResolvedFeature> {
    const hit = this.features.get(ref.ref);
    if (hit) return hit;
    const entry = await this.store.getCatalog('feature', ref.ref);
    if (!entry) {
      const versions = (await this.list(ref.name)).map((f) => f.version);
      throw new NotFoundError(
        versions.length > 0
          ? `feature ${ref.ref} is not registered (versions of ${ref.name}: ${versions.join(', ')})`
          : `feature ${ref.ref} is not registered (no version of ${ref.name} is)`,
      );
    }
    const feature = resolved(entry);
    this.features.set(ref.ref, feature);
    return feature;
  }

  /** Every registered feature version (or those of `name`), by name then version. */
  async list(name?: string): Promise<ResolvedFeature[]> {
    const all = (await this.store.listCatalog('feature')).map(resolved);
    return all
      .filter((f) => !name || f.name === name)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version));
  }

  /**
   * Registers a feature service (immutable like definitions). Every ref must be registered.
   * @throws InvalidArgumentError, NotFoundError for an unknown ref, AlreadyExistsError.
   */
  async registerService(raw: unknown, field = 'service'): Promise<{ service: ResolvedService; created: boolean }> {
    const svc = normalizeFeatureService(raw, field);
    const features: ResolvedFeature[] = [];
    for (const [i, r] of svc.features.entries()) features.push(await this.get(parseRef(r, `${field}.features[${i}]`)));
    sameEntity(features, `${field}.features`);
    const entry: CatalogEntry = { key: svc.name, hash: contentHash(svc), json: canonicalJson(svc), registeredAtMs: this.now() };
    const { stored, created } = await this.store.putCatalog('service', entry);
    if (stored.hash !== entry.hash) {
      throw new AlreadyExistsError(`feature service ${svc.name} is already registered with other features: feature services are immutable, register a new name (e.g. one per model version)`);
    }
    const service = { service: normalizeFeatureService(JSON.parse(stored.json), 'stored service'), hash: stored.hash };
    this.services.set(svc.name, service);
    return { service, created };
  }

  /** @throws NotFoundError when no feature service has that name. */
  async getService(name: string): Promise<ResolvedService> {
    const hit = this.services.get(name);
    if (hit) return hit;
    const entry = await this.store.getCatalog('service', name);
    if (!entry) throw new NotFoundError(`feature service ${clip(JSON.stringify(name))} is not registered`);
    const service = { service: normalizeFeatureService(JSON.parse(entry.json), 'stored service'), hash: entry.hash };
    this.services.set(name, service);
    return service;
  }

  /** Every registered feature service, by name. */
  async listServices(): Promise<ResolvedService[]> {
    const all = (await this.store.listCatalog('service')).map((e) => ({ service: normalizeFeatureService(JSON.parse(e.json), 'stored service'), hash: e.hash }));
    return all.sort((a, b) => (a.service.name < b.service.name ? -1 : a.service.name > b.service.name ? 1 : 0));
  }

  /**
   * The features a request selects, in order.
   * @throws InvalidArgumentError for a missing selection, malformed or repeated refs;
   *   NotFoundError for an unknown feature, version or feature service.
   */
  async resolve(sel: Selection): Promise<ResolvedFeature[]> {
    if (sel.selection === 'feature_service' || (sel.selection === undefined && sel.feature_service)) {
      if (!sel.feature_service) throw new InvalidArgumentError('feature_service: must be a non-empty name', { field: 'feature_service' });
      const { service } = await this.getService(sel.feature_service);
      return Promise.all(service.features.map((r) => this.get(parseRef(r, `feature_service ${service.name}`))));
    }
    const features = await this.resolveRefs(sel);
    sameEntity(features, 'features.refs');
    return features;
  }

  /** The request's refs: parsed, each once, registered. */
  private async resolveRefs(sel: Selection): Promise<ResolvedFeature[]> {
    const refs = sel.features?.refs ?? [];
    if (refs.length === 0) throw new InvalidArgumentError('features.refs: set at least one feature ref (or feature_service)', { field: 'features.refs' });
    const out = new Array<ResolvedFeature>(refs.length);
    let missing: number[] | undefined;
    for (let i = 0; i < refs.length; i++) {
      // The hot path allocates nothing: a ref in canonical form that is cached is valid as it is,
      // and an await per cached ref would cost a promise each.
      const hit = this.features.get(refs[i] as string);
      if (hit) out[i] = hit;
      else (missing ??= []).push(i);
    }
    for (const i of missing ?? []) out[i] = await this.get(parseRef(refs[i], `features.refs[${i}]`));
    const dup = duplicateIndex(out);
    if (dup >= 0) throw new InvalidArgumentError(`features.refs[${dup}]: ${out[dup]?.ref} is listed twice`, { field: `features.refs[${dup}]` });
    return out;
  }
}

/** Index of the first feature that appeared earlier in the list, or -1. */
function duplicateIndex(features: readonly ResolvedFeature[]): number {
  if (features.length <= 64) {
    for (let i = 1; i < features.length; i++) for (let j = 0; j < i; j++) if (features[j]?.ref === features[i]?.ref) return i;
    return -1;
  }
  const seen = new Set<string>();
  for (let i = 0; i < features.length; i++) {
    const ref = (features[i] as ResolvedFeature).ref;
    if (seen.has(ref)) return i;
    seen.add(ref);
  }
  return -1;
}
