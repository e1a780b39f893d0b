/**
 * Unit tests of shared/tensors: typed contents <-> little-endian bytes for every served datatype,
 * range and shape checks on typed input, and numpy's .npy format (including the committed
 * parity fixtures).
 */
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import {
  bytesToTypedContents,
  DATATYPES,
  encodeNpy,
  hasTypedContents,
  parseNpy,
  readNpy,
  typedContentsToBytes,
  typedView,
} from '../../shared/tensors/index.js';
import type { ContentsField, Datatype } from '../../shared/tensors/index.js';

/** The contents message as proto-loader hands it over (`defaults: true`). */
type Contents = Parameters<typeof typedContentsToBytes>[1];

/** Contents as proto-loader gives them with `defaults: true`: every repeated field present. */
function contents(set: Partial<Contents>): Contents {
  return {
    bool_contents: [],
    int_contents: [],
    int64_contents: [],
    uint_contents: [],
    uint64_contents: [],
    fp32_contents: [],
    fp64_contents: [],
    bytes_contents: [],
    ...set,
  };
}

/** Writes one value little-endian at element `i`, independently of the code under test. */
type Writer = (dv: DataView, i: number, v: never) => void;

interface Case {
  dt: Datatype;
  field: ContentsField;
  values: (number | string | boolean)[];
  write: Writer;
}

const CASES: Case[] = [
  { dt: 'BOOL', field: 'bool_contents', values: [true, false, true, true], write: ((dv, i, v: boolean) => dv.setUint8(i, v ? 1 : 0)) },
  { dt: 'UINT8', field: 'uint_contents', values: [0, 1, 128, 255], write: ((dv, i, v: number) => dv.setUint8(i, v)) },
  { dt: 'UINT16', field: 'uint_contents', values: [0, 1, 0x1234, 0xffff], write: ((dv, i, v: number) => dv.setUint16(i * 2, v, true)) },
  { dt: 'UINT32', field: 'uint_contents', values: [0, 7, 0x12345678, 0xffffffff], write: ((dv, i, v: number) => dv.setUint32(i * 4, v, true)) },
  {
    dt: 'UINT64',
    field: 'uint64_contents',
    values: ['0', '1', '9007199254740993', '18446744073709551615'],
    write: ((dv, i, v: string) => dv.setBigUint64(i * 8, BigInt(v), true)),
  },
  { dt: 'INT8', field: 'int_contents', values: [-128, -1, 0, 127], write: ((dv, i, v: number) => dv.setInt8(i, v)) },
  { dt: 'INT16', field: 'int_contents', values: [-32768, -1, 0x1234, 32767], write: ((dv, i, v: number) => dv.setInt16(i * 2, v, true)) },
  { dt: 'INT32', field: 'int_contents', values: [-2147483648, -1, 5, 2147483647], write: ((dv, i, v: number) => dv.setInt32(i * 4, v, true)) },
  {
    dt: 'INT64',
    field: 'int64_contents',
    values: ['-9223372036854775808', '-9007199254740993', '9007199254740993', '9223372036854775807'],
    write: ((dv, i, v: string) => dv.setBigInt64(i * 8, BigInt(v), true)),
  },
  { dt: 'FP32', field: 'fp32_contents', values: [1.5, -2.25, Math.fround(0.1), 3.4028234663852886e38], write: ((dv, i, v: number) => dv.setFloat32(i * 4, v, true)) },
  { dt: 'FP64', field: 'fp64_contents', values: [0.1, -1e300, Math.PI, 5e-324], write: ((dv, i, v: number) => dv.setFloat64(i * 8, v, true)) },
];

function expectedBytes(c: Case): Uint8Array {
  const out = new Uint8Array(c.values.length * DATATYPES[c.dt].bytes);
  const dv = new DataView(out.buffer);
  c.values.forEach((v, i) => c.write(dv, i, v as never));
  return out;
}

test('tensors - every served typed datatype has a case here', (t) => {
  const typed = Object.entries(DATATYPES).filter(([, info]) => info.contents !== undefined).map(([dt]) => dt);
  t.deepEqual(CASES.map((c) => c.dt).sort(), typed.sort());
  t.true(CASES.every((c) => DATATYPES[c.dt].contents === c.field));
});

