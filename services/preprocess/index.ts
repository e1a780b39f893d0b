/**
 * The preprocessing service: pipeline specs fitted on training CSVs (streamed) into immutable,
 * content-addressed JSON artifacts, and the same fitted pipelines run online over gRPC
 * (`mlmesh.preprocess.v1.PreprocessService`) with per-row validation errors. `main.ts` runs it
 * as a process; the CLI (`mlmesh pipeline`, tools/cli/pipeline.ts) fits and transforms offline with the same code.
 */
export { PreprocessService, PREPROCESS_SERVICE, PREPROCESS_PROTO, producerName } from './service.js';
export type { PreprocessServiceOptions, PreprocessServiceState } from './service.js';
export { PREPROCESS_OPTIONS, resolvePreprocessConfig } from './config.js';
export type { PreprocessConfig } from './config.js';
export { PreprocessClient, responseTensor } from './client.js';
export type { PreprocessCallOptions } from './client.js';
export { STRICT_ERRORS_LISTED, pipelineInfo } from './server.js';
export { parseSpec, DEFAULT_MISSING_VALUES } from './spec.js';
export type { PipelineSpec, SpecStep } from './spec.js';
export { fitPipeline } from './fit.js';
export type { FitOptions, FitResult } from './fit.js';
export { csvBatches, fileSource, bytesSource } from './csv.js';
export type { CsvSource, CsvBatch, CsvReadOptions } from './csv.js';
export { CompiledPipeline } from './pipeline.js';
export type { TransformResult, CsvTransformResult, CsvRowIssue } from './pipeline.js';
export { ARTIFACT_FORMAT, parseArtifact, sealArtifact, serializeArtifact, artifactHash } from './artifact.js';
export type { PipelineArtifact, ArtifactBody, Provenance } from './artifact.js';
export { ArtifactStore, checkName, compareVersions, NAME_PATTERN } from './store.js';
export type { PipelineRefInput } from './store.js';
export type { InputSchema, ColumnSchema } from './schema.js';
export type { RowIssue } from './table.js';
export type { StepParams } from './step-kind.js';
export { STEP_TYPES } from './steps.js';
export { SpecError, FitError, CsvError, ArtifactIntegrityError } from './errors.js';
export { quantileSorted } from './stats.js';
export { yeoJohnson, yeoJohnsonLambda } from './step-transform.js';
export { brentMinimize } from './brent.js';
