// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A continuous range of one stream's messages that went into a dataset.
 */
export interface SequenceRange {
  'stream'?: (string);
  'subject'?: (string);
  'first_sequence'?: (number | string | Long);
  'last_sequence'?: (number | string | Long);
  'messages'?: (number | string | Long);
}

/**
 * A continuous range of one stream's messages that went into a dataset.
 */
export interface SequenceRange__Output {
  'stream': (string);
  'subject': (string);
  'first_sequence': (string);
  'last_sequence': (string);
  'messages': (string);
}
