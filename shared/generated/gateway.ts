import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { GatewayServiceClient as _mlmesh_gateway_v1_GatewayServiceClient, GatewayServiceDefinition as _mlmesh_gateway_v1_GatewayServiceDefinition } from './mlmesh/gateway/v1/GatewayService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mlmesh: {
    gateway: {
      v1: {
        ClassScore: MessageTypeDefinition
        DeploymentInfo: MessageTypeDefinition
        DeploymentVersion: MessageTypeDefinition
        GatewayService: SubtypeConstructor<typeof grpc.Client, _mlmesh_gateway_v1_GatewayServiceClient> & { service: _mlmesh_gateway_v1_GatewayServiceDefinition }
        GetDeploymentRequest: MessageTypeDefinition
        GetDeploymentResponse: MessageTypeDefinition
        GetVersionRequest: MessageTypeDefinition
        GetVersionResponse: MessageTypeDefinition
        ListDeploymentsRequest: MessageTypeDefinition
        ListDeploymentsResponse: MessageTypeDefinition
        NullValue: EnumTypeDefinition
        PredictRequest: MessageTypeDefinition
        PredictResponse: MessageTypeDefinition
        Prediction: MessageTypeDefinition
        RefusedDeployment: MessageTypeDefinition
        Row: MessageTypeDefinition
        RowError: MessageTypeDefinition
        RowErrorCode: EnumTypeDefinition
        RowResult: MessageTypeDefinition
        Value: MessageTypeDefinition
      }
    }
  }
}

