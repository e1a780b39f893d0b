import { InvalidArgumentError, ResourceExhaustedError, clip, isMlmeshError } from '../../shared/errors/index.js';
import { Code } from '../../shared/errors/index.js';
import type { CallContext } from '../../shared/grpc/index.js';
import type { PreprocessServiceHandlers } from '../../shared/generated/mlmesh/preprocess/v1/PreprocessService.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import type { FitRequest__Output } from '../../shared/generated/mlmesh/preprocess/v1/FitRequest.js';
import type { FitResponse } from '../../shared/generated/mlmesh/preprocess/v1/FitResponse.js';
import type { GetPipelineRequest__Output } from '../../shared/generated/mlmesh/preprocess/v1/GetPipelineRequest.js';
import type { GetPipelineResponse } from '../../shared/generated/mlmesh/preprocess/v1/GetPipelineResponse.js';
import type { ListPipelinesRequest__Output } from '../../shared/generated/mlmesh/preprocess/v1/ListPipelinesRequest.js';
import type { ListPipelinesResponse } from '../../shared/generated/mlmesh/preprocess/v1/ListPipelinesResponse.js';
import type { PipelineInfo } from '../../shared/generated/mlmesh/preprocess/v1/PipelineInfo.js';
import type { PipelineRef__Output } from '../../shared/generated/mlmesh/preprocess/v1/PipelineRef.js';
import type { TransformRequest__Output } from '../../shared/generated/mlmesh/preprocess/v1/TransformRequest.js';
import type { TransformResponse } from '../../shared/generated/mlmesh/preprocess/v1/TransformResponse.js';
import { serializeArtifact } from './artifact.js';
import type { PipelineArtifact } from './artifact.js';
import { fitAndStore, fitSource } from './fit-request.js';
import type { PreprocessMetrics } from './metrics.js';
import type { TransformResult } from './pipeline.js';
import type { ArtifactStore } from './store.js';
import type { RowIssue } from './table.js';

/** Row errors spelled out in a strict-mode INVALID_ARGUMENT message (the rest are counted). */
export const STRICT_ERRORS_LISTED = 20;

/** What the handlers need from the service. */
export interface HandlerDeps {
  store: ArtifactStore;
  metrics: PreprocessMetrics;
  maxBatchRecords: number;
  maxConcurrentFits: number;
  dataDir: string;
  /** Recorded in each artifact's provenance. */
  producedBy: string;
}

/** The summary of an artifact on the wire. */
export function pipelineInfo(a: PipelineArtifact): PipelineInfo {
  return {
    name: a.name,
    version: a.version,
    sha256: a.sha256,
    feature_names: [...a.feature_names],
    fitted_at: a.provenance.fitted_at,
    training_rows: a.provenance.training_rows,
    training_data_sha256: a.provenance.training_data_sha256,
    spec_sha256: a.provenance.spec_sha256,
    input_columns: a.input_schema.columns.map((c) => c.name),
  };
}

/** The INVALID_ARGUMENT message of a strict-mode request with refused rows. */
export function strictMessage(r: TransformResult, records: number): string {
  const refused = records - r.rows;
  const listed = r.errors.slice(0, STRICT_ERRORS_LISTED).map((e) => `records[${e.row}].${e.column}: ${e.code}: ${e.message}`);
  const more = r.errors.length > STRICT_ERRORS_LISTED ? `; and ${r.errors.length - STRICT_ERRORS_LISTED} more` : '';
  return `strict mode: ${refused} of ${records} records refused: ${listed.join('; ')}${more}`;
}

function ref(p: PipelineRef__Output | null | undefined): PipelineRef__Output {
  if (!p) throw new InvalidArgumentError('pipeline: required (name and optional version, or sha256)', { field: 'pipeline' });
  return p;
}

function rowErrors(issues: readonly RowIssue[]): TransformResponse['errors'] {
  return issues.map((e) => ({ row: e.row, column: e.column, code: e.code, message: e.message }));
}