for (const c of CASES) {
  test(`tensors - ${c.dt} typed -> bytes -> typed round trip`, (t) => {
    const bytes = typedContentsToBytes(c.dt, contents({ [c.field]: c.values }), c.values.length, 'x');
    t.deepEqual(Array.from(bytes), Array.from(expectedBytes(c)), 'little-endian bytes');
    t.is(bytes.byteOffset, 0);
    t.deepEqual(bytesToTypedContents(c.dt, bytes), { [c.field]: c.values });
  });
}

test('tensors - INT64 and UINT64 beyond 2^53 survive exactly, as strings', (t) => {
  const big = ['9007199254740993', '-9223372036854775807'];
  const bytes = typedContentsToBytes('INT64', contents({ int64_contents: big }), 2, 'ids');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  t.is(dv.getBigInt64(0, true), 9007199254740993n);
  t.is(dv.getBigInt64(8, true), -9223372036854775807n);
  t.deepEqual(bytesToTypedContents('INT64', bytes).int64_contents, big);

  const ubytes = typedContentsToBytes('UINT64', contents({ uint64_contents: ['18446744073709551614'] }), 1, 'u');
  t.deepEqual(bytesToTypedContents('UINT64', ubytes).uint64_contents, ['18446744073709551614']);
});

const OUT_OF_RANGE: [Datatype, ContentsField, number | string][] = [
  ['INT8', 'int_contents', 300],
  ['INT8', 'int_contents', -129],
  ['UINT8', 'uint_contents', 256],
  ['UINT16', 'uint_contents', 65536],
  ['INT16', 'int_contents', -32769],
  ['INT32', 'int_contents', 2147483648],
  ['UINT32', 'uint_contents', -1],
  ['UINT32', 'uint_contents', 4294967296],
  ['UINT64', 'uint64_contents', '18446744073709551616'],
  ['UINT64', 'uint64_contents', '-1'],
  ['INT64', 'int64_contents', '9223372036854775808'],
  ['INT64', 'int64_contents', '-9223372036854775809'],
];

for (const [dt, field, bad] of OUT_OF_RANGE) {
  test(`tensors - ${bad} is out of range for ${dt} and the error names the tensor`, (t) => {
    const err = t.throws(() => typedContentsToBytes(dt, contents({ [field]: [0, bad] }), 2, 'my_input'), { instanceOf: InvalidArgumentError });
    t.is(err?.field, 'my_input');
    t.true(err?.message.includes(`input 'my_input'`), err?.message);
    t.true(err?.message.includes(`contents.${field}`), err?.message);
    t.true(err?.message.includes('out of range'), err?.message);
    t.true(err?.message.includes('index 1'), err?.message);
  });
}

test('tensors - a non-numeric INT64 string is an InvalidArgumentError naming the tensor', (t) => {
  const err = t.throws(() => typedContentsToBytes('INT64', contents({ int64_contents: ['12abc'] }), 1, 'ids'), { instanceOf: InvalidArgumentError });
  t.is(err?.field, 'ids');
  t.true(err?.message.includes(`input 'ids': contents.int64_contents`));
});

test('tensors - the wrong contents field names the tensor, the expected field and the one set', (t) => {
  const err = t.throws(() => typedContentsToBytes('FP32', contents({ fp64_contents: [1, 2] }), 2, 'features'), { instanceOf: InvalidArgumentError });
  t.is(err?.field, 'features');
  t.true(err?.message.includes(`input 'features'`));
  t.true(err?.message.includes('contents.fp32_contents'));
  t.true(err?.message.includes('fp64_contents is set'));
});

test('tensors - a second field set beside the right one is refused', (t) => {
  const err = t.throws(
    () => typedContentsToBytes('INT32', contents({ int_contents: [1], uint_contents: [1] }), 1, 'x'),
    { instanceOf: InvalidArgumentError },
  );
  t.true(err?.message.includes('uint_contents is set'));
});

