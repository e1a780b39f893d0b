// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { RowError as _mlmesh_preprocess_v1_RowError, RowError__Output as _mlmesh_preprocess_v1_RowError__Output } from '../../../mlmesh/preprocess/v1/RowError.js';
import type { Long } from '@grpc/proto-loader';

export interface TransformResponse {
  /**
   * The pipeline that ran, resolved.
   */
  'name'?: (string);
  'version'?: (string);
  'sha256'?: (string);
  /**
   * Output feature names, in tensor column order.
   */
  'feature_names'?: (string)[];
  /**
   * [rows, features]: rows = the number of valid records.
   */
  'shape'?: (number | string | Long)[];
  /**
   * float32 little-endian, row-major [rows, features].
   */
  'tensor'?: (Buffer | Uint8Array | string);
  /**
   * For each output row, the index of its input record (ascending).
   */
  'row_index'?: (number)[];
  /**
   * One entry per failure (a record may have several); empty when every record is valid.
   */
  'errors'?: (_mlmesh_preprocess_v1_RowError)[];
}

export interface TransformResponse__Output {
  /**
   * The pipeline that ran, resolved.
   */
  'name': (string);
  'version': (string);
  'sha256': (string);
  /**
   * Output feature names, in tensor column order.
   */
  'feature_names': (string)[];
  /**
   * [rows, features]: rows = the number of valid records.
   */
  'shape': (string)[];
  /**
   * float32 little-endian, row-major [rows, features].
   */
  'tensor': (Buffer);
  /**
   * For each output row, the index of its input record (ascending).
   */
  'row_index': (number)[];
  /**
   * One entry per failure (a record may have several); empty when every record is valid.
   */
  'errors': (_mlmesh_preprocess_v1_RowError__Output)[];
}
