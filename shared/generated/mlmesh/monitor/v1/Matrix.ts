// Original file: protos/mlmesh/monitor/v1/monitor.proto


/**
 * A batch as a row-major FP32 matrix.
 */
export interface Matrix {
  'rows'?: (number);
  'cols'?: (number);
  /**
   * Little-endian float32, rows × cols.
   */
  'data'?: (Buffer | Uint8Array | string);
}

/**
 * A batch as a row-major FP32 matrix.
 */
export interface Matrix__Output {
  'rows': (number);
  'cols': (number);
  /**
   * Little-endian float32, rows × cols.
   */
  'data': (Buffer);
}
