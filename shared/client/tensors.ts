import { DATATYPES, encodeNpy, isDatatype, parseNpy, typedView } from '../tensors/index.js';
import type { Datatype } from '../tensors/index.js';
import type { InferTensorContents__Output } from '../generated/inference/InferTensorContents.js';
import type { ModelInferRequest } from '../generated/inference/ModelInferRequest.js';
import type { ModelInferResponse__Output } from '../generated/inference/ModelInferResponse.js';
import type { Matrix } from '../generated/mlmesh/monitor/v1/Matrix.js';
import type { TransformResponse__Output } from '../generated/mlmesh/preprocess/v1/TransformResponse.js';

/** The typed arrays tensors travel in (host byte order, which is little-endian wherever Node runs in practice). */
export type TypedArray =
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

/** A tensor datatype the mesh serves: BOOL, UINT8…UINT64, INT8…INT64, FP16, FP32, FP64. */
export type TensorDatatype = Datatype;

/**
 * A decoded tensor: its datatype, shape and values as a typed array (BOOL as Uint8Array of 0/1,
 * FP16 as Uint16Array of half-precision bits, INT64/UINT64 as BigInt64Array/BigUint64Array).
 */
export interface Tensor {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
  data: TypedArray;
}

type TypedArrayClass = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray; readonly name: string };

/** The typed-array class that holds `dt` (Uint8Array for BOOL, Uint16Array for FP16…). */
export function arrayClassOf(dt: TensorDatatype): TypedArrayClass {
  return typedView(dt, new ArrayBuffer(0), 0, 0).constructor as TypedArrayClass;
}

const BY_ARRAY: ReadonlyMap<string, TensorDatatype> = new Map([
  ['Float32Array', 'FP32'],
  ['Float64Array', 'FP64'],
  ['Int8Array', 'INT8'],
  ['Int16Array', 'INT16'],
  ['Int32Array', 'INT32'],
  ['BigInt64Array', 'INT64'],
  ['Uint8Array', 'UINT8'],
  ['Uint16Array', 'UINT16'],
  ['Uint32Array', 'UINT32'],
  ['BigUint64Array', 'UINT64'],
] as const);

/** The datatype a typed array means by default (Uint8Array → UINT8; BOOL and FP16 must be named). */
export function datatypeOfArray(data: TypedArray): TensorDatatype {
  const dt = BY_ARRAY.get(data.constructor.name);
  if (!dt) throw new TypeError(`mlmesh client: ${data.constructor.name} is not a tensor array`);
  return dt;
}

function checkShape(what: string, shape: readonly number[]): number[] {
  // Array.isArray narrows to any[]: keep the declared element type for the copy.
  const dims: readonly number[] = shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new TypeError(`mlmesh client: ${what}: shape must be an array of integers >= 0, got ${JSON.stringify(shape)}`);
  }
  return [...dims];
}

function count(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Values as the typed array of `dt` (typed arrays of the right class are used as they are). */
function toTypedArray(what: string, dt: TensorDatatype, values: TypedArray | ArrayLike<number | bigint | boolean>): TypedArray {
  const Cls = arrayClassOf(dt);
  if (ArrayBuffer.isView(values)) {
    if (values.constructor !== Cls) throw new TypeError(`mlmesh client: ${what}: ${dt} takes a ${Cls.name}, got a ${values.constructor.name}`);
    return values;
  }
  if (dt === 'FP16') throw new TypeError(`mlmesh client: ${what}: FP16 takes a Uint16Array of half-precision bits`);
  const list = Array.from(values);
  const out = new Cls(new ArrayBuffer(list.length * DATATYPES[dt].bytes), 0, list.length);
  const range = 'range' in DATATYPES[dt] ? (DATATYPES[dt] as { range: readonly [number, number] }).range : undefined;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (dt === 'INT64' || dt === 'UINT64') {
      if (typeof v === 'boolean' || (typeof v === 'number' && !Number.isSafeInteger(v))) throw new TypeError(`mlmesh client: ${what}: value ${String(v)} at index ${i} is not an integer (give a bigint)`);
      const b = BigInt(v as number | bigint);
      if (dt === 'UINT64' ? b < 0n || b >= 2n ** 64n : b < -(2n ** 63n) || b >= 2n ** 63n) throw new RangeError(`mlmesh client: ${what}: value ${b} at index ${i} is out of range for ${dt}`);
      (out as BigInt64Array | BigUint64Array)[i] = b;
    } else if (dt === 'BOOL') {
      (out as Uint8Array)[i] = v ? 1 : 0;
    } else {
      const n = Number(v);
      if (range && (!Number.isInteger(n) || n < range[0] || n > range[1])) throw new RangeError(`mlmesh client: ${what}: value ${String(v)} at index ${i} is not a ${dt}`);
      (out as Float32Array)[i] = n;
    }
  }
  return out;
}

/** The bytes of a typed array, without copying. */
function bytesOf(data: TypedArray): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One input of a ModelInfer request, as tritonclient's `InferInput`: a name, a shape, a datatype
 * and its data as a typed array. It travels as raw little-endian bytes (`raw_input_contents`).
 */
