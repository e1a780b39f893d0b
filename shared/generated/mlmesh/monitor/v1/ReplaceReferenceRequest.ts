// Original file: protos/mlmesh/monitor/v1/monitor.proto


export interface ReplaceReferenceRequest {
  'model'?: (string);
  'version'?: (string);
  /**
   * numpy .npy files: inputs [rows, features] and the model's outputs on them [rows, classes].
   */
  'inputs_npy'?: (Buffer | Uint8Array | string);
  'outputs_npy'?: (Buffer | Uint8Array | string);
  /**
   * Who or what produced it, e.g. "train.py@3f2a1c".
   */
  'produced_by'?: (string);
  /**
   * SHA-256 of the data the sample was drawn from, if known.
   */
  'source_data_sha256'?: (string);
}

export interface ReplaceReferenceRequest__Output {
  'model': (string);
  'version': (string);
  /**
   * numpy .npy files: inputs [rows, features] and the model's outputs on them [rows, classes].
   */
  'inputs_npy': (Buffer);
  'outputs_npy': (Buffer);
  /**
   * Who or what produced it, e.g. "train.py@3f2a1c".
   */
  'produced_by': (string);
  /**
   * SHA-256 of the data the sample was drawn from, if known.
   */
  'source_data_sha256': (string);
}
