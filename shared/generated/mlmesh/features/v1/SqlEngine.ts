// Original file: protos/mlmesh/features/v1/features.proto

export const SqlEngine = {
  SQL_ENGINE_UNSPECIFIED: 'SQL_ENGINE_UNSPECIFIED',
  SQLITE: 'SQLITE',
  POSTGRES: 'POSTGRES',
} as const;

export type SqlEngine =
  | 'SQL_ENGINE_UNSPECIFIED'
  | 0
  | 'SQLITE'
  | 1
  | 'POSTGRES'
  | 2

export type SqlEngine__Output = typeof SqlEngine[keyof typeof SqlEngine]
