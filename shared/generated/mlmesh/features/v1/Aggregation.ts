// Original file: protos/mlmesh/features/v1/features.proto

export const Aggregation = {
  AGGREGATION_UNSPECIFIED: 'AGGREGATION_UNSPECIFIED',
  AVG: 'AVG',
  SUM: 'SUM',
  COUNT: 'COUNT',
  MIN: 'MIN',
  MAX: 'MAX',
  LAST: 'LAST',
} as const;

export type Aggregation =
  | 'AGGREGATION_UNSPECIFIED'
  | 0
  | 'AVG'
  | 1
  | 'SUM'
  | 2
  | 'COUNT'
  | 3
  | 'MIN'
  | 4
  | 'MAX'
  | 5
  | 'LAST'
  | 6

export type Aggregation__Output = typeof Aggregation[keyof typeof Aggregation]
