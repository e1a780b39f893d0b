import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { FeatureServiceClient as _mlmesh_features_v1_FeatureServiceClient, FeatureServiceDefinition as _mlmesh_features_v1_FeatureServiceDefinition } from './mlmesh/features/v1/FeatureService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mlmesh: {
    features: {
      v1: {
        Aggregation: EnumTypeDefinition
        CompareOp: EnumTypeDefinition
        EntityRow: MessageTypeDefinition
        FeatureColumn: MessageTypeDefinition
        FeatureDefinition: MessageTypeDefinition
        FeatureList: MessageTypeDefinition
        FeatureService: SubtypeConstructor<typeof grpc.Client, _mlmesh_features_v1_FeatureServiceClient> & { service: _mlmesh_features_v1_FeatureServiceDefinition }
        FeatureServiceDefinition: MessageTypeDefinition
        FeatureStatus: EnumTypeDefinition
        FeatureValue: MessageTypeDefinition
        FeatureWrite: MessageTypeDefinition
        FileFormat: EnumTypeDefinition
        FileSource: MessageTypeDefinition
        FilterTransform: MessageTypeDefinition
        FloatVector: MessageTypeDefinition
        GetFeatureRequest: MessageTypeDefinition
        GetFeatureResponse: MessageTypeDefinition
        GetFeatureServiceRequest: MessageTypeDefinition
        GetFeatureServiceResponse: MessageTypeDefinition
        GetHistoricalFeaturesRequest: MessageTypeDefinition
        GetHistoricalFeaturesResponse: MessageTypeDefinition
        GetOnlineFeaturesRequest: MessageTypeDefinition
        GetOnlineFeaturesResponse: MessageTypeDefinition
        HistoricalRow: MessageTypeDefinition
        ListFeatureServicesRequest: MessageTypeDefinition
        ListFeatureServicesResponse: MessageTypeDefinition
        ListFeaturesRequest: MessageTypeDefinition
        ListFeaturesResponse: MessageTypeDefinition
        MapOp: EnumTypeDefinition
        MapTransform: MessageTypeDefinition
        MaterializeRequest: MessageTypeDefinition
        MaterializeResponse: MessageTypeDefinition
        PushSource: MessageTypeDefinition
        RegisterFeatureRequest: MessageTypeDefinition
        RegisterFeatureResponse: MessageTypeDefinition
        RegisterFeatureServiceRequest: MessageTypeDefinition
        RegisterFeatureServiceResponse: MessageTypeDefinition
        Source: MessageTypeDefinition
        SqlEngine: EnumTypeDefinition
        SqlSource: MessageTypeDefinition
        TimestampFormat: EnumTypeDefinition
        Transform: MessageTypeDefinition
        Value: MessageTypeDefinition
        ValueType: EnumTypeDefinition
        WindowTransform: MessageTypeDefinition
        WriteFeaturesRequest: MessageTypeDefinition
        WriteFeaturesResponse: MessageTypeDefinition
      }
    }
  }
}