test('tensors - a value count that does not match the shape names the tensor and field', (t) => {
  const err = t.throws(() => typedContentsToBytes('FP32', contents({ fp32_contents: [1, 2, 3] }), 4, 'input'), { instanceOf: InvalidArgumentError });
  t.is(err?.field, 'input');
  t.is(err?.message, `input 'input': contents.fp32_contents has 3 values, shape needs 4`);
});

test('tensors - an empty tensor (count 0) with no values is accepted', (t) => {
  t.is(typedContentsToBytes('FP32', contents({}), 0, 'x').byteLength, 0);
});

test('tensors - FP16 has no typed contents field: typed input is refused', (t) => {
  const err = t.throws(() => typedContentsToBytes('FP16', contents({ fp32_contents: [1] }), 1, 'half'), { instanceOf: InvalidArgumentError });
  t.is(err?.field, 'half');
  t.true(err?.message.includes(`input 'half'`));
  t.true(err?.message.includes('raw_input_contents'));
});

test('tensors - FP16 output cannot be returned typed', (t) => {
  t.throws(() => bytesToTypedContents('FP16', new Uint8Array(4)), { instanceOf: InvalidArgumentError, message: /FP16/ });
});

test('tensors - bytesToTypedContents reads bytes at a misaligned offset', (t) => {
  const backing = new Uint8Array(17);
  const dv = new DataView(backing.buffer);
  dv.setFloat64(1, 1.25, true);
  dv.setFloat64(9, -7.5, true);
  const misaligned = backing.subarray(1);
  t.is(misaligned.byteOffset % 8, 1);
  t.deepEqual(bytesToTypedContents('FP64', misaligned), { fp64_contents: [1.25, -7.5] });
});

test('tensors - hasTypedContents is true only when some field holds values', (t) => {
  t.false(hasTypedContents(undefined));
  t.false(hasTypedContents(null));
  t.false(hasTypedContents(contents({})));
  t.true(hasTypedContents(contents({ bool_contents: [false] })));
  t.true(hasTypedContents(contents({ uint64_contents: ['1'] })));
});

test('tensors - typedView gives the array type onnxruntime wants for each datatype', (t) => {
  const buf = new ArrayBuffer(16);
  const expected: Record<Datatype, string> = {
    BOOL: 'Uint8Array',
    UINT8: 'Uint8Array',
    UINT16: 'Uint16Array',
    UINT32: 'Uint32Array',
    UINT64: 'BigUint64Array',
    INT8: 'Int8Array',
    INT16: 'Int16Array',
    INT32: 'Int32Array',
    INT64: 'BigInt64Array',
    FP16: 'Uint16Array',
    FP32: 'Float32Array',
    FP64: 'Float64Array',
  };
  for (const [dt, ctor] of Object.entries(expected) as [Datatype, string][]) {
    const view = typedView(dt, buf, 0, 16);
    t.is(view.constructor.name, ctor, dt);
    t.is(view.length, 16 / DATATYPES[dt].bytes, dt);
  }
});

// --- .npy -----------------------------------------------------------------------------------

const ALL_DATATYPES = Object.keys(DATATYPES) as Datatype[];

