import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { MonitorServiceClient as _mlmesh_monitor_v1_MonitorServiceClient, MonitorServiceDefinition as _mlmesh_monitor_v1_MonitorServiceDefinition } from './mlmesh/monitor/v1/MonitorService.js';

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
    monitor: {
      v1: {
        CalibrationBin: MessageTypeDefinition
        ContingencyTest: MessageTypeDefinition
        GetLabelQueueRequest: MessageTypeDefinition
        GetLabelQueueResponse: MessageTypeDefinition
        GetQualityRequest: MessageTypeDefinition
        GetQualityResponse: MessageTypeDefinition
        GetReportRequest: MessageTypeDefinition
        GetReportResponse: MessageTypeDefinition
        GetSegmentsRequest: MessageTypeDefinition
        GetSegmentsResponse: MessageTypeDefinition
        GetStatusRequest: MessageTypeDefinition
        GetStatusResponse: MessageTypeDefinition
        LabelQueueItem: MessageTypeDefinition
        ListReportsRequest: MessageTypeDefinition
        ListReportsResponse: MessageTypeDefinition
        Matrix: MessageTypeDefinition
        MonitorService: SubtypeConstructor<typeof grpc.Client, _mlmesh_monitor_v1_MonitorServiceClient> & { service: _mlmesh_monitor_v1_MonitorServiceDefinition }
        ReplaceReferenceRequest: MessageTypeDefinition
        ReplaceReferenceResponse: MessageTypeDefinition
        SegmentMetrics: MessageTypeDefinition
        TwoSampleTestRequest: MessageTypeDefinition
        TwoSampleTestResponse: MessageTypeDefinition
        VersionQuality: MessageTypeDefinition
        VersionStatus: MessageTypeDefinition
        WatchReportsRequest: MessageTypeDefinition
        WindowPerformance: MessageTypeDefinition
      }
    }
  }
}

