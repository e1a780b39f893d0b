/**
 * The gateway: one call for backends — features → preprocess → inference — bound by deployment
 * specs (docs/gateway.md), with per-row results and errors, a response cache, and HTTP/JSON.
 * `main.ts` runs it as a process.
 */
export { GatewayService, GATEWAY_SERVICE, GATEWAY_PROTO, gatewayVersion } from './service.js';
export type { GatewayServiceOptions, GatewayServiceState } from './service.js';
export { GATEWAY_OPTIONS, resolveGatewayConfig } from './config.js';
export type { GatewayConfig } from './config.js';
export { parseDeployment, DEPLOYMENT_FORMAT, SPEC_DEFAULTS } from './spec.js';
export { canonicalJson } from '../../shared/canonical/index.js';
export type { DeploymentSpec, FeatureGroupSpec, RequestFieldSpec, OutputSpec, HopTimeouts } from './spec.js';
export type { Binding } from './binding.js';
export { DeploymentRegistry } from './registry.js';
export type { Refusal, ReloadReport } from './registry.js';
export { ResponseCache, ServingVersions } from './cache.js';
export { API_VERSION } from './predict.js';
export { postprocess } from './postprocess.js';
export { featureValue } from './rows.js';
export { gatewayHttpRoutes, decodePredictBody, predictJson } from './http-api.js';
export { runPredict, versionInfo, deploymentInfo } from './server.js';
export type { HandlerDeps } from './server.js';
export { SpecError, BindingError, HopError, HOPS } from './errors.js';
export type { Hop } from './errors.js';
