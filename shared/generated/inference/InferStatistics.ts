// Original file: protos/inference/grpc_service.proto

import type { StatisticDuration as _inference_StatisticDuration, StatisticDuration__Output as _inference_StatisticDuration__Output } from '../inference/StatisticDuration.js';

export interface InferStatistics {
  /**
   * Requests that succeeded, and their time from receipt to answer.
   */
  'success'?: (_inference_StatisticDuration | null);
  /**
   * Requests that failed (after the model version was resolved), and their time.
   */
  'fail'?: (_inference_StatisticDuration | null);
  /**
   * Time successful requests waited in the batch queue.
   */
  'queue'?: (_inference_StatisticDuration | null);
  /**
   * Time to decode and validate the request's input tensors.
   */
  'compute_input'?: (_inference_StatisticDuration | null);
  /**
   * Time of the session run (the batch) that served the request.
   */
  'compute_infer'?: (_inference_StatisticDuration | null);
  /**
   * Time to encode the response's output tensors.
   */
  'compute_output'?: (_inference_StatisticDuration | null);
  /**
   * No response cache in mlmesh: always zero.
   */
  'cache_hit'?: (_inference_StatisticDuration | null);
  'cache_miss'?: (_inference_StatisticDuration | null);
}

export interface InferStatistics__Output {
  /**
   * Requests that succeeded, and their time from receipt to answer.
   */
  'success': (_inference_StatisticDuration__Output | null);
  /**
   * Requests that failed (after the model version was resolved), and their time.
   */
  'fail': (_inference_StatisticDuration__Output | null);
  /**
   * Time successful requests waited in the batch queue.
   */
  'queue': (_inference_StatisticDuration__Output | null);
  /**
   * Time to decode and validate the request's input tensors.
   */
  'compute_input': (_inference_StatisticDuration__Output | null);
  /**
   * Time of the session run (the batch) that served the request.
   */
  'compute_infer': (_inference_StatisticDuration__Output | null);
  /**
   * Time to encode the response's output tensors.
   */
  'compute_output': (_inference_StatisticDuration__Output | null);
  /**
   * No response cache in mlmesh: always zero.
   */
  'cache_hit': (_inference_StatisticDuration__Output | null);
  'cache_miss': (_inference_StatisticDuration__Output | null);
}
