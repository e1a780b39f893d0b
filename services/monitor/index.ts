/**
 * The drift monitor: consumes prediction logs and feedback from NATS JetStream, keeps windows per
 * model version, runs two-sample tests against each version's reference (rows the model did not fit), publishes
 * DriftReports and RetrainRequests, and serves mlmesh.monitor.v1.MonitorService plus HTML pages.
 */
export { MonitorService, MONITOR_SERVICE } from './service.js';
export type { MonitorServiceOptions, MonitorServiceState } from './service.js';
export { MONITOR_OPTIONS, DETECTORS, resolveMonitorConfig } from './config.js';
export type { MonitorConfig, DetectorName } from './config.js';
export { runDetectors } from './detectors.js';
export type { DetectorSettings, WindowData, Verdict, MmdRunner } from './detectors.js';
export { parseMonitoring, loadModelMonitoring } from './model-monitoring.js';
export type { ModelMonitoring } from './model-monitoring.js';
export { buildReference, loadReference, replaceReference, referenceDir, REFERENCE_FORMAT } from './reference.js';
export type { Reference, ReferenceProvenance } from './reference.js';
export { DetectorPool } from './detector-pool.js';
