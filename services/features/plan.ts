/**
 * Plans for applying a folder of definitions (as `feast plan` / `feast apply`): what the files
 * would add to the registry, what is there already, what they change — refused, since definitions
 * are immutable — and what is registered but no longer in the files. Pure: the caller reads the
 * files and the registry.
 */
import { errorMessage } from '../../shared/errors/index.js';
import { canonicalJson, contentHash, normalizeDefinition, normalizeFeatureService } from './definitions.js';
import type { FeatureDefinition, FeatureServiceDefinition } from './definitions.js';
import type { LoadedDefinitionFile } from './definition-file.js';
import { formatRef } from './refs.js';

/** A definition read from a file, normalized. */
export interface LocalFeature {
  ref: string;
  definition: FeatureDefinition;
  hash: string;
  file: string;
}

/** A feature service read from a file, normalized. */
export interface LocalService {
  name: string;
  service: FeatureServiceDefinition;
  hash: string;
  file: string;
}

/** What the registry holds (from ListFeatures and ListFeatureServices). */
export interface RegisteredState {
  features: readonly { definition: FeatureDefinition; content_hash: string }[];
  services: readonly { service: FeatureServiceDefinition; content_hash: string }[];
}

/** What applying would do to one definition. */
export type PlanAction = 'add' | 'unchanged' | 'change' | 'remove';

/** One line of a plan. */
export interface PlanItem {
  action: PlanAction;
  /** `name@version` of a feature, or a feature service's name. */
  feature?: string;
  service?: string;
  /** The file it comes from (not for `remove`). */
  file?: string;
  content_hash?: string;
  /** For `change`: what is registered, and the fields that differ. */
  registered_hash?: string;
  differs?: string[];
  /** Why `change` cannot be applied, or what `remove` does. */
  note?: string;
}

/** A plan: its items (features first, then services) and the errors that stop it from being applied. */
export interface Plan {
  items: PlanItem[];
  errors: string[];
  /** The definitions to register, in order (features before the services that use them). */
  addFeatures: LocalFeature[];
  addServices: LocalService[];
}

