/**
 * Fitting a spec on a CSV, streamed: the data is read in batches, never whole, in several
 * passes. Pass 1 hashes the bytes, counts the rows and infers the input schema (types, missing
 * counts, ranges, categories). Then the steps are fitted in groups: consecutive steps that read
 * nothing an earlier step of the group writes share a pass, during which each batch goes
 * through the already fitted steps (the same `apply` serving runs) and feeds the group's
 * fitters. Stateless steps need no pass. Memory: running sums for mean/std/min/max, label
 * counts for categorical steps, and the values of a column only for the statistics that need
 * them all (median imputation, robust scaling, outlier caps, power transform).
 */
import { createHash } from 'node:crypto';
import { FitError } from './errors.js';
import { sealArtifact, ARTIFACT_FORMAT } from './artifact.js';
import type { PipelineArtifact } from './artifact.js';
import { csvBatches } from './csv.js';
import type { CsvSource } from './csv.js';
import { csvRowsToTable } from './records.js';
import { SchemaInference, columnUsage, usedColumns } from './schema.js';
import type { InputSchema, StepUsage } from './schema.js';
import type { PipelineSpec, SpecStep } from './spec.js';
import type { Fitter, StepKind, StepParams } from './step-kind.js';
import { RowErrors } from './table.js';
import type { Layout, Table } from './table.js';

