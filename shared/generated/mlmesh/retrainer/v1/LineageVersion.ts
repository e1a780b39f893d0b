// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Run as _mlmesh_retrainer_v1_Run, Run__Output as _mlmesh_retrainer_v1_Run__Output } from '../../../mlmesh/retrainer/v1/Run.js';

/**
 * One version in a lineage chain.
 */
export interface LineageVersion {
  'version'?: (string);
  'parent_version'?: (string);
  /**
   * The version's manifest provenance, as JSON.
   */
  'provenance_json'?: (string);
  /**
   * The run that produced it (absent for versions made elsewhere).
   */
  'run'?: (_mlmesh_retrainer_v1_Run | null);
  /**
   * True when the version folder and its manifest are present in the repository.
   */
  'present'?: (boolean);
}

/**
 * One version in a lineage chain.
 */
export interface LineageVersion__Output {
  'version': (string);
  'parent_version': (string);
  /**
   * The version's manifest provenance, as JSON.
   */
  'provenance_json': (string);
  /**
   * The run that produced it (absent for versions made elsewhere).
   */
  'run': (_mlmesh_retrainer_v1_Run__Output | null);
  /**
   * True when the version folder and its manifest are present in the repository.
   */
  'present': (boolean);
}
