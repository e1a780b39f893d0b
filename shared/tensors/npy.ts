import { readFileSync } from 'node:fs';
import { DATATYPES } from './datatypes.js';
import type { Datatype } from './datatypes.js';

/** A tensor read from numpy's .npy format. `data` is a fresh, aligned little-endian copy. */
export interface NpyArray {
  datatype: Datatype;
  shape: number[];
  data: Uint8Array;
}

const DESCR: Record<string, Datatype> = {
  '|b1': 'BOOL',
  '|u1': 'UINT8',
  '<u2': 'UINT16',
  '<u4': 'UINT32',
  '<u8': 'UINT64',
  '|i1': 'INT8',
  '<i2': 'INT16',
  '<i4': 'INT32',
  '<i8': 'INT64',
  '<f2': 'FP16',
  '<f4': 'FP32',
  '<f8': 'FP64',
};

/**
 * Parses a .npy file (format 1.0–3.0, C order, little-endian numeric dtypes), as written by
 * `numpy.save`.
 * @throws Error naming the file when the magic, header, dtype or order is not supported.
 */
export function parseNpy(buf: Uint8Array, name = 'npy'): NpyArray {
  const magic = Buffer.from(buf.subarray(0, 6)).toString('latin1');
  if (magic !== '\x93NUMPY') throw new Error(`${name}: not a .npy file`);
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  } else throw new Error(`${name}: unsupported .npy version ${major}`);
  const header = Buffer.from(buf.subarray(headerStart, headerStart + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${name}: malformed .npy header ${header}`);
  if (fortran === 'True') throw new Error(`${name}: Fortran-ordered arrays are not supported`);
  const datatype = DESCR[descr];
  if (!datatype) throw new Error(`${name}: unsupported dtype ${descr}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const data = new Uint8Array(buf.subarray(headerStart + headerLen));
  const want = shape.reduce((n, d) => n * d, 1) * DATATYPES[datatype].bytes;
  if (data.byteLength !== want) throw new Error(`${name}: holds ${data.byteLength} data bytes, shape (${shape.join(', ')}) of ${descr} needs ${want}`);
  return { datatype, shape, data };
}

/** Reads and parses a .npy file. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readFileSync(path), path);
}

const DESCR_OF = Object.fromEntries(Object.entries(DESCR).map(([k, v]) => [v, k])) as Record<Datatype, string>;

/** Encodes a tensor as a .npy (format 1.0) file that `numpy.load` reads. */
export function encodeNpy(datatype: Datatype, shape: readonly number[], data: Uint8Array): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[datatype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}
