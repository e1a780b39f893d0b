/**
 * The whole mesh on one machine: `runUp` (`mlmesh up`, `npm start`) starts NATS and every
 * service under a supervisor, `runStatus` (`mlmesh status`) reports on a running mesh. Both
 * return an exit code and parse their flags from a table (`UP_FLAGS`, `STATUS_FLAGS`) so the
 * `mlmesh` command can route to them. `Mesh` and `planMesh` are the same machinery for code
 * (the demo, tests). See docs/mesh.md.
 */
export { runUp, UP_FLAGS, UP_HELP, processIo, statusTable } from './up.js';
export type { MeshIo } from './up.js';
export { runStatus, meshStatus, STATUS_FLAGS, STATUS_HELP } from './status.js';
export type { StatusReport, MemberStatus } from './status.js';
export { Mesh } from './supervisor.js';
export { takeOverVarDir } from './takeover.js';
export type { DrainResult } from './supervisor.js';
export { MESH_OPTIONS, CONFIG_FILE_NAME, NATS_HOWTO, findConfigFile, meshSettings, planMesh } from './config.js';
export type { MeshConfig, MeshPlan, NatsPlan, PlanOptions, PlannedService } from './config.js';
export { CATALOGUE, NATS, loadServiceOptions, serviceOfCommand } from './catalogue.js';
export type { ServiceEntry, NatsNeed } from './catalogue.js';
export { makeDevCertificates } from './dev-certs.js';
export type { DevCertificates, DevCertificateOptions, CertFiles } from './dev-certs.js';
export { LogStream } from './log-stream.js';
export type { LogStreamOptions } from './log-stream.js';
export { SupervisedChild, backoffDelay } from './child.js';
export type { ChildSpec, ChildState, RestartPolicy } from './child.js';
export { resolveNatsBinary, natsInfo, natsFiles, parseNatsLogLine } from './nats.js';
export { readState, stateFilePath, STATE_FORMAT } from './state-file.js';
export type { MeshState, ServiceRecord } from './state-file.js';
export { parseFlags, flagsHelp } from './flags.js';
export type { FlagSpec, FlagTable } from './flags.js';
export { MeshConfigError, MeshRunningError, MeshStoppedError, MeshUsageError, ServiceStartError, exitCodeOf } from './errors.js';
