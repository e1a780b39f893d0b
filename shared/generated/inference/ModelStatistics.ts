// Original file: protos/inference/grpc_service.proto

import type { InferStatistics as _inference_InferStatistics, InferStatistics__Output as _inference_InferStatistics__Output } from '../inference/InferStatistics.js';
import type { InferBatchStatistics as _inference_InferBatchStatistics, InferBatchStatistics__Output as _inference_InferBatchStatistics__Output } from '../inference/InferBatchStatistics.js';
import type { Long } from '@grpc/proto-loader';

export interface ModelStatistics {
  'name'?: (string);
  'version'?: (string);
  /**
   * Time of the last successful request, in ms since the epoch (0: none yet).
   */
  'last_inference'?: (number | string | Long);
  /**
   * Rows inferred by successful requests (a request of 8 rows counts 8).
   */
  'inference_count'?: (number | string | Long);
  /**
   * Session runs (batches); with dynamic batching one run serves several requests.
   */
  'execution_count'?: (number | string | Long);
  'inference_stats'?: (_inference_InferStatistics | null);
  /**
   * One entry per batch size that ran.
   */
  'batch_stats'?: (_inference_InferBatchStatistics)[];
}

export interface ModelStatistics__Output {
  'name': (string);
  'version': (string);
  /**
   * Time of the last successful request, in ms since the epoch (0: none yet).
   */
  'last_inference': (string);
  /**
   * Rows inferred by successful requests (a request of 8 rows counts 8).
   */
  'inference_count': (string);
  /**
   * Session runs (batches); with dynamic batching one run serves several requests.
   */
  'execution_count': (string);
  'inference_stats': (_inference_InferStatistics__Output | null);
  /**
   * One entry per batch size that ran.
   */
  'batch_stats': (_inference_InferBatchStatistics__Output)[];
}
