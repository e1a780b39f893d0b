/**
 * The one service host every mlmesh service runs on: options named `MLMESH_<SERVICE>_<OPTION>`,
 * logger, metrics, gRPC and HTTP servers, health from readiness, the drain order, signals and
 * exit codes. A service gives it typed handlers, its resources and its routes.
 */
export { ServiceHost, HEALTH_REFRESH_MS } from './service-host.js';
export type { HostedServiceOptions, ServiceHostOptions, ServiceHostState, ServiceSetup, HostResource, HostedConfig } from './service-host.js';
export { HostedService } from './hosted-service.js';
export { defineService } from './handlers.js';
export type { PromiseHandlers, HostedGrpcService, DefineServiceOptions } from './handlers.js';
export { hostOptions, LOG_LEVELS } from './options.js';
export type { HostConfig, HostOptionSpecs, HostOptionDefaults, LogLevel } from './options.js';
export { runMain, drainOnSignals, EXIT_CODES } from './run-main.js';
export type { RunnableService } from './run-main.js';
