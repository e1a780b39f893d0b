// Original file: protos/mlmesh/features/v1/features.proto


/**
 * A named list of refs: what one model version reads.
 */
export interface FeatureServiceDefinition {
  'name'?: (string);
  'features'?: (string)[];
  'description'?: (string);
}

/**
 * A named list of refs: what one model version reads.
 */
export interface FeatureServiceDefinition__Output {
  'name': (string);
  'features': (string)[];
  'description': (string);
}
