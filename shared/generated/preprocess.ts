import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { PreprocessServiceClient as _mlmesh_preprocess_v1_PreprocessServiceClient, PreprocessServiceDefinition as _mlmesh_preprocess_v1_PreprocessServiceDefinition } from './mlmesh/preprocess/v1/PreprocessService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mlmesh: {
    preprocess: {
      v1: {
        FitRequest: MessageTypeDefinition
        FitResponse: MessageTypeDefinition
        GetPipelineRequest: MessageTypeDefinition
        GetPipelineResponse: MessageTypeDefinition
        ListPipelinesRequest: MessageTypeDefinition
        ListPipelinesResponse: MessageTypeDefinition
        NullValue: EnumTypeDefinition
        PipelineInfo: MessageTypeDefinition
        PipelineRef: MessageTypeDefinition
        PreprocessService: SubtypeConstructor<typeof grpc.Client, _mlmesh_preprocess_v1_PreprocessServiceClient> & { service: _mlmesh_preprocess_v1_PreprocessServiceDefinition }
        Record: MessageTypeDefinition
        RowError: MessageTypeDefinition
        RowErrorCode: EnumTypeDefinition
        TransformMode: EnumTypeDefinition
        TransformRequest: MessageTypeDefinition
        TransformResponse: MessageTypeDefinition
        Value: MessageTypeDefinition
      }
    }
  }
}

