import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { RolloutServiceClient as _mlmesh_rollout_v1_RolloutServiceClient, RolloutServiceDefinition as _mlmesh_rollout_v1_RolloutServiceDefinition } from './mlmesh/rollout/v1/RolloutService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mlmesh: {
    events: {
      v1: {
        CriterionResult: MessageTypeDefinition
        DetectorResult: MessageTypeDefinition
        DriftReport: MessageTypeDefinition
        EventMeta: MessageTypeDefinition
        FeatureDrift: MessageTypeDefinition
        Feedback: MessageTypeDefinition
        ModelEvent: MessageTypeDefinition
        PredictionLog: MessageTypeDefinition
        QualityAlert: MessageTypeDefinition
        RetrainRequest: MessageTypeDefinition
        Route: MessageTypeDefinition
        RouteVersion: MessageTypeDefinition
        ShadowVersion: MessageTypeDefinition
        Tensor: MessageTypeDefinition
      }
    }
    rollout: {
      v1: {
        CriteriaPlan: MessageTypeDefinition
        CriterionPlan: MessageTypeDefinition
        GetRolloutRequest: MessageTypeDefinition
        ListRolloutsRequest: MessageTypeDefinition
        ListRolloutsResponse: MessageTypeDefinition
        Rollout: MessageTypeDefinition
        RolloutActionRequest: MessageTypeDefinition
        RolloutPlan: MessageTypeDefinition
        RolloutResponse: MessageTypeDefinition
        RolloutService: SubtypeConstructor<typeof grpc.Client, _mlmesh_rollout_v1_RolloutServiceClient> & { service: _mlmesh_rollout_v1_RolloutServiceDefinition }
        StartRolloutRequest: MessageTypeDefinition
        StepRecord: MessageTypeDefinition
      }
    }
  }
}

