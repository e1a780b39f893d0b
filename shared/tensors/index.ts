/**
 * Tensors: Open Inference Protocol datatypes and their onnxruntime names, conversion between
 * raw little-endian bytes and typed `contents`, and numpy's .npy format.
 */
export { DATATYPES, isDatatype, datatypeFromOrt, datatypeInfo, elementCount } from './datatypes.js';
export type { Datatype, DatatypeInfo, OrtType, ContentsField } from './datatypes.js';
export { typedView, hasTypedContents, typedContentsToBytes, bytesToTypedContents } from './typed.js';
export { parseNpy, readNpy, encodeNpy } from './npy.js';
export { toHalfBits, fromHalfBits, FP16_MAX } from './fp16.js';
export type { NpyArray } from './npy.js';
