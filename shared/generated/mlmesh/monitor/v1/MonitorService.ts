// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DriftReport as _mlmesh_events_v1_DriftReport, DriftReport__Output as _mlmesh_events_v1_DriftReport__Output } from '../../../mlmesh/events/v1/DriftReport.js';
import type { GetLabelQueueRequest as _mlmesh_monitor_v1_GetLabelQueueRequest, GetLabelQueueRequest__Output as _mlmesh_monitor_v1_GetLabelQueueRequest__Output } from '../../../mlmesh/monitor/v1/GetLabelQueueRequest.js';
import type { GetLabelQueueResponse as _mlmesh_monitor_v1_GetLabelQueueResponse, GetLabelQueueResponse__Output as _mlmesh_monitor_v1_GetLabelQueueResponse__Output } from '../../../mlmesh/monitor/v1/GetLabelQueueResponse.js';
import type { GetQualityRequest as _mlmesh_monitor_v1_GetQualityRequest, GetQualityRequest__Output as _mlmesh_monitor_v1_GetQualityRequest__Output } from '../../../mlmesh/monitor/v1/GetQualityRequest.js';
import type { GetQualityResponse as _mlmesh_monitor_v1_GetQualityResponse, GetQualityResponse__Output as _mlmesh_monitor_v1_GetQualityResponse__Output } from '../../../mlmesh/monitor/v1/GetQualityResponse.js';
import type { GetReportRequest as _mlmesh_monitor_v1_GetReportRequest, GetReportRequest__Output as _mlmesh_monitor_v1_GetReportRequest__Output } from '../../../mlmesh/monitor/v1/GetReportRequest.js';
import type { GetReportResponse as _mlmesh_monitor_v1_GetReportResponse, GetReportResponse__Output as _mlmesh_monitor_v1_GetReportResponse__Output } from '../../../mlmesh/monitor/v1/GetReportResponse.js';
import type { GetSegmentsRequest as _mlmesh_monitor_v1_GetSegmentsRequest, GetSegmentsRequest__Output as _mlmesh_monitor_v1_GetSegmentsRequest__Output } from '../../../mlmesh/monitor/v1/GetSegmentsRequest.js';
import type { GetSegmentsResponse as _mlmesh_monitor_v1_GetSegmentsResponse, GetSegmentsResponse__Output as _mlmesh_monitor_v1_GetSegmentsResponse__Output } from '../../../mlmesh/monitor/v1/GetSegmentsResponse.js';
import type { GetStatusRequest as _mlmesh_monitor_v1_GetStatusRequest, GetStatusRequest__Output as _mlmesh_monitor_v1_GetStatusRequest__Output } from '../../../mlmesh/monitor/v1/GetStatusRequest.js';
import type { GetStatusResponse as _mlmesh_monitor_v1_GetStatusResponse, GetStatusResponse__Output as _mlmesh_monitor_v1_GetStatusResponse__Output } from '../../../mlmesh/monitor/v1/GetStatusResponse.js';
import type { ListReportsRequest as _mlmesh_monitor_v1_ListReportsRequest, ListReportsRequest__Output as _mlmesh_monitor_v1_ListReportsRequest__Output } from '../../../mlmesh/monitor/v1/ListReportsRequest.js';
import type { ListReportsResponse as _mlmesh_monitor_v1_ListReportsResponse, ListReportsResponse__Output as _mlmesh_monitor_v1_ListReportsResponse__Output } from '../../../mlmesh/monitor/v1/ListReportsResponse.js';
import type { ReplaceReferenceRequest as _mlmesh_monitor_v1_ReplaceReferenceRequest, ReplaceReferenceRequest__Output as _mlmesh_monitor_v1_ReplaceReferenceRequest__Output } from '../../../mlmesh/monitor/v1/ReplaceReferenceRequest.js';
import type { ReplaceReferenceResponse as _mlmesh_monitor_v1_ReplaceReferenceResponse, ReplaceReferenceResponse__Output as _mlmesh_monitor_v1_ReplaceReferenceResponse__Output } from '../../../mlmesh/monitor/v1/ReplaceReferenceResponse.js';
import type { TwoSampleTestRequest as _mlmesh_monitor_v1_TwoSampleTestRequest, TwoSampleTestRequest__Output as _mlmesh_monitor_v1_TwoSampleTestRequest__Output } from '../../../mlmesh/monitor/v1/TwoSampleTestRequest.js';
import type { TwoSampleTestResponse as _mlmesh_monitor_v1_TwoSampleTestResponse, TwoSampleTestResponse__Output as _mlmesh_monitor_v1_TwoSampleTestResponse__Output } from '../../../mlmesh/monitor/v1/TwoSampleTestResponse.js';
import type { WatchReportsRequest as _mlmesh_monitor_v1_WatchReportsRequest, WatchReportsRequest__Output as _mlmesh_monitor_v1_WatchReportsRequest__Output } from '../../../mlmesh/monitor/v1/WatchReportsRequest.js';