/** Paths (`transforms[0].window.window_ms`) where two JSON values differ. */
export function diffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path || '(root)'];
    return a.flatMap((x, i) => diffPaths(x, b[i], `${path}[${i}]`));
  }
  if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== 'kind').sort();
    return keys.flatMap((k) => diffPaths(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return [path || '(root)'];
}

/**
 * Normalizes the definitions of the files. The same feature or service in two files is fine when
 * identical and an error otherwise; malformed ones are errors naming the file and field.
 */
export function collectDefinitions(files: readonly LoadedDefinitionFile[]): { features: Map<string, LocalFeature>; services: Map<string, LocalService>; errors: string[] } {
  const features = new Map<string, LocalFeature>();
  const services = new Map<string, LocalService>();
  const errors: string[] = [];
  for (const { path, content } of files) {
    content.features.forEach((raw, i) => {
      try {
        const definition = normalizeDefinition(raw, `features[${i}]`);
        const ref = formatRef(definition.name, definition.version);
        const hash = contentHash(definition);
        const seen = features.get(ref);
        if (seen && seen.hash !== hash) errors.push(`${path}: features[${i}]: ${ref} is also defined, differently, in ${seen.file}`);
        else if (!seen) features.set(ref, { ref, definition, hash, file: path });
      } catch (e: unknown) {
        errors.push(`${path}: ${errorMessage(e)}`);
      }
    });
    content.services.forEach((raw, i) => {
      try {
        const service = normalizeFeatureService(raw, `services[${i}]`);
        const hash = contentHash(service);
        const seen = services.get(service.name);
        if (seen && seen.hash !== hash) errors.push(`${path}: services[${i}]: feature service ${service.name} is also defined, differently, in ${seen.file}`);
        else if (!seen) services.set(service.name, { name: service.name, service, hash, file: path });
      } catch (e: unknown) {
        errors.push(`${path}: ${errorMessage(e)}`);
      }
    });
  }
  return { features, services, errors };
}

/**
 * Compares the files' definitions with the registry. Registered definitions are immutable, so a
 * `change` is an error (register a new version); a `remove` is listed but never applied (models
 * may still read it, and the registry keeps every version). Services must name features that are
 * registered or added by the plan, all of one entity type.
 */
export function makePlan(local: ReturnType<typeof collectDefinitions>, registered: RegisteredState): Plan {
  const items: PlanItem[] = [];
  const errors = [...local.errors];
  const addFeatures: LocalFeature[] = [];
  const addServices: LocalService[] = [];
  const regFeatures = new Map(registered.features.map((f) => [formatRef(f.definition.name, f.definition.version), f]));
  const regServices = new Map(registered.services.map((s) => [s.service.name, s]));
  const versionsOf = (name: string): number[] => [...regFeatures.values(), ...[...local.features.values()].map((l) => ({ definition: l.definition }))].filter((f) => f.definition.name === name).map((f) => f.definition.version);
  for (const l of [...local.features.values()].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))) {
    const reg = regFeatures.get(l.ref);
    if (!reg) {
      items.push({ action: 'add', feature: l.ref, file: l.file, content_hash: l.hash });
      addFeatures.push(l);
    } else if (reg.content_hash === l.hash) {
      items.push({ action: 'unchanged', feature: l.ref, file: l.file, content_hash: l.hash });
    } else {
      const next = Math.max(...versionsOf(l.definition.name)) + 1;
      const note = `definitions are immutable: ${l.ref} is registered with other content; register it as ${l.definition.name}@${next}`;
      items.push({ action: 'change', feature: l.ref, file: l.file, content_hash: l.hash, registered_hash: reg.content_hash, differs: diffPaths(normalizeDefinition(reg.definition, 'registered'), l.definition), note });
      errors.push(`${l.file}: ${note}`);
    }
  }
  const entityOf = (ref: string): string | undefined => local.features.get(ref)?.definition.entity ?? regFeatures.get(ref)?.definition.entity;
  for (const l of [...local.services.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const unknown = l.service.features.filter((r) => entityOf(r) === undefined);
    if (unknown.length > 0) errors.push(`${l.file}: feature service ${l.name}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} neither registered nor in the files`);
    const entities = [...new Set(l.service.features.map(entityOf).filter((e) => e !== undefined))];
    if (entities.length > 1) errors.push(`${l.file}: feature service ${l.name}: its features are keyed by several entity types (${entities.join(', ')}): one service reads one entity type`);
    const reg = regServices.get(l.name);
    if (!reg) {
      items.push({ action: 'add', service: l.name, file: l.file, content_hash: l.hash });
      addServices.push(l);
    } else if (reg.content_hash === l.hash) {
      items.push({ action: 'unchanged', service: l.name, file: l.file, content_hash: l.hash });
    } else {
      const note = `feature services are immutable: ${l.name} is registered with other features; give this list a new name (e.g. one per model version)`;
      items.push({ action: 'change', service: l.name, file: l.file, content_hash: l.hash, registered_hash: reg.content_hash, differs: diffPaths(reg.service, l.service), note });
      errors.push(`${l.file}: ${note}`);
    }
  }
  const keep = 'not in the files: kept, since the registry keeps every version (models may still read it)';
  for (const ref of [...regFeatures.keys()].sort()) if (!local.features.has(ref)) items.push({ action: 'remove', feature: ref, note: keep });
  for (const name of [...regServices.keys()].sort()) if (!local.services.has(name)) items.push({ action: 'remove', service: name, note: keep });
  return { items, errors, addFeatures, addServices };
}

/** Counts of a plan's actions. */
export function planSummary(items: readonly PlanItem[]): Record<PlanAction, number> {
  const out: Record<PlanAction, number> = { add: 0, unchanged: 0, change: 0, remove: 0 };
  for (const i of items) out[i.action]++;
  return out;
}
