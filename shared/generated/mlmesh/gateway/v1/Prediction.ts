// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { ClassScore as _mlmesh_gateway_v1_ClassScore, ClassScore__Output as _mlmesh_gateway_v1_ClassScore__Output } from '../../../mlmesh/gateway/v1/ClassScore.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The post-processed output of one row (docs/gateway.md "Post-processing").
 */
export interface Prediction {
  /**
   * classes, binary: the label chosen; raw: empty.
   */
  'label'?: (string);
  /**
   * classes: the best class's score; binary: the positive score; raw: 0.
   */
  'score'?: (number | string);
  /**
   * classes, binary: the chosen class's output column; raw: -1.
   */
  'class_index'?: (number);
  /**
   * classes: the top_k best classes, best first.
   */
  'top_k'?: (_mlmesh_gateway_v1_ClassScore)[];
  /**
   * The output row (after the activation).
   */
  'values'?: (number | string)[];
  /**
   * The output's shape without the batch axis.
   */
  'shape'?: (number | string | Long)[];
}

/**
 * The post-processed output of one row (docs/gateway.md "Post-processing").
 */
export interface Prediction__Output {
  /**
   * classes, binary: the label chosen; raw: empty.
   */
  'label': (string);
  /**
   * classes: the best class's score; binary: the positive score; raw: 0.
   */
  'score': (number);
  /**
   * classes, binary: the chosen class's output column; raw: -1.
   */
  'class_index': (number);
  /**
   * classes: the top_k best classes, best first.
   */
  'top_k': (_mlmesh_gateway_v1_ClassScore__Output)[];
  /**
   * The output row (after the activation).
   */
  'values': (number)[];
  /**
   * The output's shape without the batch axis.
   */
  'shape': (string)[];
}
