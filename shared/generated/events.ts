import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';


type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mlmesh: {
    events: {
      v1: {
        DetectorResult: MessageTypeDefinition
        DriftReport: MessageTypeDefinition
        EventMeta: MessageTypeDefinition
        FeatureDrift: MessageTypeDefinition
        Feedback: MessageTypeDefinition
        PredictionLog: MessageTypeDefinition
        QualityAlert: MessageTypeDefinition
        RetrainRequest: MessageTypeDefinition
        Tensor: MessageTypeDefinition
      }
    }
  }
}

