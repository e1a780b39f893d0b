// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { WindowPerformance as _mlmesh_monitor_v1_WindowPerformance, WindowPerformance__Output as _mlmesh_monitor_v1_WindowPerformance__Output } from '../../../mlmesh/monitor/v1/WindowPerformance.js';
import type { CalibrationBin as _mlmesh_monitor_v1_CalibrationBin, CalibrationBin__Output as _mlmesh_monitor_v1_CalibrationBin__Output } from '../../../mlmesh/monitor/v1/CalibrationBin.js';

export interface VersionQuality {
  'version'?: (string);
  /**
   * Windows with feedback, oldest first (window_index set).
   */
  'windows'?: (_mlmesh_monitor_v1_WindowPerformance)[];
  /**
   * Over every window (window_index -1).
   */
  'total'?: (_mlmesh_monitor_v1_WindowPerformance | null);
  /**
   * Over the labelled rows the feedback join still holds; empty bins left out.
   */
  'calibration'?: (_mlmesh_monitor_v1_CalibrationBin)[];
  /**
   * Expected calibration error: sum over bins of rows/total × |accuracy − mean confidence|.
   */
  'ece'?: (number | string);
}

export interface VersionQuality__Output {
  'version': (string);
  /**
   * Windows with feedback, oldest first (window_index set).
   */
  'windows': (_mlmesh_monitor_v1_WindowPerformance__Output)[];
  /**
   * Over every window (window_index -1).
   */
  'total': (_mlmesh_monitor_v1_WindowPerformance__Output | null);
  /**
   * Over the labelled rows the feedback join still holds; empty bins left out.
   */
  'calibration': (_mlmesh_monitor_v1_CalibrationBin__Output)[];
  /**
   * Expected calibration error: sum over bins of rows/total × |accuracy − mean confidence|.
   */
  'ece': (number);
}
