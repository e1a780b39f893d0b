import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { RetrainerServiceClient as _mlmesh_retrainer_v1_RetrainerServiceClient, RetrainerServiceDefinition as _mlmesh_retrainer_v1_RetrainerServiceDefinition } from './mlmesh/retrainer/v1/RetrainerService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mlmesh: {
    retrainer: {
      v1: {
        CancelRunRequest: MessageTypeDefinition
        DatasetSummary: MessageTypeDefinition
        EvalMetrics: MessageTypeDefinition
        GateCheck: MessageTypeDefinition
        GateResult: MessageTypeDefinition
        GetLineageRequest: MessageTypeDefinition
        GetRunRequest: MessageTypeDefinition
        Lineage: MessageTypeDefinition
        LineageVersion: MessageTypeDefinition
        ListRunsRequest: MessageTypeDefinition
        ListRunsResponse: MessageTypeDefinition
        PointInTimeSummary: MessageTypeDefinition
        RetrainRunRequest: MessageTypeDefinition
        RetrainerService: SubtypeConstructor<typeof grpc.Client, _mlmesh_retrainer_v1_RetrainerServiceClient> & { service: _mlmesh_retrainer_v1_RetrainerServiceDefinition }
        Run: MessageTypeDefinition
        RunResponse: MessageTypeDefinition
        RunUpdate: MessageTypeDefinition
        SequenceRange: MessageTypeDefinition
        StageRecord: MessageTypeDefinition
        Trigger: MessageTypeDefinition
      }
    }
  }
}

