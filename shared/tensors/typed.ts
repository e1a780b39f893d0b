import { InvalidArgumentError } from '../errors/index.js';
import type { InferTensorContents, InferTensorContents__Output } from '../generated/inference/InferTensorContents.js';
import { DATATYPES } from './datatypes.js';
import type { ContentsField, Datatype } from './datatypes.js';

type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A typed-array view of little-endian tensor bytes, as onnxruntime-node wants its data:
 * BOOL as Uint8Array, FP16 as Uint16Array (raw half bits), INT64/UINT64 as BigInt arrays.
 * `buffer` must be aligned for the type at `byteOffset` (a fresh ArrayBuffer always is).
 */
export function typedView(dt: Datatype, buffer: ArrayBufferLike, byteOffset: number, byteLength: number): TypedArray {
  const n = byteLength / DATATYPES[dt].bytes;
  switch (dt) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(buffer, byteOffset, n);
    case 'INT8':
      return new Int8Array(buffer, byteOffset, n);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(buffer, byteOffset, n);
    case 'INT16':
      return new Int16Array(buffer, byteOffset, n);
    case 'UINT32':
      return new Uint32Array(buffer, byteOffset, n);
    case 'INT32':
      return new Int32Array(buffer, byteOffset, n);
    case 'UINT64':
      return new BigUint64Array(buffer, byteOffset, n);
    case 'INT64':
      return new BigInt64Array(buffer, byteOffset, n);
    case 'FP32':
      return new Float32Array(buffer, byteOffset, n);
    case 'FP64':
      return new Float64Array(buffer, byteOffset, n);
  }
}

/** Names of the contents fields that hold values, for error messages. */
function setFields(contents: InferTensorContents__Output | InferTensorContents): string[] {
  return Object.entries(contents)
    .filter(([, v]) => Array.isArray(v) && v.length > 0)
    .map(([k]) => k);
}

/** True when any field of typed contents holds values. */
export function hasTypedContents(contents: InferTensorContents__Output | null | undefined): boolean {
  return !!contents && setFields(contents).length > 0;
}

/**
 * Typed `contents` of an input → little-endian bytes in a fresh ArrayBuffer.
 * @throws InvalidArgumentError naming the tensor when the wrong field is set, the count does
 *   not match the shape, or a value does not fit the datatype.
 */
export function typedContentsToBytes(
  dt: Datatype,
  contents: InferTensorContents__Output,
  count: number,
  tensor: string,
): Uint8Array {
  const info = DATATYPES[dt];
  if (!info.contents) {
    throw new InvalidArgumentError(`input '${tensor}': ${dt} has no typed contents field; send it in raw_input_contents`, { field: tensor });
  }
  const field: ContentsField = info.contents;
  const others = setFields(contents).filter((f) => f !== field);
  if (others.length > 0) {
    throw new InvalidArgumentError(`input '${tensor}': datatype ${dt} is carried in contents.${field}, but ${others.join(', ')} is set`, { field: tensor });
  }
  const values = contents[field] as readonly (number | string | boolean)[];
  if (values.length !== count) {
    throw new InvalidArgumentError(
      `input '${tensor}': contents.${field} has ${values.length} values, shape needs ${count}`,
      { field: tensor },
    );
  }
  const out = new Uint8Array(count * info.bytes);
  const view = typedView(dt, out.buffer, 0, out.byteLength);
  const range = 'range' in info ? info.range : undefined;
  try {
    if (dt === 'INT64' || dt === 'UINT64') {
      const big = view as BigInt64Array | BigUint64Array;
      const [lo, hi] = dt === 'INT64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      for (let i = 0; i < count; i++) {
        const v = BigInt(values[i] as string | number);
        if (v < lo || v > hi) throw new RangeError(`value ${v} at index ${i} is out of range for ${dt}`);
        big[i] = v;
      }
    } else if (dt === 'BOOL') {
      for (let i = 0; i < count; i++) (view as Uint8Array)[i] = values[i] ? 1 : 0;
    } else {
      const num = view as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
      for (let i = 0; i < count; i++) {
        const v = values[i] as number;
        if (range && (v < range[0] || v > range[1])) throw new RangeError(`value ${v} at index ${i} is out of range for ${dt}`);
        num[i] = v;
      }
    }
  } catch (e: unknown) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new InvalidArgumentError(`input '${tensor}': contents.${field}: ${msg}`, { field: tensor, cause: e });
  }
  return out;
}

/** Little-endian bytes of an output → typed contents with the field for its datatype. */
export function bytesToTypedContents(dt: Datatype, bytes: Uint8Array): InferTensorContents {
  const info = DATATYPES[dt];
  if (!info.contents) throw new InvalidArgumentError(`${dt} outputs can only be returned raw`);
  // Copy when misaligned: typed views need an aligned offset.
  const aligned = bytes.byteOffset % info.bytes === 0 ? bytes : new Uint8Array(bytes);
  const view = typedView(dt, aligned.buffer, aligned.byteOffset, aligned.byteLength);
  let values: (number | string | boolean)[];
  if (dt === 'INT64' || dt === 'UINT64') values = Array.from(view as BigInt64Array, (v) => v.toString());
  else if (dt === 'BOOL') values = Array.from(view as Uint8Array, (v) => v !== 0);
  else values = Array.from(view as Float32Array);
  return { [info.contents]: values };
}
