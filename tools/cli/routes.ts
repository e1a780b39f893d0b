/**
 * `mlmesh routes get|set|delete`: the traffic split of a model between its versions, in NATS KV
 * bucket mlmesh_routes, read and written directly (no service in between) with compare-and-set
 * (implementation in routes-run.ts, loaded when a command runs).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { onRun } from './action.js';
import { UsageError } from './errors.js';
import { jsonOption, natsOption, nonEmpty, nonNegativeInt } from './options.js';
import type { CliContext } from './program.js';

/** Options of `routes get` and `routes delete`. */
export interface RoutesReadOptions {
  nats: string;
  json?: boolean;
}

/** How `routes set` keeps callers on one version. */
export type StickyArg = { sticky: 'none' | 'request_id' } | { sticky: 'parameter'; parameter: string };

/** Options of `routes set`. */
export interface RoutesSetOptions extends RoutesReadOptions {
  shadow?: { version: string; percent: number }[];
  sticky?: StickyArg;
  /** The Route.revision the person read: refused when the route has changed since. */
  expectRevision?: number;
  writtenBy?: string;
}

/** `v=90` → version and whole-number weight. */
export function parseVersionWeight(arg: string): { version: string; weight: number } {
  const m = /^([^=\s]+)=(\d+)$/.exec(arg);
  if (!m || !Number.isSafeInteger(Number(m[2])) || Number(m[2]) > 0xffffffff) throw new UsageError(`'${arg}' is not VERSION=WEIGHT (a whole number weight, e.g. 2=10)`);
  return { version: m[1]!, weight: Number(m[2]) };
}

function shadowArg(value: string, previous: { version: string; percent: number }[] | undefined): { version: string; percent: number }[] {
  const m = /^([^=\s]+)=([0-9]*\.?[0-9]+)$/.exec(value);
  const pct = Number(m?.[2]);
  if (!m || !(pct > 0 && pct <= 100)) throw new InvalidArgumentError(`'${value}' is not VERSION=PERCENT with 0 < PERCENT <= 100 (e.g. 3=5)`);
  return [...(previous ?? []), { version: m[1]!, percent: pct }];
}

function stickyArg(value: string): StickyArg {
  if (value === 'none' || value === 'request_id') return { sticky: value };
  const m = /^parameter:(.+)$/.exec(value);
  if (m) return { sticky: 'parameter', parameter: m[1]! };
  throw new InvalidArgumentError("must be none, request_id or parameter:<name> (e.g. parameter:customer_id)");
}

/** Registers `routes`. */
export function registerRoutes(program: Command, ctx: CliContext): void {
  const g = program.command('routes').description("traffic routes between a model's versions (NATS KV bucket mlmesh_routes, watched by every inference replica)");
  const get = g
    .command('get')
    .description("print a model's route: versions with weights and shares, shadows, sticky, revision, who wrote it (exit 1 when it has none: the newest version serves)")
    .argument('<model>', 'model name')
    .addOption(natsOption())
    .addOption(jsonOption());
  onRun<RoutesReadOptions>(get, ctx, async (args, o) => (await import('./routes-run.js')).routesGet(args[0]!, o));
  const set = g
    .command('set')
    .description(
      "write a model's route: VERSION=WEIGHT pairs, in this order (list a candidate first, and keep the order between writes: then a sticky caller only ever moves to the candidate as its weight grows); shadows and sticky as given (none unless given). Compare-and-set: refused, saying so, when someone else changed the route meanwhile (or since --expect-revision). Replicas apply it only while every version it names is loaded there",
    )
    .argument('<model>', 'model name')
    .argument('<version=weight...>', 'e.g. 2=10 1=90')
    .addOption(new Option('--shadow <version=percent>', 'also copy this percent of routed requests to this version, after the answer (repeat for several)').argParser(shadowArg))
    .addOption(new Option('--sticky <mode>', 'none (each request drawn at random), request_id, or parameter:<name> (the hash of that request parameter, e.g. parameter:customer_id)').default({ sticky: 'none' }, 'none').argParser(stickyArg))
    .addOption(new Option('--expect-revision <n>', 'only if the route is still at this revision (0: only if the model has no route), e.g. the one `routes get` printed').argParser(nonNegativeInt))
    .addOption(new Option('--written-by <text>', 'who and why, stored in the route (default: cli: mlmesh routes set by <user>@<host>)').argParser(nonEmpty))
    .addOption(natsOption())
    .addOption(jsonOption());
  onRun<RoutesSetOptions>(set, ctx, async (args, o) => {
    const [model, ...pairs] = args as [string, ...string[]];
    return (await import('./routes-run.js')).routesSet(model, pairs.map(parseVersionWeight), o);
  });
  const del = g
    .command('delete')
    .description("delete a model's route (replicas then serve its newest version)")
    .argument('<model>', 'model name')
    .addOption(new Option('--expect-revision <n>', 'only if the route is still at this revision').argParser(nonNegativeInt))
    .addOption(natsOption())
    .addOption(jsonOption());
  onRun<RoutesReadOptions & { expectRevision?: number }>(del, ctx, async (args, o) => (await import('./routes-run.js')).routesDelete(args[0]!, o));
}
