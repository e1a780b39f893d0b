/**
 * `mlmesh features …`: the feature service's command line (over gRPC).
 *
 *   npm run cli -- features plan <file|folder>...
 *   npm run cli -- features apply <file|folder>...      (register is the same)
 *   npm run cli -- features list [--name <feature>]
 *   npm run cli -- features get <name@version>
 *   npm run cli -- features materialize --feature <name@version> --start <time> --end <time>
 *   npm run cli -- features historical --entities rows.csv (--features a@1,b@2 | --service <name>) --out training.csv
 *
 * The service is `--target host:port`, else `$MLMESH_FEATURES_ADDRESS`, else 127.0.0.1:8021.
 * Exit codes: 0 done, 1 failure (the service refused or cannot be reached), 2 bad usage.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { errorMessage } from '../shared/errors/index.js';
import type { Value__Output } from '../shared/generated/mlmesh/features/v1/Value.js';
import type { EntityRow } from '../shared/generated/mlmesh/features/v1/EntityRow.js';
import { FeaturesClient, TIMESTAMP_FORMATS, TimeFormatError, collectDefinitions, csvLine, loadDefinitionPaths, makePlan, parseTimeArg, planSummary, readCsvObjects, readTimestamp } from '../services/features/index.js';
import type { TimestampFormatName } from '../services/features/index.js';
import type { FeatureDefinition, FeatureServiceDefinition } from '../services/features/index.js';

const DEFAULT_TARGET = '127.0.0.1:8021';
/** Deadline of unary calls (Materialize may read a large source). */
const CALL_DEADLINE_MS = 10 * 60_000;
/** Entity rows per GetHistoricalFeatures request. */
const DEFAULT_BATCH_ROWS = 50_000;

/** The help text of `mlmesh features`. */
export const FEATURES_HELP = `mlmesh features - the feature service's command line

Usage:
  mlmesh features plan <file|folder>...     What applying would do: one JSON line per feature and feature service
                                            (add, unchanged, change, remove), then a summary; exit 1 if it cannot apply
  mlmesh features apply <file|folder>...    Register what the plan adds; nothing when the plan holds an error
                                            (a changed definition: they are immutable, register a new version)
  mlmesh features register <file|folder>... The same as apply
  mlmesh features list [--name <feature>]   List registered feature versions (one JSON line each)
  mlmesh features get <name@version>        Print one definition as JSON
  mlmesh features materialize --feature <name@version> --start <time> --end <time>
                                            Run the feature's extractor and transformers over [start, end)
  mlmesh features historical --entities <rows.csv> (--features a@1,b@2 | --service <name>) --out <training.csv>
        [--entity-column entity_id] [--timestamp-column ts] [--timestamp-format ISO_8601] [--statuses] [--batch-rows N]
                                            Point-in-time correct training rows: for each entity row, every
                                            feature's latest value at or before the row's time

A folder stands for every .yaml, .yml and .json file under it. "remove" lists what is registered but
not in the files; it is never applied (the registry keeps every version: models may still read it).

--start and --end are epoch ms or ISO 8601 (UTC unless an offset is given). The entity rows' times are
read as --timestamp-format says: ISO_8601 (default; numbers refused), EPOCH_MILLIS, EPOCH_SECONDS or
EPOCH_MICROS; impossible dates (2024-02-30) are refused naming the line. The historical CSV holds the input's entity and time columns, then one
column per feature (empty when the value is null, missing or too old; vectors as JSON), and with
--statuses a <feature>:status column after each.

Common options:
  --target <host:port>   The feature service (default: $MLMESH_FEATURES_ADDRESS, else ${DEFAULT_TARGET}).
`;

/** A bad command line (exit code 2). */
export class FeaturesUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeaturesUsageError';
  }
}

function time(name: string, v: string | undefined): number {
  if (v === undefined) throw new FeaturesUsageError(`--${name} is required`);
  try {
    return parseTimeArg(v);
  } catch (e: unknown) {
    if (e instanceof TimeFormatError) throw new FeaturesUsageError(`--${name}: '${v}' is neither epoch ms nor an ISO-8601 time: ${e.message}`);
    throw e;
  }
}

