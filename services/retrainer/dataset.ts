/**
 * Dataset snapshots of the retrainer (format: types.ts DatasetManifest): reading and verifying
 * one (dataset-io.ts), writing one content-addressed, resolving a version's training data, and
 * building a run's snapshot from its base and the labelled logged predictions (snapshot.ts).
 */
export { readDataset, writeDataset, resolveTrainingData, DATASET_FILE_NAMES } from './dataset-io.js';
export type { WrittenDataset } from './dataset-io.js';
export { DatasetError, canonicalManifest, manifestBytes, checkManifest } from './dataset-manifest.js';
export { buildSnapshot, datasetSummary, holdoutDraw } from './snapshot.js';
export type { BuildSnapshotOptions, BuiltSnapshot, SnapshotSkips } from './snapshot.js';
export { feedbackTargets, targetOf } from './label-join.js';
export type { LabelMapping } from './label-join.js';
export { logRows } from './logged-rows.js';
export type { LogRows, LogSkip } from './logged-rows.js';
export { readStreamRange } from './stream-range.js';
export type { RangeMessage } from './stream-range.js';
