/** Load testing of an inference service: node (multi-process grpc-js) and h2load engines (`mlmesh loadtest`). */
export { loadTest } from './load-test.js';
export type { LoadTestOptions } from './load-test.js';
export { formatResult, quantile, summarize } from './stats.js';
export type { LoadResult } from './stats.js';
export { runH2load } from './h2load-engine.js';
export type { H2loadRunOptions } from './h2load-engine.js';
export { buildRequest, grpcFrame } from './request.js';