/** Options of {@link fitPipeline}. */
export interface FitOptions {
  readonly spec: PipelineSpec;
  readonly source: CsvSource;
  readonly name: string;
  readonly version: string;
  /** Recorded in the provenance, e.g. `mlmesh-preprocess 0.1.0 (cli)`. */
  readonly producedBy: string;
  /** Rows per batch. @default 4096 */
  readonly batchRows?: number;
  /** Aborts the fit between batches. */
  readonly signal?: AbortSignal;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** A fitted artifact and the number of passes it took. */
export interface FitResult {
  readonly artifact: PipelineArtifact;
  readonly passes: number;
}

interface Fitted {
  readonly kind: StepKind;
  readonly params: StepParams;
}

/** Wraps a source so that reading it hashes its bytes. */
function hashing(source: CsvSource, hash: ReturnType<typeof createHash>): CsvSource {
  return {
    description: source.description,
    async *open() {
      for await (const chunk of source.open()) {
        hash.update(chunk);
        yield chunk;
      }
    },
  };
}

/** Splits the steps into groups that can be fitted in one pass. */
function nextGroup(steps: readonly SpecStep[], from: number, layout: Layout): SpecStep[] {
  const group = [steps[from] as SpecStep];
  const written = new Set(steps[from]?.kind.writes(steps[from].spec));
  const names = new Set(layout.map((l) => l.name));
  for (let j = from + 1; j < steps.length; j++) {
    const s = steps[j] as SpecStep;
    const reads = s.kind.reads(s.spec);
    const writes = s.kind.writes(s.spec);
    if (!reads.every((c) => names.has(c) && !written.has(c)) || writes.some((c) => written.has(c))) break;
    group.push(s);
    for (const c of writes) written.add(c);
  }
  return group;
}

/**
 * Fits `spec` on the CSV and returns the sealed artifact.
 * @throws CsvError for unreadable CSV; FitError naming the step and column when the spec cannot
 *   be fitted (a column missing from the data or of the wrong kind, missing values a step
 *   cannot take, a value outside a step's domain, a categorical column left at the end);
 *   the signal's reason when aborted.
 */
export async function fitPipeline(o: FitOptions): Promise<FitResult> {
  const batchRows = o.batchRows ?? 4096;
  const hash = createHash('sha256');
  let inference: SchemaInference | undefined;
  for await (const b of csvBatches(hashing(o.source, hash), { batchRows, signal: o.signal })) {
    inference ??= new SchemaInference(b.header, o.spec.missingValues, usedColumns(b.header, o.spec.steps));
    inference.update(b.rows, b.firstRow);
  }
  // No batch at all: the CSV has a header (csvBatches refuses an empty one) and nothing else.
  if (!inference || inference.rows === 0) throw new FitError('data', undefined, `${o.source.description} has a header but no data rows`);
  const inf = inference;
  const types = inf.types(o.spec.columnTypes);
  inf.refuseInfinite(types, o.source.description);
  const inputLayout: Layout = inf.header.map((name, i) => ({ name, kind: types[i] === 'number' ? 'num' : 'str' }));
  const policy = { unknown_columns: o.spec.unknownColumns, enforce_range: o.spec.enforceRange, range_tolerance: o.spec.rangeTolerance };
  // While fitting, every column is optional: missing values are the steps' to judge.
  const looseSchema: InputSchema = { ...policy, enforce_range: false, columns: inf.header.map((name, i) => ({ name, type: types[i] as 'number' | 'string', required: false, used: inf.used.has(name), missing_in_training: 0 })) };
  const missing = new Set(o.spec.missingValues);

  const fitted: Fitted[] = [];
  const usage: StepUsage[] = [];
  let layout = inputLayout;
  let passes = 1;
  for (let i = 0; i < o.spec.steps.length; ) {
    const group = nextGroup(o.spec.steps, i, layout);
    const fitters: Fitter<StepParams>[] = group.map((s) => s.kind.begin(s.spec, layout, s.at));
    if (fitters.some((f) => f.needsData)) {
      passes++;
      for await (const b of csvBatches(o.source, { batchRows, signal: o.signal })) {
        const table = trainingTable(looseSchema, b.header, b.rows, b.firstRow, missing, fitted, o.source.description);
        for (const f of fitters) f.update(table, b.firstRow);
      }
    }
    group.forEach((s, k) => {
      const params = (fitters[k] as Fitter<StepParams>).finish();
      layout = s.kind.layout(params, layout);
      // A step whose output names collide (one_hot of `color` beside a column `color_red`, a
      // derived name that a later encoding also makes) would silently overwrite a column.
      const seen = new Set<string>();
      for (const l of layout) {
        if (seen.has(l.name)) throw new FitError(s.at, l.name, 'is produced twice (an output name collides with another column): rename or drop one of them first');
        seen.add(l.name);
      }
      fitted.push({ kind: s.kind, params });
      usage.push({ params, nulls: s.kind.nulls, reads: s.kind.reads(s.spec), after: layout });
    });
    i += group.length;
  }
  for (const l of layout) {
    if (l.kind !== 'num') throw new FitError('output', l.name, 'is still categorical at the end of the pipeline: encode it (one_hot, ordinal) or drop it');
  }
  if (layout.length === 0) throw new FitError('output', undefined, 'the pipeline outputs no features');

  const schema = inf.schema(types, columnUsage(inputLayout, usage), policy);
  const artifact = sealArtifact({
    format: ARTIFACT_FORMAT,
    name: o.name,
    version: o.version,
    spec: o.spec.raw,
    input_schema: schema,
    steps: fitted.map((f) => f.params),
    feature_names: layout.map((l) => l.name),
    provenance: {
      training_data_sha256: hash.digest('hex'),
      training_rows: inf.rows,
      training_data: o.source.description,
      spec_sha256: o.spec.sha256,
      fitted_at: (o.now ?? (() => new Date()))().toISOString(),
      produced_by: o.producedBy,
      passes,
    },
  });
  return { artifact, passes };
}

/**
 * One training batch through the fitted steps. Any row error here means the training data
 * breaks a fitted step (which the fitters check first), so it fails the fit.
 */
function trainingTable(schema: InputSchema, header: readonly string[], rows: readonly (readonly string[])[], firstRow: number, missing: ReadonlySet<string>, fitted: readonly Fitted[], source: string): Table {
  const errors = new RowErrors(rows.length);
  const table = csvRowsToTable(schema, header, rows, missing, errors);
  for (const f of fitted) f.kind.apply(f.params, table, errors);
  const first = errors.sorted()[0];
  if (first) throw new FitError('data', first.column, `${source}: data row ${firstRow + first.row}: ${first.code}: ${first.message}`);
  return table;
}
