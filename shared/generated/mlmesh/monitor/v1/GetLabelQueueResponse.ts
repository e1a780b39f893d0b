// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { LabelQueueItem as _mlmesh_monitor_v1_LabelQueueItem, LabelQueueItem__Output as _mlmesh_monitor_v1_LabelQueueItem__Output } from '../../../mlmesh/monitor/v1/LabelQueueItem.js';

export interface GetLabelQueueResponse {
  'items'?: (_mlmesh_monitor_v1_LabelQueueItem)[];
  /**
   * The same rows as CSV (RFC 4180, header line first): request_id,row,model,version,window_index,
   * stratum,uncertainty_rank,prediction,confidence,label, then one column per input feature.
   * `label` is empty: fill it in and send the file back with `mlmesh feedback import`.
   */
  'csv'?: (string);
}

export interface GetLabelQueueResponse__Output {
  'items': (_mlmesh_monitor_v1_LabelQueueItem__Output)[];
  /**
   * The same rows as CSV (RFC 4180, header line first): request_id,row,model,version,window_index,
   * stratum,uncertainty_rank,prediction,confidence,label, then one column per input feature.
   * `label` is empty: fill it in and send the file back with `mlmesh feedback import`.
   */
  'csv': (string);
}