export interface MonitorServiceClient extends grpc.Client {
  /**
   * The labelling queue: rows of closed windows sampled for people to label, as items and CSV.
   */
  GetLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  GetLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  GetLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  GetLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The labelling queue: rows of closed windows sampled for people to label, as items and CSV.
   */
  getLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  getLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  getLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  getLabelQueue(argument: _mlmesh_monitor_v1_GetLabelQueueRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetLabelQueueResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Live quality per version over its windows: accuracy with 95% Wilson intervals, MAE/RMSE,
   * calibration, quality alerts.
   */
  GetQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  GetQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  GetQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  GetQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Live quality per version over its windows: accuracy with 95% Wilson intervals, MAE/RMSE,
   * calibration, quality alerts.
   */
  getQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  getQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  getQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  getQuality(argument: _mlmesh_monitor_v1_GetQualityRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetQualityResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One report by id, with its window's performance.
   */
  GetReport(argument: _mlmesh_monitor_v1_GetReportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  GetReport(argument: _mlmesh_monitor_v1_GetReportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  GetReport(argument: _mlmesh_monitor_v1_GetReportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  GetReport(argument: _mlmesh_monitor_v1_GetReportRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One report by id, with its window's performance.
   */
  getReport(argument: _mlmesh_monitor_v1_GetReportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  getReport(argument: _mlmesh_monitor_v1_GetReportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  getReport(argument: _mlmesh_monitor_v1_GetReportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  getReport(argument: _mlmesh_monitor_v1_GetReportRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetReportResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Per-segment metrics of a version over a window range, with tests for differences.
   */
  GetSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  GetSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  GetSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  GetSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Per-segment metrics of a version over a window range, with tests for differences.
   */
  getSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  getSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  getSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  getSegments(argument: _mlmesh_monitor_v1_GetSegmentsRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetSegmentsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Current state per model version: open window, last report, drift streak, accuracy.
   */
  GetStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Current state per model version: open window, last report, drift streak, accuracy.
   */
  getStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _mlmesh_monitor_v1_GetStatusRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Closed-window reports of a model in a time range, oldest first, each with its window's
   * performance (feedback joined so far, late labels included).
   */
  ListReports(argument: _mlmesh_monitor_v1_ListReportsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  ListReports(argument: _mlmesh_monitor_v1_ListReportsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  ListReports(argument: _mlmesh_monitor_v1_ListReportsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  ListReports(argument: _mlmesh_monitor_v1_ListReportsRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Closed-window reports of a model in a time range, oldest first, each with its window's
   * performance (feedback joined so far, late labels included).
   */
  listReports(argument: _mlmesh_monitor_v1_ListReportsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  listReports(argument: _mlmesh_monitor_v1_ListReportsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  listReports(argument: _mlmesh_monitor_v1_ListReportsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  listReports(argument: _mlmesh_monitor_v1_ListReportsRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_ListReportsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Replaces the drift reference of a model version (provenance recorded).
   */
  ReplaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  ReplaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  ReplaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  ReplaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Replaces the drift reference of a model version (provenance recorded).
   */
  replaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  replaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  replaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  replaceReference(argument: _mlmesh_monitor_v1_ReplaceReferenceRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_ReplaceReferenceResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs the detectors on two batches sent in the request (offline use).
   */
  TwoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  TwoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  TwoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  TwoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Runs the detectors on two batches sent in the request (offline use).
   */
  twoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  twoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  twoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  twoSampleTest(argument: _mlmesh_monitor_v1_TwoSampleTestRequest, callback: grpc.requestCallback<_mlmesh_monitor_v1_TwoSampleTestResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reports as windows close (from now on), until the caller cancels or the monitor stops.
   */
  WatchReports(argument: _mlmesh_monitor_v1_WatchReportsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_events_v1_DriftReport__Output>;
  WatchReports(argument: _mlmesh_monitor_v1_WatchReportsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_events_v1_DriftReport__Output>;
  /**
   * Reports as windows close (from now on), until the caller cancels or the monitor stops.
   */
  watchReports(argument: _mlmesh_monitor_v1_WatchReportsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_events_v1_DriftReport__Output>;
  watchReports(argument: _mlmesh_monitor_v1_WatchReportsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_events_v1_DriftReport__Output>;
  
}

export interface MonitorServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The labelling queue: rows of closed windows sampled for people to label, as items and CSV.
   */
  GetLabelQueue: grpc.handleUnaryCall<_mlmesh_monitor_v1_GetLabelQueueRequest__Output, _mlmesh_monitor_v1_GetLabelQueueResponse>;
  
  /**
   * Live quality per version over its windows: accuracy with 95% Wilson intervals, MAE/RMSE,
   * calibration, quality alerts.
   */
  GetQuality: grpc.handleUnaryCall<_mlmesh_monitor_v1_GetQualityRequest__Output, _mlmesh_monitor_v1_GetQualityResponse>;
  
  /**
   * One report by id, with its window's performance.
   */
  GetReport: grpc.handleUnaryCall<_mlmesh_monitor_v1_GetReportRequest__Output, _mlmesh_monitor_v1_GetReportResponse>;
  
  /**
   * Per-segment metrics of a version over a window range, with tests for differences.
   */
  GetSegments: grpc.handleUnaryCall<_mlmesh_monitor_v1_GetSegmentsRequest__Output, _mlmesh_monitor_v1_GetSegmentsResponse>;
  
  /**
   * Current state per model version: open window, last report, drift streak, accuracy.
   */
  GetStatus: grpc.handleUnaryCall<_mlmesh_monitor_v1_GetStatusRequest__Output, _mlmesh_monitor_v1_GetStatusResponse>;
  
  /**
   * Closed-window reports of a model in a time range, oldest first, each with its window's
   * performance (feedback joined so far, late labels included).
   */
  ListReports: grpc.handleUnaryCall<_mlmesh_monitor_v1_ListReportsRequest__Output, _mlmesh_monitor_v1_ListReportsResponse>;
  
  /**
   * Replaces the drift reference of a model version (provenance recorded).
   */
  ReplaceReference: grpc.handleUnaryCall<_mlmesh_monitor_v1_ReplaceReferenceRequest__Output, _mlmesh_monitor_v1_ReplaceReferenceResponse>;
  
  /**
   * Runs the detectors on two batches sent in the request (offline use).
   */
  TwoSampleTest: grpc.handleUnaryCall<_mlmesh_monitor_v1_TwoSampleTestRequest__Output, _mlmesh_monitor_v1_TwoSampleTestResponse>;
  
  /**
   * Reports as windows close (from now on), until the caller cancels or the monitor stops.
   */
  WatchReports: grpc.handleServerStreamingCall<_mlmesh_monitor_v1_WatchReportsRequest__Output, _mlmesh_events_v1_DriftReport>;
  
}

export interface MonitorServiceDefinition extends grpc.ServiceDefinition {
  GetLabelQueue: MethodDefinition<_mlmesh_monitor_v1_GetLabelQueueRequest, _mlmesh_monitor_v1_GetLabelQueueResponse, _mlmesh_monitor_v1_GetLabelQueueRequest__Output, _mlmesh_monitor_v1_GetLabelQueueResponse__Output>
  GetQuality: MethodDefinition<_mlmesh_monitor_v1_GetQualityRequest, _mlmesh_monitor_v1_GetQualityResponse, _mlmesh_monitor_v1_GetQualityRequest__Output, _mlmesh_monitor_v1_GetQualityResponse__Output>
  GetReport: MethodDefinition<_mlmesh_monitor_v1_GetReportRequest, _mlmesh_monitor_v1_GetReportResponse, _mlmesh_monitor_v1_GetReportRequest__Output, _mlmesh_monitor_v1_GetReportResponse__Output>
  GetSegments: MethodDefinition<_mlmesh_monitor_v1_GetSegmentsRequest, _mlmesh_monitor_v1_GetSegmentsResponse, _mlmesh_monitor_v1_GetSegmentsRequest__Output, _mlmesh_monitor_v1_GetSegmentsResponse__Output>
  GetStatus: MethodDefinition<_mlmesh_monitor_v1_GetStatusRequest, _mlmesh_monitor_v1_GetStatusResponse, _mlmesh_monitor_v1_GetStatusRequest__Output, _mlmesh_monitor_v1_GetStatusResponse__Output>
  ListReports: MethodDefinition<_mlmesh_monitor_v1_ListReportsRequest, _mlmesh_monitor_v1_ListReportsResponse, _mlmesh_monitor_v1_ListReportsRequest__Output, _mlmesh_monitor_v1_ListReportsResponse__Output>
  ReplaceReference: MethodDefinition<_mlmesh_monitor_v1_ReplaceReferenceRequest, _mlmesh_monitor_v1_ReplaceReferenceResponse, _mlmesh_monitor_v1_ReplaceReferenceRequest__Output, _mlmesh_monitor_v1_ReplaceReferenceResponse__Output>
  TwoSampleTest: MethodDefinition<_mlmesh_monitor_v1_TwoSampleTestRequest, _mlmesh_monitor_v1_TwoSampleTestResponse, _mlmesh_monitor_v1_TwoSampleTestRequest__Output, _mlmesh_monitor_v1_TwoSampleTestResponse__Output>
  WatchReports: MethodDefinition<_mlmesh_monitor_v1_WatchReportsRequest, _mlmesh_events_v1_DriftReport, _mlmesh_monitor_v1_WatchReportsRequest__Output, _mlmesh_events_v1_DriftReport__Output>
}