export class InferInput {
  readonly name: string;
  readonly datatype: TensorDatatype;
  readonly shape: readonly number[];
  private values: TypedArray | undefined;

  /**
   * @throws TypeError when the datatype is not one the mesh serves or the shape is not integers >= 0.
   */
  constructor(name: string, shape: readonly number[], datatype: TensorDatatype) {
    if (typeof name !== 'string' || name === '') throw new TypeError('mlmesh client: an input needs a name');
    if (!isDatatype(datatype)) throw new TypeError(`mlmesh client: input '${name}': unknown datatype ${String(datatype)} (one of ${Object.keys(DATATYPES).join(', ')})`);
    this.name = name;
    this.datatype = datatype;
    this.shape = checkShape(`input '${name}'`, shape);
  }

  /**
   * An input from a typed array; the datatype follows the array (Float32Array → FP32,
   * BigInt64Array → INT64…) unless given (BOOL, FP16). The shape defaults to `[data.length]`.
   */
  static from(name: string, data: TypedArray, shape: readonly number[] = [data.length], datatype: TensorDatatype = datatypeOfArray(data)): InferInput {
    return new InferInput(name, shape, datatype).setData(data);
  }

  /**
   * Sets the data: a typed array of the datatype's class (used as is, read when the call starts)
   * or plain values (numbers, bigints for 64-bit integers, booleans for BOOL), converted.
   * @throws TypeError/RangeError when the class, a value or the element count does not fit.
   */
  setData(data: TypedArray | ArrayLike<number | bigint | boolean>): this {
    const what = `input '${this.name}'`;
    const arr = toTypedArray(what, this.datatype, data);
    const n = count(this.shape);
    if (arr.length !== n) throw new RangeError(`mlmesh client: ${what}: ${arr.length} values for shape [${this.shape.join(', ')}] (${n} elements)`);
    this.values = arr;
    return this;
  }

  /** The data set, or undefined. */
  get data(): TypedArray | undefined {
    return this.values;
  }
}

/** What `buildInferRequest` and `InferenceClient.infer` take besides the inputs. */
export interface InferRequestOptions {
  /** Model version; '' lets the server choose (routing, latest). @default '' */
  version?: string;
  /** Outputs to return (all when empty). @default all */
  outputs?: readonly string[];
  /** Request id, also sent as `x-request-id` (the prediction log's id). @default a random UUID */
  id?: string;
  /** Request parameters. @default none */
  parameters?: ModelInferRequest['parameters'];
}

/**
 * A ModelInfer request from inputs with data: every input's bytes in `raw_input_contents`.
 * @throws TypeError when an input has no data or two inputs share a name.
 */
export function buildInferRequest(model: string, inputs: readonly InferInput[], opts: InferRequestOptions = {}): ModelInferRequest {
  const seen = new Set<string>();
  for (const i of inputs) {
    if (!(i instanceof InferInput)) throw new TypeError('mlmesh client: inputs must be InferInput objects (InferInput.from(name, typedArray, shape))');
    if (seen.has(i.name)) throw new TypeError(`mlmesh client: input '${i.name}' is given twice`);
    seen.add(i.name);
    if (!i.data) throw new TypeError(`mlmesh client: input '${i.name}' has no data (setData)`);
  }
  return {
    model_name: model,
    model_version: opts.version ?? '',
    id: opts.id ?? '',
    parameters: opts.parameters ?? {},
    inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [...i.shape] })),
    outputs: (opts.outputs ?? []).map((name) => ({ name })),
    raw_input_contents: inputs.map((i) => bytesOf(i.data as TypedArray)),
  };
}

/** Typed `contents` of an output → a typed array of its datatype. */
function fromContents(name: string, dt: TensorDatatype, contents: InferTensorContents__Output, n: number): TypedArray {
  const field = DATATYPES[dt].contents;
  if (!field) throw new TypeError(`mlmesh client: output '${name}': ${dt} has no typed contents`);
  const values = contents[field] as readonly (number | string | boolean)[];
  if (values.length !== n) throw new RangeError(`mlmesh client: output '${name}': contents.${field} has ${values.length} values, its shape needs ${n}`);
  return toTypedArray(`output '${name}'`, dt, dt === 'INT64' || dt === 'UINT64' ? values.map((v) => BigInt(v as string)) : (values as ArrayLike<number | boolean>));
}

/** Raw little-endian bytes → a typed array (copied, so aligned and owned). */
function fromBytes(name: string, dt: TensorDatatype, bytes: Uint8Array, n: number): TypedArray {
  const size = DATATYPES[dt].bytes;
  if (bytes.byteLength !== n * size) throw new RangeError(`mlmesh client: output '${name}': ${bytes.byteLength} bytes, its shape needs ${n * size}`);
  const copy = new Uint8Array(bytes);
  return typedView(dt, copy.buffer, 0, copy.byteLength);
}

/**
 * Every output of a ModelInfer response as a {@link Tensor}, in response order, from raw bytes
 * (`raw_output_contents`) or typed `contents`.
 * @throws TypeError/RangeError when the response is malformed (unknown datatype, byte count off).
 */
