// Original file: protos/mlmesh/preprocess/v1/preprocess.proto


export interface FitRequest {
  /**
   * Name and version to store the artifact as; an empty version takes the next integer.
   */
  'name'?: (string);
  'version'?: (string);
  /**
   * The pipeline spec, YAML or JSON text.
   */
  'spec'?: (string);
  /**
   * The training data as CSV bytes (header row first).
   */
  'csv'?: (Buffer | Uint8Array | string);
  /**
   * A CSV file, relative to the service's data folder (option dataDir).
   */
  'data_path'?: (string);
  'data'?: "csv"|"data_path";
}

export interface FitRequest__Output {
  /**
   * Name and version to store the artifact as; an empty version takes the next integer.
   */
  'name': (string);
  'version': (string);
  /**
   * The pipeline spec, YAML or JSON text.
   */
  'spec': (string);
  /**
   * The training data as CSV bytes (header row first).
   */
  'csv'?: (Buffer);
  /**
   * A CSV file, relative to the service's data folder (option dataDir).
   */
  'data_path'?: (string);
  'data'?: "csv"|"data_path";
}
