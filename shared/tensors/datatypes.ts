import type { InferTensorContents, InferTensorContents__Output } from '../generated/inference/InferTensorContents.js';

/** The typed-contents field of `InferTensorContents` that carries a datatype. */
export type ContentsField = Exclude<keyof InferTensorContents__Output, 'bytes_contents'>;

/** What mlmesh knows of one Open Inference Protocol datatype. */
export interface DatatypeInfo {
  /** onnxruntime's tensor type name. */
  readonly ort: OrtType;
  /** Bytes per element on the wire and in memory. */
  readonly bytes: number;
  /** Typed field that carries it; undefined for FP16, which travels raw only. */
  readonly contents: ContentsField | undefined;
  /** Inclusive range for integer types given as JS numbers (checked on typed input). */
  readonly range?: readonly [number, number];
}

/** onnxruntime-node's tensor type names for the numeric types mlmesh serves. */
export type OrtType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64';

/**
 * Every tensor datatype mlmesh serves (the numeric ones onnxruntime-node supports). BYTES and
 * BF16 are not served: a request using them gets INVALID_ARGUMENT.
 */
export const DATATYPES = {
  BOOL: { ort: 'bool', bytes: 1, contents: 'bool_contents' },
  UINT8: { ort: 'uint8', bytes: 1, contents: 'uint_contents', range: [0, 0xff] },
  UINT16: { ort: 'uint16', bytes: 2, contents: 'uint_contents', range: [0, 0xffff] },
  UINT32: { ort: 'uint32', bytes: 4, contents: 'uint_contents', range: [0, 0xffffffff] },
  UINT64: { ort: 'uint64', bytes: 8, contents: 'uint64_contents' },
  INT8: { ort: 'int8', bytes: 1, contents: 'int_contents', range: [-0x80, 0x7f] },
  INT16: { ort: 'int16', bytes: 2, contents: 'int_contents', range: [-0x8000, 0x7fff] },
  INT32: { ort: 'int32', bytes: 4, contents: 'int_contents', range: [-0x80000000, 0x7fffffff] },
  INT64: { ort: 'int64', bytes: 8, contents: 'int64_contents' },
  FP16: { ort: 'float16', bytes: 2, contents: undefined },
  FP32: { ort: 'float32', bytes: 4, contents: 'fp32_contents' },
  FP64: { ort: 'float64', bytes: 8, contents: 'fp64_contents' },
} as const satisfies Record<string, DatatypeInfo>;

/** A datatype name mlmesh serves, e.g. `FP32`. */
export type Datatype = keyof typeof DATATYPES;

/** True when `name` is a datatype mlmesh serves. */
export function isDatatype(name: string): name is Datatype {
  return Object.hasOwn(DATATYPES, name);
}

const BY_ORT = new Map<string, Datatype>(Object.entries(DATATYPES).map(([k, v]) => [v.ort, k as Datatype]));

/** The datatype for an onnxruntime type name, or undefined (e.g. 'string'). */
export function datatypeFromOrt(ort: string): Datatype | undefined {
  return BY_ORT.get(ort);
}

/** Info for a served datatype. */
export function datatypeInfo(dt: Datatype): DatatypeInfo {
  return DATATYPES[dt];
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Re-exported for callers that build contents. */
export type { InferTensorContents };
