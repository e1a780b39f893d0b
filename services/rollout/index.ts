/**
 * The rollout service: canary rollouts of a model's candidate version — route weights step by
 * step, an analysis of candidate against baseline at each step, promotion or roll-back, state
 * durable in NATS KV (docs/rollout.md). `main.ts` runs it as a process.
 */
export { RolloutService, ROLLOUT_SERVICE, ROLLOUT_PROTO, rolloutVersion } from './service.js';
export type { RolloutServiceOptions, RolloutServiceState } from './service.js';
export { ROLLOUT_OPTIONS, resolveRolloutConfig } from './config.js';
export type { RolloutConfig } from './config.js';
export { CRITERIA, DEFAULT_CRITERIA, analyse, stepVerdict, emptySample, errorRate, latencyP99Ratio, predictionDistribution, agreement, accuracy, drift, twoProportionGreater, hypergeometricSf, quantile } from './analysis.js';
export type { AnalysisInput, CriteriaSettings, CriterionName, CriterionSettings, Enabled, VersionSample } from './analysis.js';
export { DEFAULT_PLAN, planFromJson, planFromRequest, planToProto, planFromProto, modelPlan, checkSteps } from './plan.js';
export type { ResolvedPlan } from './plan.js';
export { PHASES, TERMINAL, isActive, begin, observe, pause, resume, applyRequest, timerDue, desiredRoute, holdMet } from './machine.js';
export type { Phase, Transition, EventDraft, StepObservation, Requested } from './machine.js';
export { StateStore, ROLLOUT_BUCKET, LEASE_KEY } from './state-store.js';
export type { StoredRollout } from './state-store.js';
export { encodeRollout, decodeRollout } from './codec.js';
export { parseCounters, deltaOf, counterKey, ERROR_REASONS } from './inference-metrics.js';
export { outputRows } from './collector.js';
export { Controller, NATS_UNAVAILABLE } from './controller.js';
export { StateConflictError, NatsDownError } from './errors.js';
