// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { LineageVersion as _mlmesh_retrainer_v1_LineageVersion, LineageVersion__Output as _mlmesh_retrainer_v1_LineageVersion__Output } from '../../../mlmesh/retrainer/v1/LineageVersion.js';

export interface Lineage {
  'model'?: (string);
  /**
   * From the version asked for back to the first version (or the first one not found).
   */
  'versions'?: (_mlmesh_retrainer_v1_LineageVersion)[];
}

export interface Lineage__Output {
  'model': (string);
  /**
   * From the version asked for back to the first version (or the first one not found).
   */
  'versions': (_mlmesh_retrainer_v1_LineageVersion__Output)[];
}