for (const dt of ALL_DATATYPES) {
  test(`tensors - npy ${dt} encode -> parse round trip`, (t) => {
    const shape = [2, 3];
    const data = Uint8Array.from({ length: 6 * DATATYPES[dt].bytes }, (_, i) => (i * 37 + 11) & 0xff);
    const file = encodeNpy(dt, shape, data);
    // numpy's layout: magic, version 1.0, header padded so the data starts at a multiple of 64.
    t.is(file.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    t.is(file[6], 1);
    const headerLen = file.readUInt16LE(8);
    t.is((10 + headerLen) % 64, 0);
    t.is(file[10 + headerLen - 1], 0x0a);
    const parsed = parseNpy(file);
    t.is(parsed.datatype, dt);
    t.deepEqual(parsed.shape, shape);
    t.deepEqual(Array.from(parsed.data), Array.from(data));
  });
}

test('tensors - npy round trip keeps a 1-D and a scalar shape', (t) => {
  const one = parseNpy(encodeNpy('INT32', [3], new Uint8Array(12)));
  t.deepEqual(one.shape, [3]);
  t.true(encodeNpy('INT32', [3], new Uint8Array(12)).toString('latin1').includes("'shape': (3,)"));
  const scalar = parseNpy(encodeNpy('FP64', [], new Uint8Array(8)));
  t.deepEqual(scalar.shape, []);
  t.is(scalar.data.byteLength, 8);
});

test('tensors - parseNpy returns data in a fresh aligned buffer', (t) => {
  const file = encodeNpy('FP64', [1], new Uint8Array(new Float64Array([2.5]).buffer));
  const shifted = new Uint8Array(file.byteLength + 3);
  shifted.set(file, 3);
  const parsed = parseNpy(shifted.subarray(3));
  t.is(parsed.data.byteOffset, 0);
  t.is(new Float64Array(parsed.data.buffer)[0], 2.5);
});

const fixture = (file: string) => join(projectRoot(), 'test/fixtures/parity/digits_mlp', file);

test('tensors - the committed digits_mlp inputs.npy is FP32 [200, 64]', (t) => {
  const a = readNpy(fixture('inputs.npy'));
  t.is(a.datatype, 'FP32');
  t.deepEqual(a.shape, [200, 64]);
  t.is(a.data.byteLength, 200 * 64 * 4);
  const values = new Float32Array(a.data.buffer, a.data.byteOffset, 200 * 64);
  t.true(values.every((v) => Number.isFinite(v)));
});

test('tensors - the committed digits_mlp labels.npy is INT64 [200] of digits 0..9', (t) => {
  const a = readNpy(fixture('labels.npy'));
  t.is(a.datatype, 'INT64');
  t.deepEqual(a.shape, [200]);
  t.is(a.data.byteLength, 200 * 8);
  const labels = bytesToTypedContents('INT64', a.data).int64_contents ?? [];
  t.is(labels.length, 200);
  t.true(labels.every((l) => typeof l === 'string' && /^[0-9]$/.test(l)));
  t.true(new Set(labels).size > 1);
});

/** A .npy file with a hand-written header (padded like numpy's). */
function npyWithHeader(header: string, major = 1, data = new Uint8Array(8)): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  let h = header;
  h += ' '.repeat((64 - ((pre + h.length + 1) % 64)) % 64) + '\n';
  const buf = Buffer.alloc(pre + h.length);
  buf.write('\x93NUMPY', 0, 'latin1');
  buf[6] = major;
  buf[7] = 0;
  if (major === 1) buf.writeUInt16LE(h.length, 8);
  else buf.writeUInt32LE(h.length, 8);
  buf.write(h, pre, 'latin1');
  return Buffer.concat([buf, data]);
}

test('tensors - parseNpy reads a version 2.0 header', (t) => {
  const a = parseNpy(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 2));
  t.is(a.datatype, 'FP32');
  t.deepEqual(a.shape, [2]);
  t.is(a.data.byteLength, 8);
});

test('tensors - parseNpy refuses a file without the numpy magic, naming it', (t) => {
  const bad = Buffer.from('PK\x03\x04 this is a zip, not an npy file');
  t.throws(() => parseNpy(bad, 'weights.npy'), { message: 'weights.npy: not a .npy file' });
});

test('tensors - parseNpy refuses Fortran-ordered arrays', (t) => {
  const file = npyWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }");
  t.throws(() => parseNpy(file, 'f.npy'), { message: /f\.npy: Fortran-ordered arrays are not supported/ });
});

test('tensors - parseNpy refuses an unsupported dtype, naming it', (t) => {
  t.throws(() => parseNpy(npyWithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"), 'c.npy'), { message: /c\.npy: unsupported dtype <c8/ });
  // Big-endian data would be read with the wrong byte order.
  t.throws(() => parseNpy(npyWithHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), 'be.npy'), { message: /unsupported dtype >f4/ });
});

test('tensors - parseNpy refuses an unknown format version and a malformed header', (t) => {
  t.throws(() => parseNpy(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 9), 'v.npy'), { message: /unsupported \.npy version 9/ });
  t.throws(() => parseNpy(npyWithHeader("{'descr': '<f4', 'fortran_order': False, }"), 'h.npy'), { message: /h\.npy: malformed \.npy header/ });
});
