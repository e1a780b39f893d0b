// Original file: protos/mlmesh/events/v1/events.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A tensor as it crossed the wire: raw little-endian bytes, row-major.
 */
export interface Tensor {
  'name'?: (string);
  /**
   * Open Inference Protocol datatype, e.g. "FP32".
   */
  'datatype'?: (string);
  'shape'?: (number | string | Long)[];
  'raw'?: (Buffer | Uint8Array | string);
}

/**
 * A tensor as it crossed the wire: raw little-endian bytes, row-major.
 */
export interface Tensor__Output {
  'name': (string);
  /**
   * Open Inference Protocol datatype, e.g. "FP32".
   */
  'datatype': (string);
  'shape': (string)[];
  'raw': (Buffer);
}
