// Original file: protos/mlmesh/features/v1/features.proto

export const FileFormat = {
  FILE_FORMAT_UNSPECIFIED: 'FILE_FORMAT_UNSPECIFIED',
  /**
   * RFC 4180, first line = column names
   */
  CSV: 'CSV',
  /**
   * one JSON object per line
   */
  NDJSON: 'NDJSON',
} as const;

export type FileFormat =
  | 'FILE_FORMAT_UNSPECIFIED'
  | 0
  /**
   * RFC 4180, first line = column names
   */
  | 'CSV'
  | 1
  /**
   * one JSON object per line
   */
  | 'NDJSON'
  | 2

export type FileFormat__Output = typeof FileFormat[keyof typeof FileFormat]
