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
export { loadModelRetraining, parseRetraining } from './settings.js';
export { COMMAND_PLACEHOLDERS, runTraining, fillCommand, killProcessGroup, TrainingError } from './trainer.js';
export { evaluate, decide } from './gate.js';
export { readDataset, writeDataset, buildSnapshot, resolveTrainingData } from './dataset.js';
export { registerVersion, runProvenance, nextVersion, readProvenance } from './register.js';
export { lineageOf } from './lineage.js';
export { RunStore } from './run-store.js';
export { encodeRun, decodeRun } from './codec.js';
export * from './types.js';
