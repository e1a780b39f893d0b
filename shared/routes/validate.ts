import { InvalidArgumentError } from '../errors/index.js';
import type { FieldViolation } from '../errors/index.js';
import type { Route } from '../events/index.js';

/** What keeps a caller on one version while the weights hold (Route.sticky). */
export const STICKY_MODES = ['none', 'parameter', 'request_id'] as const;
/** One of {@link STICKY_MODES}. */
export type StickyMode = (typeof STICKY_MODES)[number];

/** Route.sticky as a mode: the empty string (proto3's default) means `none`. */
export function stickyMode(route: Pick<Route, 'sticky'>): StickyMode {
  const s = route.sticky ?? '';
  return s === '' ? 'none' : (s as StickyMode);
}

/**
 * Every problem of a route, each naming its field (`versions[1].weight`, `shadows[0].percent`,
 * `sticky_parameter`, ...); empty when the route is valid. The rules:
 * - `model` is not empty;
 * - `versions` is not empty; each `version` is a non-empty name, named once; weights are whole
 *   numbers in uint32 and their sum is above 0 (a 0 weight keeps a version named without
 *   routed traffic);
 * - each shadow names a version once, with 0 < `percent` <= 100; a shadow version must not be a
 *   version with weight above 0 (it already serves routed traffic: a copy would run the request
 *   on it twice and compare it with itself); a version of weight 0 may be shadowed (the usual
 *   shadow phase of a rollout);
 * - `sticky` is empty or one of {@link STICKY_MODES}; `sticky_parameter` is set iff `sticky` is
 *   `parameter`.
 */
export function routeViolations(route: Route): FieldViolation[] {
  const out: FieldViolation[] = [];
  const bad = (field: string, description: string): void => {
    out.push({ field, description });
  };
  if (!route.model) bad('model', 'model is required');
  const versions = route.versions ?? [];
  if (versions.length === 0) bad('versions', 'a route needs at least one version');
  const seen = new Map<string, number>();
  let sum = 0;
  versions.forEach((v, i) => {
    const name = v.version ?? '';
    if (name === '') bad(`versions[${i}].version`, 'version name is required');
    else if (seen.has(name)) bad(`versions[${i}].version`, `version '${name}' is named twice (also versions[${seen.get(name)}])`);
    else seen.set(name, i);
    const w = Number(v.weight ?? 0);
    if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) bad(`versions[${i}].weight`, `weight must be a whole number in 0..4294967295, got ${String(v.weight)}`);
    else sum += w;
  });
  if (versions.length > 0 && sum <= 0) bad('versions', 'the weights sum to 0: at least one version needs a weight above 0');
  const shadowSeen = new Set<string>();
  (route.shadows ?? []).forEach((s, i) => {
    const name = s.version ?? '';
    if (name === '') bad(`shadows[${i}].version`, 'version name is required');
    else if (shadowSeen.has(name)) bad(`shadows[${i}].version`, `shadow version '${name}' is named twice`);
    else {
      shadowSeen.add(name);
      const served = versions.find((v) => v.version === name);
      if (served && Number(served.weight ?? 0) > 0) bad(`shadows[${i}].version`, `version '${name}' serves routed traffic (weight ${String(served.weight)}): it cannot also be a shadow`);
    }
    const p = Number(s.percent ?? 0);
    if (!(p > 0 && p <= 100)) bad(`shadows[${i}].percent`, `percent must be in (0, 100], got ${String(s.percent)}`);
  });
  const sticky = route.sticky ?? '';
  if (sticky !== '' && !(STICKY_MODES as readonly string[]).includes(sticky)) bad('sticky', `sticky must be one of ${STICKY_MODES.join(', ')}, got '${sticky}'`);
  const param = route.sticky_parameter ?? '';
  if (sticky === 'parameter' && param === '') bad('sticky_parameter', "sticky_parameter is required when sticky is 'parameter'");
  if (sticky !== 'parameter' && param !== '') bad('sticky_parameter', `sticky_parameter is only allowed when sticky is 'parameter' (sticky is '${sticky || 'none'}')`);
  return out;
}

/** Throws when the route is not valid (see {@link routeViolations}). @throws InvalidArgumentError naming every bad field. */
export function validateRoute(route: Route): void {
  const v = routeViolations(route);
  if (v.length === 0) return;
  const first = v[0]!;
  const more = v.length > 1 ? ` (and ${v.length - 1} more)` : '';
  throw new InvalidArgumentError(`invalid route: ${first.field}: ${first.description}${more}`, { violations: v });
}