/** The handlers of `mlmesh.preprocess.v1.PreprocessService`: thin, the work is in the domain modules. */
export function preprocessHandlers(d: HandlerDeps): PromiseHandlers<PreprocessServiceHandlers> {
  let fitsRunning = 0;
  return {
    Transform: async (req: TransformRequest__Output, ctx: CallContext): Promise<TransformResponse> => {
      const t0 = process.hrtime.bigint();
      if (req.mode !== 'LENIENT' && req.mode !== 'STRICT') throw new InvalidArgumentError(`mode: unknown value ${clip(JSON.stringify(req.mode))} (LENIENT or STRICT)`, { field: 'mode' });
      if (req.records.length > d.maxBatchRecords) throw new InvalidArgumentError(`records: ${req.records.length} records, at most ${d.maxBatchRecords} per request`, { field: 'records' });
      const pipeline = await d.store.get(ref(req.pipeline));
      const a = pipeline.artifact;
      ctx.bind({ pipeline: a.name, version: a.version });
      const r = pipeline.transformRecords(req.records);
      const refusedAll = req.mode === 'STRICT' && r.errors.length > 0;
      // A strict batch with a bad row returns no rows: all of them count as refused.
      d.metrics.transformed(a.name, refusedAll ? 0 : r.rows, refusedAll ? req.records.length : req.records.length - r.rows, r.errors, Number(process.hrtime.bigint() - t0) / 1e9);
      if (refusedAll) {
        const violations = r.errors.map((e) => ({ field: `records[${e.row}].fields.${e.column}`, description: `${e.code}: ${e.message}` }));
        throw new InvalidArgumentError(strictMessage(r, req.records.length), { field: 'records', violations });
      }
      return {
        name: a.name,
        version: a.version,
        sha256: a.sha256,
        feature_names: [...a.feature_names],
        shape: [r.rows, r.features],
        tensor: Buffer.from(r.tensor.buffer, r.tensor.byteOffset, r.tensor.byteLength),
        row_index: Array.from(r.rowIndex),
        errors: rowErrors(r.errors),
      };
    },
    Fit: async (req: FitRequest__Output, ctx: CallContext): Promise<FitResponse> => {
      if (fitsRunning >= d.maxConcurrentFits) throw new ResourceExhaustedError(`${fitsRunning} fits are running (maxConcurrentFits ${d.maxConcurrentFits}): retry later`);
      fitsRunning++;
      const t0 = process.hrtime.bigint();
      try {
        const source = await fitSource(req, d.dataDir);
        ctx.log.info({ name: req.name, data: source.kind === 'file' ? source.path : source.description }, 'fit started');
        const { artifact, passes } = await fitAndStore(req, source, { store: d.store, producedBy: d.producedBy, signal: ctx.signal });
        ctx.bind({ pipeline: artifact.name, version: artifact.version });
        d.metrics.fits.inc({ outcome: 'ok' });
        d.metrics.fitSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
        ctx.log.info({ sha256: artifact.sha256, rows: artifact.provenance.training_rows, passes }, 'pipeline fitted');
        return { pipeline: pipelineInfo(artifact), passes };
      } catch (e: unknown) {
        d.metrics.fits.inc({ outcome: isMlmeshError(e) && e.code === Code.INVALID_ARGUMENT ? 'invalid' : 'failed' });
        throw e;
      } finally {
        fitsRunning--;
      }
    },
    GetPipeline: async (req: GetPipelineRequest__Output): Promise<GetPipelineResponse> => {
      const a = (await d.store.get(ref(req.pipeline))).artifact;
      return { pipeline: pipelineInfo(a), artifact_json: serializeArtifact(a) };
    },
    ListPipelines: async (req: ListPipelinesRequest__Output): Promise<ListPipelinesResponse> => {
      return { pipelines: (await d.store.list(req.name)).map(pipelineInfo) };
    },
  };
}
