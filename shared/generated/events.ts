import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';


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
  }
}

