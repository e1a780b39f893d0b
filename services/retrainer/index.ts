/**
 * The retrainer: the event-driven retraining loop — RetrainRequests (or Retrain calls) in, a
 * dataset snapshot, a training job, a gate against the champion, a registered version with
 * provenance, a canary rollout, an outcome (docs/retrainer.md). `main.ts` runs it as a process.
 */
export { RetrainerService, RETRAINER_SERVICE, RETRAINER_PROTO, retrainerVersion, codeVersion } from './service.js';
export type { RetrainerServiceOptions, RetrainerServiceState } from './service.js';
export { RETRAINER_OPTIONS, resolveRetrainerConfig } from './config.js';
export type { RetrainerConfig } from './config.js';
export { RetrainEngine, STAGES, RUN_TERMINAL } from './engine.js';
export { loadModelRetraining, parseRetraining, COMMAND_PLACEHOLDERS } from './settings.js';
export { registerVersion, runProvenance, nextVersion, readProvenance } from './register.js';
export { lineageOf } from './lineage.js';
export { RunStore } from './run-store.js';
export { encodeRun, decodeRun } from './codec.js';
export * from './types.js';
