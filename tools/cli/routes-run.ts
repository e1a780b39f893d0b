/**
 * `routes get|set|delete` at work: a RouteStore (shared/routes) on a NATS connection of the
 * CLI's own. Writes are compare-and-set on the KV revision read just before, so a write made by
 * someone else in between (the rollout controller, another person) is reported, not overwritten.
 */
import { hostname, userInfo } from 'node:os';
import type { Route, Route__Output } from '../../shared/events/index.js';
import { RouteConflictError, RouteStore, routeShares, stickyMode } from '../../shared/routes/index.js';
import type { RouteEntry } from '../../shared/routes/index.js';
import { CommandError } from './errors.js';
import { connectCliNats } from './nats.js';
import { printer } from './output.js';
import type { RoutesReadOptions, RoutesSetOptions } from './routes.js';

async function withStore<T>(url: string, fn: (store: RouteStore) => Promise<T>): Promise<T> {
  const nc = await connectCliNats(url);
  try {
    return await fn(await RouteStore.create(nc));
  } finally {
    await nc.close();
  }
}

/** A route as the JSON record `routes get` and `routes set` print. */
function routeRecord(route: Route__Output, kvRevision: number): Record<string, unknown> {
  return {
    model: route.model,
    revision: Number(route.revision),
    kv_revision: kvRevision,
    versions: routeShares(route).map((v) => ({ version: v.version, weight: v.weight, share: Number(v.share.toFixed(6)) })),
    shadows: route.shadows.map((s) => ({ version: s.version, percent: s.percent })),
    sticky: stickyMode(route),
    sticky_parameter: route.sticky_parameter,
    written_by: route.written_by,
    updated_unix_ms: Number(route.updated_unix_ms),
    rollout_id: route.rollout_id,
  };
}

const pct = (share: number): string => `${(share * 100).toFixed(share * 100 === Math.round(share * 100) ? 0 : 2)}%`;

/** The text form: a header line, one line per version, then shadows and sticky. */
function routeText(route: Route__Output): string {
  const lines = [`model ${route.model}  revision ${route.revision}  written_by ${JSON.stringify(route.written_by)}  updated ${new Date(Number(route.updated_unix_ms)).toISOString()}${route.rollout_id ? `  rollout ${route.rollout_id}` : ''}`];
  const shares = routeShares(route);
  const w = Math.max(7, ...shares.map((s) => s.version.length));
  lines.push(`  ${'version'.padEnd(w)}  ${'weight'.padStart(10)}  share`);
  for (const s of shares) lines.push(`  ${s.version.padEnd(w)}  ${String(s.weight).padStart(10)}  ${pct(s.share)}`);
  lines.push(`  shadows: ${route.shadows.length === 0 ? 'none' : route.shadows.map((s) => `${s.version} ${s.percent}%`).join(', ')}`);
  const sticky = stickyMode(route);
  lines.push(`  sticky: ${sticky === 'parameter' ? `parameter:${route.sticky_parameter}` : sticky}`);
  return lines.join('\n');
}

function noRoute(model: string): CommandError {
  return new CommandError(`model '${model}' has no route (replicas serve its newest version)`);
}

/** `routes get MODEL`. */
export async function routesGet(model: string, o: RoutesReadOptions): Promise<void> {
  const entry = await withStore(o.nats, (store) => store.get(model));
  if (!entry) throw noRoute(model);
  printer(o.json).record(routeRecord(entry.route, entry.kvRevision), () => routeText(entry.route));
}

function changedMeanwhile(model: string, e: RouteConflictError | { expected: number; found: number }): CommandError {
  const detail = e instanceof RouteConflictError ? `KV revision ${e.expectedKvRevision} was read, ${e.currentKvRevision === 0 ? 'the route is gone' : `${e.currentKvRevision} is stored now`}` : `expected revision ${e.expected}, found ${e.found === 0 ? 'no route' : e.found}`;
  return new CommandError(`the route of model '${model}' was changed by someone else meanwhile (${detail}): nothing written; read it again with 'mlmesh routes get ${model}' and retry`, e instanceof Error ? { cause: e } : undefined);
}

/** `routes set MODEL v=w... [--shadow v=p] [--sticky ...]`. */
export async function routesSet(model: string, versions: { version: string; weight: number }[], o: RoutesSetOptions): Promise<void> {
  const sticky = o.sticky ?? { sticky: 'none' };
  const route: Route = {
    model,
    versions,
    shadows: o.shadow ?? [],
    sticky: sticky.sticky,
    sticky_parameter: sticky.sticky === 'parameter' ? sticky.parameter : '',
    written_by: o.writtenBy ?? `cli: mlmesh routes set by ${userInfo().username}@${hostname()}`,
    rollout_id: '',
  };
  const { before, after } = await withStore(o.nats, async (store) => {
    const current = await store.get(model);
    const found = Number(current?.route.revision ?? 0);
    if (o.expectRevision !== undefined && o.expectRevision !== found) throw changedMeanwhile(model, { expected: o.expectRevision, found });
    try {
      return { before: current, after: await store.put(route, { expectedKvRevision: current?.kvRevision ?? 0 }) };
    } catch (e: unknown) {
      if (e instanceof RouteConflictError) throw changedMeanwhile(model, e);
      throw e;
    }
  });
  const out = printer(o.json);
  out.record({ ...routeRecord(after.route, after.kvRevision), previous_revision: Number(before?.route.revision ?? 0) }, () => routeText(after.route));
  out.note(before ? `route of ${model}: revision ${before.route.revision} → ${after.route.revision}` : `route of ${model} created (revision ${after.route.revision})`);
}

/** `routes delete MODEL`. */
export async function routesDelete(model: string, o: RoutesReadOptions & { expectRevision?: number }): Promise<void> {
  const deleted = await withStore(o.nats, async (store): Promise<RouteEntry | undefined> => {
    const current = await store.get(model);
    const found = Number(current?.route.revision ?? 0);
    if (o.expectRevision !== undefined && o.expectRevision !== found) throw changedMeanwhile(model, { expected: o.expectRevision, found });
    if (!current) return undefined;
    try {
      await store.delete(model, { expectedKvRevision: current.kvRevision });
    } catch (e: unknown) {
      if (e instanceof RouteConflictError) throw changedMeanwhile(model, e);
      throw e;
    }
    return current;
  });
  printer(o.json).record({ model, deleted: deleted !== undefined, revision: Number(deleted?.route.revision ?? 0) }, (r) => (r['deleted'] ? `deleted the route of ${model} (revision ${String(r['revision'])})` : `model ${model} had no route`));
}
