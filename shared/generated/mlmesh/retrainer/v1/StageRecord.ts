// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One stage of a run as it went.
 */
export interface StageRecord {
  /**
   * "dataset", "train", "evaluate", "register", "rollout", "outcome".
   */
  'name'?: (string);
  /**
   * "running", "done", "failed", "skipped", "cancelled".
   */
  'state'?: (string);
  'started_unix_ms'?: (number | string | Long);
  'ended_unix_ms'?: (number | string | Long);
  /**
   * A sentence for people (e.g. "1597 base rows + 412 labelled logged rows").
   */
  'detail'?: (string);
  /**
   * Times the stage was (re)started: > 1 after a restart of the retrainer.
   */
  'attempts'?: (number);
}

/**
 * One stage of a run as it went.
 */
export interface StageRecord__Output {
  /**
   * "dataset", "train", "evaluate", "register", "rollout", "outcome".
   */
  'name': (string);
  /**
   * "running", "done", "failed", "skipped", "cancelled".
   */
  'state': (string);
  'started_unix_ms': (string);
  'ended_unix_ms': (string);
  /**
   * A sentence for people (e.g. "1597 base rows + 412 labelled logged rows").
   */
  'detail': (string);
  /**
   * Times the stage was (re)started: > 1 after a restart of the retrainer.
   */
  'attempts': (number);
}
