// Original file: protos/mlmesh/features/v1/features.proto


/**
 * Values arrive only through WriteFeatures.
 */
export interface PushSource {
}

/**
 * Values arrive only through WriteFeatures.
 */
export interface PushSource__Output {
}
