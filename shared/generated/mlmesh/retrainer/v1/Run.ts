// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { StageRecord as _mlmesh_retrainer_v1_StageRecord, StageRecord__Output as _mlmesh_retrainer_v1_StageRecord__Output } from '../../../mlmesh/retrainer/v1/StageRecord.js';
import type { Trigger as _mlmesh_retrainer_v1_Trigger, Trigger__Output as _mlmesh_retrainer_v1_Trigger__Output } from '../../../mlmesh/retrainer/v1/Trigger.js';
import type { DatasetSummary as _mlmesh_retrainer_v1_DatasetSummary, DatasetSummary__Output as _mlmesh_retrainer_v1_DatasetSummary__Output } from '../../../mlmesh/retrainer/v1/DatasetSummary.js';
import type { GateResult as _mlmesh_retrainer_v1_GateResult, GateResult__Output as _mlmesh_retrainer_v1_GateResult__Output } from '../../../mlmesh/retrainer/v1/GateResult.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A retraining run: also the value of key run.<id> in the NATS KV bucket mlmesh_retrainer.
 */
export interface Run {
  'id'?: (string);
  'model'?: (string);
  /**
   * The champion: the version serving when the run started (the candidate's parent).
   */
  'parent_version'?: (string);
  /**
   * "running", and the terminal "promoted", "rolled_back", "refused", "failed", "cancelled".
   */
  'state'?: (string);
  /**
   * The current (or last) stage's name.
   */
  'stage'?: (string);
  'stages'?: (_mlmesh_retrainer_v1_StageRecord)[];
  'trigger'?: (_mlmesh_retrainer_v1_Trigger | null);
  /**
   * Triggers that arrived while the run was active.
   */
  'coalesced'?: (_mlmesh_retrainer_v1_Trigger)[];
  'dataset'?: (_mlmesh_retrainer_v1_DatasetSummary | null);
  'gate'?: (_mlmesh_retrainer_v1_GateResult | null);
  /**
   * The version number the candidate is (or was to be) registered as; empty before register.
   */
  'candidate_version'?: (string);
  /**
   * SHA-256 of the candidate's model.onnx.
   */
  'candidate_sha256'?: (string);
  'rollout_id'?: (string);
  /**
   * The rollout's final state and reason ("completed"/"rolled_back"/"aborted": ...).
   */
  'rollout_outcome'?: (string);
  'reason'?: (string);
  'created_unix_ms'?: (number | string | Long);
  'updated_unix_ms'?: (number | string | Long);
  /**
   * The seed given to the split and to the training command.
   */
  'seed'?: (number | string | Long);
  /**
   * Where the training job's output folder and log are.
   */
  'workdir'?: (string);
  /**
   * Training command as run (argv, placeholders filled).
   */
  'command'?: (string)[];
  /**
   * Training job's metrics.json, flattened to numbers.
   */
  'training_metrics'?: ({[key: string]: number | string});
  'cancel_requested'?: (boolean);
  /**
   * Process group of the running training job (0 when none): a restarted retrainer kills it.
   */
  'training_pid'?: (number);
}

/**
 * A retraining run: also the value of key run.<id> in the NATS KV bucket mlmesh_retrainer.
 */
export interface Run__Output {
  'id': (string);
  'model': (string);
  /**
   * The champion: the version serving when the run started (the candidate's parent).
   */
  'parent_version': (string);
  /**
   * "running", and the terminal "promoted", "rolled_back", "refused", "failed", "cancelled".
   */
  'state': (string);
  /**
   * The current (or last) stage's name.
   */
  'stage': (string);
  'stages': (_mlmesh_retrainer_v1_StageRecord__Output)[];
  'trigger': (_mlmesh_retrainer_v1_Trigger__Output | null);
  /**
   * Triggers that arrived while the run was active.
   */
  'coalesced': (_mlmesh_retrainer_v1_Trigger__Output)[];
  'dataset': (_mlmesh_retrainer_v1_DatasetSummary__Output | null);
  'gate': (_mlmesh_retrainer_v1_GateResult__Output | null);
  /**
   * The version number the candidate is (or was to be) registered as; empty before register.
   */
  'candidate_version': (string);
  /**
   * SHA-256 of the candidate's model.onnx.
   */
  'candidate_sha256': (string);
  'rollout_id': (string);
  /**
   * The rollout's final state and reason ("completed"/"rolled_back"/"aborted": ...).
   */
  'rollout_outcome': (string);
  'reason': (string);
  'created_unix_ms': (string);
  'updated_unix_ms': (string);
  /**
   * The seed given to the split and to the training command.
   */
  'seed': (string);
  /**
   * Where the training job's output folder and log are.
   */
  'workdir': (string);
  /**
   * Training command as run (argv, placeholders filled).
   */
  'command': (string)[];
  /**
   * Training job's metrics.json, flattened to numbers.
   */
  'training_metrics': ({[key: string]: number});
  'cancel_requested': (boolean);
  /**
   * Process group of the running training job (0 when none): a restarted retrainer kills it.
   */
  'training_pid': (number);
}
