// Original file: protos/mlmesh/monitor/v1/monitor.proto


/**
 * A chi-squared test of independence on a segments × outcomes table.
 */
export interface ContingencyTest {
  'statistic'?: (number | string);
  'dof'?: (number);
  'p_value'?: (number | string);
  /**
   * After the correction the note describes.
   */
  'p_adjusted'?: (number | string);
  /**
   * An expected count below 5: the chi-squared approximation is rough.
   */
  'sparse'?: (boolean);
}

/**
 * A chi-squared test of independence on a segments × outcomes table.
 */
export interface ContingencyTest__Output {
  'statistic': (number);
  'dof': (number);
  'p_value': (number);
  /**
   * After the correction the note describes.
   */
  'p_adjusted': (number);
  /**
   * An expected count below 5: the chi-squared approximation is rough.
   */
  'sparse': (boolean);
}