export function decodeInferOutputs(res: ModelInferResponse__Output): Tensor[] {
  const raw = res.raw_output_contents ?? [];
  if (raw.length > 0 && raw.length !== res.outputs.length) throw new RangeError(`mlmesh client: response has ${raw.length} raw_output_contents for ${res.outputs.length} outputs`);
  return res.outputs.map((o, i) => {
    if (!isDatatype(o.datatype)) throw new TypeError(`mlmesh client: output '${o.name}': datatype ${o.datatype} is not supported`);
    const shape = o.shape.map(Number);
    const n = count(shape);
    const bytes = raw[i];
    const data = bytes !== undefined ? fromBytes(o.name, o.datatype, bytes, n) : fromContents(o.name, o.datatype, o.contents ?? ({} as InferTensorContents__Output), n);
    return { name: o.name, datatype: o.datatype, shape, data };
  });
}

/** The result of a ModelInfer call, as tritonclient's `InferResult`: outputs as typed arrays. */
export class InferResult {
  /** The response message as received. */
  readonly response: ModelInferResponse__Output;
  private readonly tensors: Map<string, Tensor>;

  constructor(response: ModelInferResponse__Output) {
    this.response = response;
    this.tensors = new Map(decodeInferOutputs(response).map((t) => [t.name, t]));
  }

  /** The model that answered. */
  get modelName(): string {
    return this.response.model_name;
  }
  /** The version that actually served the request (what a canary split reports). */
  get modelVersion(): string {
    return this.response.model_version;
  }
  /** The request id. */
  get id(): string {
    return this.response.id;
  }
  /** Output names, in response order. */
  get outputNames(): string[] {
    return [...this.tensors.keys()];
  }

  /** The output `name` as a tensor, or undefined when the response has none of that name. */
  output(name: string): Tensor | undefined {
    return this.tensors.get(name);
  }

  /**
   * The data of output `name` (tritonclient's `as_numpy`); narrow it with the type parameter,
   * e.g. `asArray<Float32Array>('logits')`.
   * @throws RangeError naming the outputs there are when there is none of that name.
   */
  asArray<T extends TypedArray = TypedArray>(name: string): T {
    const t = this.tensors.get(name);
    if (!t) throw new RangeError(`mlmesh client: no output '${name}' (outputs: ${this.outputNames.join(', ') || 'none'})`);
    return t.data as T;
  }

  /** The shape of output `name`. @throws RangeError when there is none of that name. */
  shape(name: string): number[] {
    const t = this.tensors.get(name);
    if (!t) throw new RangeError(`mlmesh client: no output '${name}' (outputs: ${this.outputNames.join(', ') || 'none'})`);
    return [...t.shape];
  }
}

/** The tensor of a preprocess Transform response: FP32 `[rows, features]`, rows in `row_index` order. */
export function transformTensor(res: TransformResponse__Output): Tensor {
  const shape = res.shape.map(Number);
  return { name: res.name, datatype: 'FP32', shape, data: fromBytes('tensor', 'FP32', new Uint8Array(res.tensor), count(shape)) };
}

/**
 * A monitor `Matrix` (row-major FP32) from a Float32Array of `rows × cols` values, or from rows
 * of numbers.
 * @throws RangeError when the values do not fill rows × cols or rows are ragged.
 */
export function toMatrix(data: Float32Array | readonly (readonly number[])[], shape?: readonly [number, number]): Matrix {
  let flat: Float32Array;
  let rows: number;
  let cols: number;
  if (data instanceof Float32Array) {
    if (!shape) throw new TypeError('mlmesh client: toMatrix(Float32Array) needs its shape [rows, cols]');
    [rows, cols] = checkShape('matrix', shape) as [number, number];
    if (rows * cols !== data.length) throw new RangeError(`mlmesh client: matrix: ${data.length} values for shape [${rows}, ${cols}]`);
    flat = data;
  } else {
    rows = data.length;
    cols = data[0]?.length ?? 0;
    flat = new Float32Array(rows * cols);
    data.forEach((row, r) => {
      if (row.length !== cols) throw new RangeError(`mlmesh client: matrix: row ${r} has ${row.length} values, row 0 has ${cols}`);
      flat.set(row, r * cols);
    });
  }
  return { rows, cols, data: bytesOf(flat) };
}

/** A typed array as a numpy .npy file (e.g. the `inputs_npy` of ReplaceReference). */
export function toNpy(data: TypedArray, shape: readonly number[] = [data.length], datatype: TensorDatatype = datatypeOfArray(data)): Buffer {
  const s = checkShape('npy', shape);
  const arr = toTypedArray('npy', datatype, data);
  if (arr.length !== count(s)) throw new RangeError(`mlmesh client: npy: ${arr.length} values for shape [${s.join(', ')}]`);
  return encodeNpy(datatype, s, new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
}

/** A numpy .npy file as a tensor (name ''), e.g. a reference sample written by a Python job. */
export function fromNpy(bytes: Uint8Array): Tensor {
  const a = parseNpy(bytes);
  return { name: '', datatype: a.datatype, shape: [...a.shape], data: fromBytes('npy', a.datatype, a.data, count(a.shape)) };
}
