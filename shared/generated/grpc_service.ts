import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GRPCInferenceServiceClient as _inference_GRPCInferenceServiceClient, GRPCInferenceServiceDefinition as _inference_GRPCInferenceServiceDefinition } from './inference/GRPCInferenceService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  inference: {
    GRPCInferenceService: SubtypeConstructor<typeof grpc.Client, _inference_GRPCInferenceServiceClient> & { service: _inference_GRPCInferenceServiceDefinition }
    InferParameter: MessageTypeDefinition
    InferTensorContents: MessageTypeDefinition
    ModelInferRequest: MessageTypeDefinition
    ModelInferResponse: MessageTypeDefinition
    ModelMetadataRequest: MessageTypeDefinition
    ModelMetadataResponse: MessageTypeDefinition
    ModelReadyRequest: MessageTypeDefinition
    ModelReadyResponse: MessageTypeDefinition
    ModelRepositoryParameter: MessageTypeDefinition
    RepositoryIndexRequest: MessageTypeDefinition
    RepositoryIndexResponse: MessageTypeDefinition
    RepositoryModelLoadRequest: MessageTypeDefinition
    RepositoryModelLoadResponse: MessageTypeDefinition
    RepositoryModelUnloadRequest: MessageTypeDefinition
    RepositoryModelUnloadResponse: MessageTypeDefinition
    ServerLiveRequest: MessageTypeDefinition
    ServerLiveResponse: MessageTypeDefinition
    ServerMetadataRequest: MessageTypeDefinition
    ServerMetadataResponse: MessageTypeDefinition
    ServerReadyRequest: MessageTypeDefinition
    ServerReadyResponse: MessageTypeDefinition
  }
}

