/** Load testing of an inference service: node (multi-process grpc-js) and h2load engines (closed loops), and an open-loop generator (`mlmesh loadtest`). */
export { loadTest } from './load-test.js';
export type { LoadTestOptions } from './load-test.js';
export { formatResult, quantile, summarize } from './stats.js';
export type { LoadResult } from './stats.js';
export { runH2load } from './h2load-engine.js';
export type { H2loadRunOptions } from './h2load-engine.js';
export { buildRequest, grpcFrame } from './request.js';
export { formatOpenLoop, openLoop } from './open-loop.js';
export { nativeOpenLoopBinary } from './native.js';
export type { LatencySummary, OpenLoopOptions, OpenLoopResult } from './open-loop.js';
