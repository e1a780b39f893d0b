import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';


type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mlmesh: {
    events: {
      v1: {
        EventMeta: MessageTypeDefinition
        Feedback: MessageTypeDefinition
        PredictionLog: MessageTypeDefinition
        Tensor: MessageTypeDefinition
      }
    }
  }
}

