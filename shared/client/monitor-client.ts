import type { DriftReport__Output } from '../generated/mlmesh/events/v1/DriftReport.js';
import type { GetStatusRequest } from '../generated/mlmesh/monitor/v1/GetStatusRequest.js';
import type { GetStatusResponse__Output } from '../generated/mlmesh/monitor/v1/GetStatusResponse.js';
import type { GetReportRequest } from '../generated/mlmesh/monitor/v1/GetReportRequest.js';
import type { GetReportResponse__Output } from '../generated/mlmesh/monitor/v1/GetReportResponse.js';
import type { ListReportsRequest } from '../generated/mlmesh/monitor/v1/ListReportsRequest.js';
import type { ListReportsResponse__Output } from '../generated/mlmesh/monitor/v1/ListReportsResponse.js';
import type { ReplaceReferenceRequest } from '../generated/mlmesh/monitor/v1/ReplaceReferenceRequest.js';
import type { ReplaceReferenceResponse__Output } from '../generated/mlmesh/monitor/v1/ReplaceReferenceResponse.js';
import type { TwoSampleTestRequest } from '../generated/mlmesh/monitor/v1/TwoSampleTestRequest.js';
import type { TwoSampleTestResponse__Output } from '../generated/mlmesh/monitor/v1/TwoSampleTestResponse.js';
import type { WatchReportsRequest } from '../generated/mlmesh/monitor/v1/WatchReportsRequest.js';
import type { GetLabelQueueRequest } from '../generated/mlmesh/monitor/v1/GetLabelQueueRequest.js';
import type { GetLabelQueueResponse__Output } from '../generated/mlmesh/monitor/v1/GetLabelQueueResponse.js';
import type { GetQualityRequest } from '../generated/mlmesh/monitor/v1/GetQualityRequest.js';
import type { GetQualityResponse__Output } from '../generated/mlmesh/monitor/v1/GetQualityResponse.js';
import type { GetSegmentsRequest } from '../generated/mlmesh/monitor/v1/GetSegmentsRequest.js';
import type { GetSegmentsResponse__Output } from '../generated/mlmesh/monitor/v1/GetSegmentsResponse.js';
import { SERVICES } from './methods.js';
import type { CallOptions, ClientOptions } from './options.js';
import { ServiceClient } from './service-client.js';

/**
 * A client of the drift monitor (`mlmesh.monitor.v1.MonitorService`): status, reports, a live
 * report stream, references and ad-hoc two-sample tests. `toMatrix()` and `toNpy()` build the
 * byte fields from typed arrays.
 */
export class MonitorClient extends ServiceClient {
  /** @throws TypeError when an option is out of range. */
  constructor(address: string, options?: ClientOptions) {
    super(SERVICES.monitor, address, options);
  }

  /** GetStatus: per model version, the open window, last report, drift streak and accuracy. */
  getStatus(request: GetStatusRequest = {}, opts?: CallOptions): Promise<GetStatusResponse__Output> {
    return this.unary('GetStatus', request, opts);
  }
  /** ListReports: closed-window reports of a model in a time range, oldest first. */
  listReports(request: ListReportsRequest, opts?: CallOptions): Promise<ListReportsResponse__Output> {
    return this.unary('ListReports', request, opts);
  }
  /** GetReport: one report by id (`<model>/<version>/<window_index>`) with its window's late-label performance. */
  getReport(request: GetReportRequest, opts?: CallOptions): Promise<GetReportResponse__Output> {
    return this.unary('GetReport', request, opts);
  }
  /**
   * WatchReports: reports as windows close, as an async iterable that runs until the caller
   * leaves the loop or aborts the signal (or the monitor stops). No default deadline.
   */
  watchReports(request: WatchReportsRequest = {}, opts?: CallOptions): AsyncIterable<DriftReport__Output> {
    return this.stream('WatchReports', request, opts);
  }
  /** ReplaceReference: a new drift reference (.npy bytes, see `toNpy`). Long-running; not retried. */
  replaceReference(request: ReplaceReferenceRequest, opts?: CallOptions): Promise<ReplaceReferenceResponse__Output> {
    return this.unary('ReplaceReference', request, opts);
  }
  /** TwoSampleTest: runs the detectors on two batches (see `toMatrix`). Long-running; retried on UNAVAILABLE. */
  twoSampleTest(request: TwoSampleTestRequest, opts?: CallOptions): Promise<TwoSampleTestResponse__Output> {
    return this.unary('TwoSampleTest', request, opts);
  }
  /** GetLabelQueue: rows of closed windows sampled for labelling, as items and as CSV (fill `label`, send back with `mlmesh feedback import`). */
  getLabelQueue(request: GetLabelQueueRequest, opts?: CallOptions): Promise<GetLabelQueueResponse__Output> {
    return this.unary('GetLabelQueue', request, opts);
  }
  /** GetQuality: live accuracy (95% Wilson intervals) and MAE/RMSE per window and version, calibration, quality alerts. */
  getQuality(request: GetQualityRequest, opts?: CallOptions): Promise<GetQualityResponse__Output> {
    return this.unary('GetQuality', request, opts);
  }
  /** GetSegments: per-segment prediction rates, confidence and accuracy of a version, with chi-squared tests between segments. */
  getSegments(request: GetSegmentsRequest, opts?: CallOptions): Promise<GetSegmentsResponse__Output> {
    return this.unary('GetSegments', request, opts);
  }
}
