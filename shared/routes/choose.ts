import type { Route } from '../events/index.js';
import { stickyMode, validateRoute } from './validate.js';
import type { StickyMode } from './validate.js';

/** How a routed request's version was chosen (PredictionLog.route, response parameter mlmesh_route). */
export type RouteKind = 'weights' | 'sticky';

/**
 * A validated route made ready for choosing, per request, without allocating: the versions with
 * their cumulative weights in the route's order, and the shadows with their fractions.
 */
export interface CompiledRoute {
  readonly model: string;
  /** Route.revision as a number. */
  readonly revision: number;
  readonly sticky: StickyMode;
  /** The request parameter that holds the sticky key ('' unless sticky is `parameter`). */
  readonly stickyParameter: string;
  /** Every version the route names, in its order (weight 0 included). */
  readonly versions: readonly string[];
  /** Weight of versions[i]. */
  readonly weights: readonly number[];
  /** Sum of weights[0..i] (so the last is the total). */
  readonly cumulative: readonly number[];
  readonly total: number;
  /** Shadow versions with the fraction (percent / 100) of routed requests copied to each. */
  readonly shadows: readonly { readonly version: string; readonly fraction: number }[];
  /** Every version the route needs loaded to be applied: its versions and its shadows. */
  readonly needs: readonly string[];
  /** The route as written. */
  readonly route: Route;
}

/** The outcome of routing one request. */
export interface RouteChoice {
  /** The version that serves the request. */
  readonly version: string;
  readonly kind: RouteKind;
  /** Shadow versions that get a copy of this request (usually none: then a shared empty array). */
  readonly shadows: readonly string[];
}

const NO_SHADOWS: readonly string[] = Object.freeze([]);

/** Validates a route and prepares it for {@link chooseVersion}. @throws InvalidArgumentError naming the field. */
export function compileRoute(route: Route): CompiledRoute {
  validateRoute(route);
  const versions = (route.versions ?? []).map((v) => v.version ?? '');
  const weights = (route.versions ?? []).map((v) => Number(v.weight ?? 0));
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) {
    total += w;
    cumulative.push(total);
  }
  const shadows = (route.shadows ?? []).map((s) => ({ version: s.version ?? '', fraction: Number(s.percent ?? 0) / 100 }));
  const needs = [...new Set([...versions, ...shadows.map((s) => s.version)])];
  return {
    model: route.model ?? '',
    revision: Number(route.revision ?? 0),
    sticky: stickyMode(route),
    stickyParameter: route.sticky_parameter ?? '',
    versions,
    weights,
    cumulative,
    total,
    shadows,
    needs,
    route,
  };
}

/** Each version's share of routed traffic (weight / sum of weights), in the route's order. */
export function routeShares(route: Route): { version: string; weight: number; share: number }[] {
  const vs = route.versions ?? [];
  const total = vs.reduce((s, v) => s + Number(v.weight ?? 0), 0);
  return vs.map((v) => ({ version: v.version ?? '', weight: Number(v.weight ?? 0), share: total > 0 ? Number(v.weight ?? 0) / total : 0 }));
}

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `s`, then murmur3's 32-bit finaliser (fmix32) so that
 * keys that differ in their last character (customer-1, customer-2, ...) land far apart.
 * Stable across processes, versions and platforms: it is part of the routing contract.
 */
export function stickyHash32(s: string): number {
  let h = 0x811c9dc5;
  const byte = (b: number): void => {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  };
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder does.
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) byte(c);
    else if (c < 0x800) {
      byte(0xc0 | (c >> 6));
      byte(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      byte(0xe0 | (c >> 12));
      byte(0x80 | ((c >> 6) & 0x3f));
      byte(0x80 | (c & 0x3f));
    } else {
      byte(0xf0 | (c >> 18));
      byte(0x80 | ((c >> 12) & 0x3f));
      byte(0x80 | ((c >> 6) & 0x3f));
      byte(0x80 | (c & 0x3f));
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The sticky key's point in [0, 1): {@link stickyHash32} of `<model>` + U+0000 + `<key>`, over
 * 2^32. The model name salts it so that one entity is not the first to see every canary of
 * every model.
 */
export function stickyPoint(model: string, key: string): number {
  return stickyHash32(`${model}\u0000${key}`) / 4294967296;
}

/**
 * The version whose interval holds point `p` in [0, 1): the versions, in the route's order,
 * cover [0, 1) with intervals as wide as their shares (version 0 gets [0, s0), version 1
 * [s0, s0 + s1), ...; a 0-weight version an empty one).
 *
 * Monotone: with the candidate listed FIRST, a point goes to the candidate iff p < its share,
 * so raising its share (whatever the others do) only moves points to it, never from it back.
 * More generally, in any order that stays the same between writes, a version whose share grows
 * while the others keep their ratios only gains points. Writers (the rollout controller, `mlmesh
 * routes set`) therefore keep the order between writes and list the candidate first.
 */
export function versionAtPoint(c: CompiledRoute, p: number): string {
  const x = p * c.total;
  const n = c.versions.length;
  for (let i = 0; i < n; i++) {
    if (c.weights[i]! > 0 && x < c.cumulative[i]!) return c.versions[i]!;
  }
  // p * total rounded up to total: the last version with weight (validation guarantees one).
  for (let i = n - 1; i >= 0; i--) if (c.weights[i]! > 0) return c.versions[i]!;
  return c.versions[0]!;
}

/**
 * Routes one request: by the sticky key's point when the route is sticky and the request has a
 * key (kind `sticky`), else by a random draw over the weights (kind `weights`); each shadow
 * gets a copy with its own independent draw of probability percent / 100.
 *
 * @param stickyKey the request's sticky key (its `sticky_parameter` value or its request id, as
 *   the route says), or undefined when it has none.
 * @param random a uniform draw in [0, 1) (injectable for tests).
 */
export function chooseVersion(c: CompiledRoute, stickyKey: string | undefined, random: () => number = Math.random): RouteChoice {
  const sticky = c.sticky !== 'none' && stickyKey !== undefined;
  const version = versionAtPoint(c, sticky ? stickyPoint(c.model, stickyKey) : random());
  let shadows = NO_SHADOWS;
  if (c.shadows.length > 0) {
    const picked: string[] = [];
    for (const s of c.shadows) if (random() < s.fraction) picked.push(s.version);
    if (picked.length > 0) shadows = picked;
  }
  return { version, kind: sticky ? 'sticky' : 'weights', shadows };
}

/**
 * The versions of a two-version split, candidate first (see {@link versionAtPoint}): weights
 * in hundredths of a percent, so 12.5% is 1250 of 10000.
 */
export function candidateSplit(candidate: string, baseline: string, candidatePercent: number): { version: string; weight: number }[] {
  const c = Math.round(Math.min(100, Math.max(0, candidatePercent)) * 100);
  return [
    { version: candidate, weight: c },
    { version: baseline, weight: 10000 - c },
  ];
}
