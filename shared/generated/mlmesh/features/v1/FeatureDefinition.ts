// Original file: protos/mlmesh/features/v1/features.proto

import type { ValueType as _mlmesh_features_v1_ValueType, ValueType__Output as _mlmesh_features_v1_ValueType__Output } from '../../../mlmesh/features/v1/ValueType.js';
import type { Source as _mlmesh_features_v1_Source, Source__Output as _mlmesh_features_v1_Source__Output } from '../../../mlmesh/features/v1/Source.js';
import type { Transform as _mlmesh_features_v1_Transform, Transform__Output as _mlmesh_features_v1_Transform__Output } from '../../../mlmesh/features/v1/Transform.js';
import type { Long } from '@grpc/proto-loader';

export interface FeatureDefinition {
  /**
   * [a-z][a-z0-9_]*, at most 100 characters
   */
  'name'?: (string);
  /**
   * >= 1
   */
  'version'?: (number);
  /**
   * entity type, e.g. "user"
   */
  'entity'?: (string);
  'value_type'?: (_mlmesh_features_v1_ValueType);
  'description'?: (string);
  'owner'?: (string);
  /**
   * 0: values never get too old
   */
  'max_age_ms'?: (number | string | Long);
  'source'?: (_mlmesh_features_v1_Source | null);
  'transforms'?: (_mlmesh_features_v1_Transform)[];
  /**
   * Column whose value (after the transforms) is the feature value; not used by push sources. @default "value"
   */
  'value_column'?: (string);
}

export interface FeatureDefinition__Output {
  /**
   * [a-z][a-z0-9_]*, at most 100 characters
   */
  'name': (string);
  /**
   * >= 1
   */
  'version': (number);
  /**
   * entity type, e.g. "user"
   */
  'entity': (string);
  'value_type': (_mlmesh_features_v1_ValueType__Output);
  'description': (string);
  'owner': (string);
  /**
   * 0: values never get too old
   */
  'max_age_ms': (string);
  'source': (_mlmesh_features_v1_Source__Output | null);
  'transforms': (_mlmesh_features_v1_Transform__Output)[];
  /**
   * Column whose value (after the transforms) is the feature value; not used by push sources. @default "value"
   */
  'value_column': (string);
}
