// Original file: protos/mlmesh/features/v1/features.proto


export interface WriteFeaturesResponse {
  'written'?: (number);
  /**
   * What the caller should know, e.g. values older than the retention (pruned on write).
   */
  'warnings'?: (string)[];
}

export interface WriteFeaturesResponse__Output {
  'written': (number);
  /**
   * What the caller should know, e.g. values older than the retention (pruned on write).
   */
  'warnings': (string)[];
}
