/** Events on NATS: protobuf codecs of mlmesh.events.v1, subjects and stream names. */
export {
  encodePredictionLog,
  decodePredictionLog,
  encodeFeedback,
  decodeFeedback,
  encodeDriftReport,
  decodeDriftReport,
  encodeRetrainRequest,
  decodeRetrainRequest,
  encodeQualityAlert,
  decodeQualityAlert,
  encodeRoute,
  decodeRoute,
  encodeModelEvent,
  decodeModelEvent,
} from './codec.js';
export { SUBJECTS, STREAMS, KV_BUCKETS, subjectToken } from './subjects.js';
export type { StreamKey } from './subjects.js';
export type { PredictionLog, PredictionLog__Output } from '../generated/mlmesh/events/v1/PredictionLog.js';
export type { Feedback, Feedback__Output } from '../generated/mlmesh/events/v1/Feedback.js';
export type { Tensor as EventTensor } from '../generated/mlmesh/events/v1/Tensor.js';
export type { DriftReport, DriftReport__Output } from '../generated/mlmesh/events/v1/DriftReport.js';
export type { RetrainRequest, RetrainRequest__Output } from '../generated/mlmesh/events/v1/RetrainRequest.js';
export type { DetectorResult, DetectorResult__Output } from '../generated/mlmesh/events/v1/DetectorResult.js';
export type { FeatureDrift, FeatureDrift__Output } from '../generated/mlmesh/events/v1/FeatureDrift.js';
export type { QualityAlert, QualityAlert__Output } from '../generated/mlmesh/events/v1/QualityAlert.js';
export type { Route, Route__Output } from '../generated/mlmesh/events/v1/Route.js';
export type { RouteVersion, RouteVersion__Output } from '../generated/mlmesh/events/v1/RouteVersion.js';
export type { ShadowVersion, ShadowVersion__Output } from '../generated/mlmesh/events/v1/ShadowVersion.js';
export type { ModelEvent, ModelEvent__Output } from '../generated/mlmesh/events/v1/ModelEvent.js';
export type { CriterionResult, CriterionResult__Output } from '../generated/mlmesh/events/v1/CriterionResult.js';
