/**
 * A fitted pipeline ready to run: the artifact's steps bound to their code. The same object
 * transforms typed records (the service) and CSV rows (the CLI, training), so both give the
 * same numbers for the same artifact.
 */
import type { Record__Output } from '../../shared/generated/mlmesh/preprocess/v1/Record.js';
import type { PipelineArtifact } from './artifact.js';
import { ArtifactIntegrityError } from './errors.js';
import { csvRowsToTable, recordsToTable } from './records.js';
import { DEFAULT_MISSING_VALUES } from './spec.js';
import type { StepKind, StepParams } from './step-kind.js';
import { STEP_KINDS } from './steps.js';
import { RowErrors } from './table.js';
import type { RowIssue, Table } from './table.js';

/** The result of transforming one batch. */
export interface TransformResult {
  /** float32 [rows, features], row-major, one row per valid input row. */
  readonly tensor: Float32Array;
  /** The same values before rounding to float32 (for parity checks). */
  readonly values64: Float64Array;
  readonly rows: number;
  readonly features: number;
  /** For each output row, the index of its input row (ascending). */
  readonly rowIndex: Uint32Array;
  /** Every failure, sorted by row. */
  readonly errors: readonly RowIssue[];
}

/**
 * A row error of CSV input: a {@link RowIssue}, or `MALFORMED_ROW` for a row whose field count
 * is not the header's (CSV only: a record has no field count, so the wire has no such code).
 */
export interface CsvRowIssue extends Omit<RowIssue, 'code'> {
  readonly code: RowIssue['code'] | 'MALFORMED_ROW';
}

/** The result of transforming CSV rows: a {@link TransformResult} whose errors may be MALFORMED_ROW. */
export interface CsvTransformResult extends Omit<TransformResult, 'errors'> {
  /** Every failure, sorted by row. */
  readonly errors: readonly CsvRowIssue[];
}

/** A compiled, immutable pipeline. */
export class CompiledPipeline {
  private readonly steps: readonly { kind: StepKind; params: StepParams }[];
  /** CSV fields that mean missing (from the spec). */
  readonly missingValues: ReadonlySet<string>;

  /** @throws ArtifactIntegrityError when a step type is unknown to this build. */
  constructor(readonly artifact: PipelineArtifact) {
    this.steps = artifact.steps.map((params, i) => {
      const kind = STEP_KINDS.get(params.type);
      if (!kind) throw new ArtifactIntegrityError(`artifact ${artifact.name}@${artifact.version}: steps[${i}] has unknown type ${JSON.stringify(params.type)}`);
      return { kind, params };
    });
    const csv = (artifact.spec['csv'] ?? {}) as { missing_values?: string[] };
    this.missingValues = new Set(csv.missing_values ?? DEFAULT_MISSING_VALUES);
  }

  /** Output feature names, in tensor column order. */
  get featureNames(): readonly string[] {
    return this.artifact.feature_names;
  }

  /** Transforms typed records (the gRPC API). */
  transformRecords(records: readonly Record__Output[]): TransformResult {
    const errors = new RowErrors(records.length);
    return this.run(recordsToTable(this.artifact.input_schema, records, this.missingValues, errors), errors);
  }

  /**
   * Transforms CSV rows (the CLI); `header` names the fields of each row. A row with more or
   * fewer fields than the header is refused (MALFORMED_ROW) and the others are transformed.
   */
  transformCsv(header: readonly string[], rows: readonly (readonly string[])[]): CsvTransformResult {
    const errors = new RowErrors(rows.length);
    const result = this.run(csvRowsToTable(this.artifact.input_schema, header, rows, this.missingValues, errors), errors);
    const malformed: CsvRowIssue[] = [];
    rows.forEach((r, row) => {
      if (r.length !== header.length) malformed.push({ row, column: '', code: 'MALFORMED_ROW', message: `has ${r.length} field${r.length === 1 ? '' : 's'}, the header has ${header.length}` });
    });
    if (malformed.length === 0) return result;
    // A malformed row has no other error (it is skipped whole): a stable sort by row suffices.
    return { ...result, errors: [...malformed, ...result.errors].sort((a, b) => a.row - b.row) };
  }

  /** Applies the steps in order (training passes use it for the fitted prefix). */
  applySteps(table: Table, errors: RowErrors, count = this.steps.length): void {
    for (let i = 0; i < count; i++) {
      const s = this.steps[i] as { kind: StepKind; params: StepParams };
      s.kind.apply(s.params, table, errors);
    }
  }

  private run(table: Table, errors: RowErrors): TransformResult {
    this.applySteps(table, errors);
    const names = this.artifact.feature_names;
    const cols = names.map((n) => table.num(n));
    // Output check: a feature that is not finite (a ratio by zero…) refuses its row.
    for (let r = 0; r < table.rows; r++) {
      if (errors.isBad(r)) continue;
      for (let f = 0; f < cols.length; f++) {
        const v = (cols[f] as Float64Array)[r] as number;
        if (!Number.isFinite(v)) {
          errors.step(r, names[f] as string, 'NOT_FINITE', `output feature '${names[f]}' is ${v}`);
          break;
        }
        // A finite double can still overflow float32.
        if (!Number.isFinite(Math.fround(v))) {
          errors.step(r, names[f] as string, 'NOT_FINITE', `output feature '${names[f]}' = ${v} does not fit in float32`);
          break;
        }
      }
    }
    const good: number[] = [];
    for (let r = 0; r < table.rows; r++) if (!errors.isBad(r)) good.push(r);
    const nf = names.length;
    const values64 = new Float64Array(good.length * nf);
    good.forEach((r, o) => {
      for (let f = 0; f < nf; f++) values64[o * nf + f] = (cols[f] as Float64Array)[r] as number;
    });
    return { tensor: Float32Array.from(values64), values64, rows: good.length, features: nf, rowIndex: Uint32Array.from(good), errors: errors.sorted() };
  }
}
