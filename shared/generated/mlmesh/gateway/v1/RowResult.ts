// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { Prediction as _mlmesh_gateway_v1_Prediction, Prediction__Output as _mlmesh_gateway_v1_Prediction__Output } from '../../../mlmesh/gateway/v1/Prediction.js';
import type { RowError as _mlmesh_gateway_v1_RowError, RowError__Output as _mlmesh_gateway_v1_RowError__Output } from '../../../mlmesh/gateway/v1/RowError.js';

export interface RowResult {
  /**
   * Index of the row in the request (results are in input order: rows[i].row == i).
   */
  'row'?: (number);
  /**
   * Set when the row was predicted.
   */
  'prediction'?: (_mlmesh_gateway_v1_Prediction | null);
  /**
   * Non-empty when it was not (a row may have several).
   */
  'errors'?: (_mlmesh_gateway_v1_RowError)[];
  /**
   * The prediction came from the response cache.
   */
  'cached'?: (boolean);
  /**
   * The model version that made the prediction (empty for a row with errors).
   */
  'model_version'?: (string);
}

export interface RowResult__Output {
  /**
   * Index of the row in the request (results are in input order: rows[i].row == i).
   */
  'row': (number);
  /**
   * Set when the row was predicted.
   */
  'prediction': (_mlmesh_gateway_v1_Prediction__Output | null);
  /**
   * Non-empty when it was not (a row may have several).
   */
  'errors': (_mlmesh_gateway_v1_RowError__Output)[];
  /**
   * The prediction came from the response cache.
   */
  'cached': (boolean);
  /**
   * The model version that made the prediction (empty for a row with errors).
   */
  'model_version': (string);
}
