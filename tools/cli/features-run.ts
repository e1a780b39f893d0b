/** The `features` commands at work (definitions in features.ts). */
import { grpcConnection } from './connection.js';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import type { EntityRow } from '../../shared/generated/mlmesh/features/v1/EntityRow.js';
import type { Value__Output } from '../../shared/generated/mlmesh/features/v1/Value.js';
import { FeaturesClient, TIMESTAMP_FORMATS, TimeFormatError, collectDefinitions, csvLine, loadDefinitionPaths, makePlan, parseTimeArg, planSummary, readCsvObjects, readTimestamp } from '../../services/features/index.js';
import type { FeatureDefinition, FeatureServiceDefinition, TimestampFormatName } from '../../services/features/index.js';
import { CommandError, UsageError } from './errors.js';
import type { FeaturesCommon, HistoricalCliOptions, MaterializeCliOptions } from './features.js';
import { printer } from './output.js';
import { startProgress } from './progress.js';

/** The message of a failed call: the service's own words when it sent some. */
function failure(e: unknown): Error {
  const details = (e as { details?: unknown } | null)?.details;
  if (typeof details === 'string' && details !== '') return new CommandError(details, { cause: e });
  return e instanceof Error ? e : new Error(String(e));
}

async function withClient<T>(address: string, fn: (c: FeaturesClient) => Promise<T>): Promise<T> {
  const client = new FeaturesClient(address, grpcConnection());
  try {
    return await fn(client);
  } catch (e: unknown) {
    if (e instanceof UsageError) throw e;
    throw failure(e);
  } finally {
    client.close();
  }
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

function planText(r: Record<string, unknown>): string {
  if ('summary' in r) return `summary: ${JSON.stringify(r['summary'])}${r['applied'] ? ' (applied)' : ' (not applied)'}`;
  if ('error' in r) return `error: ${str(r['error'])}`;
  const what = r['feature'] !== undefined ? `feature ${str(r['feature'])}` : `service ${str(r['service'])}`;
  return [str(r['action']), what, r['created'] === true ? '(registered)' : '', r['note'] !== undefined ? `- ${str(r['note'])}` : ''].filter(Boolean).join(' ');
}

/**
 * `plan` and `apply` (`register`): compares the files with the registry, prints one record per
 * definition (`add`, `unchanged`, `change`, `remove`) and a summary. Nothing is registered when
 * the plan holds an error (a changed definition, a malformed file, a service naming an unknown
 * feature); the exit code is then 1.
 */
export async function applyDefinitions(address: string, o: FeaturesCommon, paths: string[], apply: boolean): Promise<number> {
  const out = printer(o.json);
  const local = collectDefinitions(await loadDefinitionPaths(paths));
  return withClient(address, async (client) => {
    const call = { deadlineMs: o.timeoutMs };
    const [features, services] = await Promise.all([client.listFeatures('', call), client.listServices(call)]);
    const plan = makePlan(local, {
      features: features.features.map((f) => ({ definition: f.definition as FeatureDefinition, content_hash: f.content_hash })),
      services: services.services.map((s) => ({ service: s.service as FeatureServiceDefinition, content_hash: s.content_hash })),
    });
    const adds = new Set(plan.items.filter((i) => i.action === 'add'));
    // A plan prints everything; apply prints the adds as they are registered, with `created`.
    for (const item of plan.items) if (!(apply && plan.errors.length === 0 && adds.has(item))) out.record({ ...item }, planText);
    for (const error of plan.errors) out.record({ error }, planText);
    if (plan.errors.length > 0) {
      out.record({ summary: planSummary(plan.items), applied: false, errors: plan.errors.length }, planText);
      out.note(`mlmesh features: ${plan.errors.length} error(s) in the plan${apply ? ': nothing was registered' : ''}`);
      return 1;
    }
    if (apply) {
      const item = (k: 'feature' | 'service', key: string) => plan.items.find((i) => i.action === 'add' && i[k] === key);
      for (const l of plan.addFeatures) {
        const res = await client.register(l.definition, call);
        out.record({ ...item('feature', l.ref), content_hash: res.content_hash, created: res.created }, planText);
      }
      for (const l of plan.addServices) {
        const res = await client.registerService(l.service, call);
        out.record({ ...item('service', l.name), content_hash: res.content_hash, created: res.created }, planText);
      }
    }
    out.record({ summary: planSummary(plan.items), applied: apply }, planText);
    return 0;
  });
}

/** `list`: one record per registered feature version. */
export async function list(address: string, o: FeaturesCommon & { name?: string }): Promise<void> {
  const out = printer(o.json);
  await withClient(address, async (client) => {
    for (const f of (await client.listFeatures(o.name ?? '', { deadlineMs: o.timeoutMs })).features) out.record({ ...f });
  });
}

/** `get`: one definition. */
export async function get(address: string, o: FeaturesCommon, ref: string): Promise<void> {
  const out = printer(o.json);
  await withClient(address, async (client) => out.record({ ...(await client.getFeature(ref, { deadlineMs: o.timeoutMs })) }, (r) => JSON.stringify(r, null, 2)));
}

function time(name: string, v: string): number {
  try {
    return parseTimeArg(v);
  } catch (e: unknown) {
    if (e instanceof TimeFormatError) throw new UsageError(`--${name}: '${v}' is neither epoch ms nor an ISO-8601 time: ${e.message}`);
    throw e;
  }
}

/**
 * `materialize`: one Materialize call per chunk of [start, end) (consecutive ranges give the
 * same values as one: the service reads each range's lookback itself), one record per chunk.
 */
export async function materialize(address: string, o: MaterializeCliOptions, signal: AbortSignal): Promise<void> {
  const start = time('start', o.start);
  const end = time('end', o.end);
  if (!(end > start)) throw new UsageError(`--end must be after --start`);
  const chunks = Math.min(o.chunks, end - start);
  const out = printer(o.json);
  const bar = startProgress(`materialize ${o.feature}`, { unit: 'ranges', total: chunks });
  const results: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  try {
    await withClient(address, async (client) => {
      for (let i = 0; i < chunks; i++) {
        signal.throwIfAborted();
        const from = start + Math.floor(((end - start) * i) / chunks);
        const to = i === chunks - 1 ? end : start + Math.floor(((end - start) * (i + 1)) / chunks);
        const res = await client.materialize(o.feature, from, to, { deadlineMs: o.timeoutMs });
        bar.increment();
        results.push(chunks === 1 ? { ...res } : { start_ms: from, end_ms: to, ...res });
        warnings.push(...res.warnings);
      }
    });
  } finally {
    bar.stop();
    for (const r of results) out.record(r);
    for (const w of warnings) out.note(`warning: ${w}`);
  }
}

/** A value as a CSV cell: empty for null, JSON for vectors. */
function cell(v: Value__Output | null | undefined): string {
  if (!v || v.kind === undefined) return '';
  if (v.kind === 'float_vector_value') return JSON.stringify(v.float_vector_value?.values ?? []);
  return String(v[v.kind]);
}

/** Lines of a file (a quick byte scan), for the progress bar's total. */
async function countLines(path: string): Promise<number> {
  let n = 0;
  let last = 10;
  for await (const chunk of createReadStream(path)) {
    const b = chunk as Buffer;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
    if (b.length > 0) last = b[b.length - 1] as number;
  }
  return last === 10 ? n : n + 1;
}

/** `historical`: reads entity rows in batches, asks for each batch and streams the answers into the CSV. */
export async function historical(address: string, o: HistoricalCliOptions, signal: AbortSignal): Promise<void> {
  if (Boolean(o.features) === Boolean(o.service)) throw new UsageError('give either --features or --service');
  const format = o.timestampFormat.toUpperCase();
  if (!(TIMESTAMP_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--timestamp-format must be one of ${TIMESTAMP_FORMATS.join(', ')}, got '${o.timestampFormat}'`);
  const selection = o.features ? { features: { refs: o.features.split(',').map((s) => s.trim()) } } : { feature_service: o.service as string };
  const total = await countLines(o.entities).catch((e: unknown) => {
    throw new CommandError(`cannot read --entities ${o.entities}: ${e instanceof Error ? e.message : String(e)}`);
  });
  const out = printer(o.json);
  const csv = createWriteStream(o.out, { encoding: 'utf8' });
  const bar = startProgress('historical', { unit: 'rows', total: Math.max(total - 1, 0) });
  const write = async (line: string): Promise<void> => {
    if (!csv.write(line)) await once(csv, 'drain');
  };
  let header = false;
  let written = 0;
  const flush = async (client: FeaturesClient, batch: EntityRow[], raw: [string, string][]): Promise<void> => {
    for await (const msg of client.historical({ ...selection, rows: batch }, { deadlineMs: o.timeoutMs })) {
      if (!header && msg.features.length > 0) {
        const cols = msg.features.flatMap((f) => (o.statuses ? [f, `${f}:status`] : [f]));
        await write(csvLine([o.entityColumn, o.timestampColumn, ...cols]));
        header = true;
      }
      for (const r of msg.rows) {
        const [entity, ts] = raw[r.row_index] ?? ['', ''];
        const cells = r.values.flatMap((v) => (o.statuses ? [cell(v.value), v.status] : [cell(v.value)]));
        await write(csvLine([entity, ts, ...cells]));
        written++;
      }
    }
    bar.update(written);
  };
  try {
    await withClient(address, async (client) => {
      let batch: EntityRow[] = [];
      let raw: [string, string][] = [];
      for await (const { row, line } of readCsvObjects(o.entities)) {
        signal.throwIfAborted();
        const entity = row[o.entityColumn];
        const ts = row[o.timestampColumn];
        if (entity === undefined || ts === undefined) throw new CommandError(`${o.entities}: line ${line}: needs columns ${o.entityColumn} and ${o.timestampColumn}`);
        let t: number;
        try {
          t = readTimestamp(ts, format as TimestampFormatName);
        } catch (e: unknown) {
          if (e instanceof TimeFormatError) throw new CommandError(`${o.entities}: line ${line}: column ${o.timestampColumn}: ${e.message}`);
          throw e;
        }
        batch.push({ entity_id: entity, time_ms: t });
        raw.push([entity, ts]);
        if (batch.length >= o.batchRows) {
          await flush(client, batch, raw);
          batch = [];
          raw = [];
        }
      }
      if (batch.length > 0) await flush(client, batch, raw);
    });
  } finally {
    bar.stop();
    csv.end();
    await once(csv, 'close');
  }
  out.record({ out: o.out, rows: written }, (r) => `wrote ${String(r['rows'])} rows to ${String(r['out'])}`);
}

