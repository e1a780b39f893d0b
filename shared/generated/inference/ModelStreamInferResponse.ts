// Original file: protos/inference/grpc_service.proto

import type { ModelInferResponse as _inference_ModelInferResponse, ModelInferResponse__Output as _inference_ModelInferResponse__Output } from '../inference/ModelInferResponse.js';

/**
 * Triton: one response of ModelStreamInfer.
 */
export interface ModelStreamInferResponse {
  /**
   * Empty when the request succeeded; otherwise why it failed (infer_response then only has its id).
   */
  'error_message'?: (string);
  'infer_response'?: (_inference_ModelInferResponse | null);
}

/**
 * Triton: one response of ModelStreamInfer.
 */
export interface ModelStreamInferResponse__Output {
  /**
   * Empty when the request succeeded; otherwise why it failed (infer_response then only has its id).
   */
  'error_message': (string);
  'infer_response': (_inference_ModelInferResponse__Output | null);
}