function print(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** A value as a CSV cell: empty for null, JSON for vectors. */
function cell(v: Value__Output | null | undefined): string {
  if (!v || v.kind === undefined) return '';
  if (v.kind === 'float_vector_value') return JSON.stringify(v.float_vector_value?.values ?? []);
  return String(v[v.kind]);
}

/**
 * `plan` and `apply` (and `register`, which is `apply`): reads the files and folders, compares
 * them with the registry, prints one JSON line per definition (`add`, `unchanged`, `change`,
 * `remove`) and a summary. Nothing is registered when the plan holds an error (a changed
 * definition, a malformed file, a service naming an unknown feature). Returns the exit code.
 */
async function applyDefinitions(client: FeaturesClient, paths: string[], apply: boolean): Promise<number> {
  if (paths.length === 0) throw new FeaturesUsageError(`${apply ? 'apply' : 'plan'}: give at least one definition file or folder`);
  const local = collectDefinitions(await loadDefinitionPaths(paths));
  const [features, services] = await Promise.all([client.listFeatures('', { deadlineMs: 10_000 }), client.listServices({ deadlineMs: 10_000 })]);
  const plan = makePlan(local, {
    features: features.features.map((f) => ({ definition: f.definition as FeatureDefinition, content_hash: f.content_hash })),
    services: services.services.map((s) => ({ service: s.service as FeatureServiceDefinition, content_hash: s.content_hash })),
  });
  const adds = new Set(plan.items.filter((i) => i.action === 'add'));
  // A plan prints everything; apply prints the adds as they are registered, with `created`.
  for (const item of plan.items) if (!(apply && plan.errors.length === 0 && adds.has(item))) print(item);
  for (const error of plan.errors) print({ error });
  if (plan.errors.length > 0) {
    print({ summary: planSummary(plan.items), applied: false, errors: plan.errors.length });
    process.stderr.write(`mlmesh features: ${plan.errors.length} error(s) in the plan${apply ? ': nothing was registered' : ''}\n`);
    return 1;
  }
  if (apply) {
    const item = (k: 'feature' | 'service', key: string) => plan.items.find((i) => i.action === 'add' && i[k] === key);
    for (const l of plan.addFeatures) {
      const res = await client.register(l.definition, { deadlineMs: 10_000 });
      print({ ...item('feature', l.ref), content_hash: res.content_hash, created: res.created });
    }
    for (const l of plan.addServices) {
      const res = await client.registerService(l.service, { deadlineMs: 10_000 });
      print({ ...item('service', l.name), content_hash: res.content_hash, created: res.created });
    }
  }
  print({ summary: planSummary(plan.items), applied: apply });
  return 0;
}

interface HistoricalOptions {
  entities: string;
  out: string;
  selection: { features: { refs: string[] } } | { feature_service: string };
  entityColumn: string;
  timestampColumn: string;
  timestampFormat: TimestampFormatName;
  statuses: boolean;
  batchRows: number;
}

/** Reads entity rows in batches, asks for each batch and streams the answers into the CSV. */
async function historical(client: FeaturesClient, o: HistoricalOptions): Promise<void> {
  const out = createWriteStream(o.out, { encoding: 'utf8' });
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await once(out, 'drain');
  };
  let header = false;
  let written = 0;
  const flush = async (batch: EntityRow[], raw: [string, string][]): Promise<void> => {
    for await (const msg of client.historical({ ...o.selection, rows: batch }, { deadlineMs: CALL_DEADLINE_MS })) {
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
  };
  try {
    let batch: EntityRow[] = [];
    let raw: [string, string][] = [];
    for await (const { row, line } of readCsvObjects(o.entities)) {
      const entity = row[o.entityColumn];
      const ts = row[o.timestampColumn];
      if (entity === undefined || ts === undefined) throw new Error(`${o.entities}: line ${line}: needs columns ${o.entityColumn} and ${o.timestampColumn}`);
      let t: number;
      try {
        t = readTimestamp(ts, o.timestampFormat);
      } catch (e: unknown) {
        if (e instanceof TimeFormatError) throw new Error(`${o.entities}: line ${line}: column ${o.timestampColumn}: ${e.message}`);
        throw e;
      }
      batch.push({ entity_id: entity, time_ms: t });
      raw.push([entity, ts]);
      if (batch.length >= o.batchRows) {
        await flush(batch, raw);
        batch = [];
        raw = [];
      }
    }
    if (batch.length > 0) await flush(batch, raw);
  } finally {
    out.end();
    await once(out, 'close');
  }
  print({ out: o.out, rows: written });
}

/**
 * Runs `mlmesh features <args>`; returns the exit code.
 */
export async function featuresMain(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...args] = argv;
  if (sub === undefined || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(FEATURES_HELP);
    return sub === undefined ? 2 : 0;
  }
  let client: FeaturesClient | undefined;
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        target: { type: 'string' },
        name: { type: 'string' },
        feature: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        entities: { type: 'string' },
        features: { type: 'string' },
        service: { type: 'string' },
        out: { type: 'string' },
        'entity-column': { type: 'string', default: 'entity_id' },
        'timestamp-column': { type: 'string', default: 'ts' },
        'timestamp-format': { type: 'string', default: 'ISO_8601' },
        statuses: { type: 'boolean', default: false },
        'batch-rows': { type: 'string' },
      },
    });
    client = new FeaturesClient(values.target ?? (env['MLMESH_FEATURES_ADDRESS'] || DEFAULT_TARGET));
    switch (sub) {
      case 'plan':
        return await applyDefinitions(client, positionals, false);
      case 'apply':
      case 'register':
        return await applyDefinitions(client, positionals, true);
      case 'list':
        for (const f of (await client.listFeatures(values.name ?? '', { deadlineMs: 10_000 })).features) print(f);
        return 0;
      case 'get': {
        if (positionals.length !== 1) throw new FeaturesUsageError('get: give one ref name@version');
        print(await client.getFeature(positionals[0] as string, { deadlineMs: 10_000 }));
        return 0;
      }
      case 'materialize': {
        if (!values.feature) throw new FeaturesUsageError('materialize: --feature is required');
        print(await client.materialize(values.feature, time('start', values.start), time('end', values.end), { deadlineMs: CALL_DEADLINE_MS }));
        return 0;
      }
      case 'historical': {
        if (!values.entities || !values.out) throw new FeaturesUsageError('historical: --entities and --out are required');
        if (Boolean(values.features) === Boolean(values.service)) throw new FeaturesUsageError('historical: give either --features or --service');
        const batchRows = values['batch-rows'] === undefined ? DEFAULT_BATCH_ROWS : Number(values['batch-rows']);
        if (!Number.isSafeInteger(batchRows) || batchRows <= 0) throw new FeaturesUsageError(`--batch-rows must be a positive integer, got '${values['batch-rows']}'`);
        const timestampFormat = values['timestamp-format'].toUpperCase();
        if (!(TIMESTAMP_FORMATS as readonly string[]).includes(timestampFormat)) throw new FeaturesUsageError(`--timestamp-format must be one of ${TIMESTAMP_FORMATS.join(', ')}, got '${values['timestamp-format']}'`);
        await historical(client, {
          entities: values.entities,
          out: values.out,
          selection: values.features ? { features: { refs: values.features.split(',').map((s) => s.trim()) } } : { feature_service: values.service as string },
          entityColumn: values['entity-column'],
          timestampColumn: values['timestamp-column'],
          timestampFormat: timestampFormat as TimestampFormatName,
          statuses: values.statuses,
          batchRows,
        });
        return 0;
      }
      default:
        throw new FeaturesUsageError(`unknown subcommand '${sub}' (expected: plan, apply, register, list, get, materialize, historical)`);
    }
  } catch (e: unknown) {
    const code: unknown = (e as { code?: unknown } | null)?.code;
    const usage = e instanceof FeaturesUsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'));
    process.stderr.write(`mlmesh features: ${usage ? errorMessage(e) : (e as { details?: string }).details ?? errorMessage(e)}\n`);
    if (usage) process.stderr.write(`Run 'mlmesh features --help' for usage.\n`);
    return usage ? 2 : 1;
  } finally {
    client?.close();
  }
}
