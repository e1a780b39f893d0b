/**
 * fast-check arbitraries derived from protobuf message descriptors (protobufjs reflection), for
 * the fuzz suite (bench/fuzz/main.ts). Two families:
 *
 * - {@link requestArbitrary}: valid-shaped messages with extreme values. Every field type is
 *   covered: strings (empty, control characters, unicode, lone surrogates, up to
 *   `maxStringChars`, plus a dictionary of names the mesh knows so calls reach past "not found"),
 *   bytes, every integer type at its bounds (int64/uint64 as decimal strings, so 2^63−1 survives),
 *   floats with NaN/±Inf/−0/subnormals, bools, enums with unknown numbers, repeated fields (a few
 *   elements, or a huge count of one value within the byte budget), maps, oneofs (none, one, or
 *   two members at once: the last one on the wire wins) and nested messages up to `maxDepth`.
 *   Fields named `shape` get tensor shapes with zeros, negatives and huge dims.
 * - {@link malformedArbitrary}: bytes that are not a valid message of the type: random bytes,
 *   valid messages cut short, known fields in a wrong wire type, length prefixes far beyond the
 *   buffer, deeply nested sub-messages and groups, overlong varints, field number 0 / wire types
 *   6 and 7, and the 0-length message (valid in proto3: every field at its default).
 */
import fc from 'fast-check';
import protobuf from 'protobufjs';

/** How big and deep generated messages may get. */
export interface ArbitraryOptions {
  /** Nested messages below this depth are left out. @default 3 */
  maxDepth?: number;
  /** Strings any string field may take besides random ones (model names, feature refs, datatypes…). */
  dictionary?: readonly string[];
  /**
   * Strings a field of this name takes half the time (`model_name` → the served models…), so
   * that calls get past "not found" to the code that reads the rest of the message.
   */
  fieldDictionary?: Readonly<Record<string, readonly string[]>>;
  /** Longest generated string, in UTF-16 units. @default 65536 */
  maxStringChars?: number;
  /** Most elements of a "huge" repeated scalar field. @default 50000 */
  hugeRepeated?: number;
  /** Largest encoded message; bigger samples are discarded. @default 4 MiB */
  maxBytes?: number;
}

type Resolved = Required<ArbitraryOptions>;

/** A generated request: the object (for reports) and its encoding. */
export interface Sample {
  /** The message as given to protobufjs `fromObject` (undefined for malformed bytes). */
  object?: Record<string, unknown>;
  /** What is sent. */
  bytes: Buffer;
  /** Which generator made it (for the report: `valid`, `truncated`, `wrong-wire-type`…). */
  kind: string;
}

const INT32 = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)];
const UINT32 = [0, 1, 2 ** 32 - 1, 2 ** 31];
const INT64 = ['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '9007199254740993', '-9007199254740993', '4294967296'];
const UINT64 = ['0', '1', '18446744073709551615', '9223372036854775808', '9007199254740993'];
const DOUBLES = [0, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e-310, 2 ** 53 + 1];
const FLOATS = [0, -0, NaN, Infinity, -Infinity, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1e39];
/** Tensor dims: zero, negative, the int32 and int64 edges, and products that overflow. */
const DIMS = ['0', '-1', '1', '2', '3', '4', '8', '64', '1000000', '2147483648', '4294967297', '9223372036854775807', '-9223372036854775808'];
const ODD_STRINGS = ['', ' ', '\u0000', '\u0000abc', '../../../etc/passwd', '/', '.', '..', '%s%n%x', '${x}', '<script>', 'a@', '@1', 'a@-1', 'a@1@2', 'a@99999999999999999999', 'a@0x10', '\uD800', '\uFFFF', '🙂', 'Ω≈ç√', '\n\r\t', 'null', 'NaN', '-0', '1e309', '*', '?', 'a'.repeat(256)];

/** The arbitrary of one request type. */
export function requestArbitrary(type: protobuf.Type, options: ArbitraryOptions = {}): fc.Arbitrary<Sample> {
  const o = resolve(options);
  return messageArb(type, 0, o, new Map())
    .map((object): Sample | undefined => {
      try {
        return { object, bytes: Buffer.from(type.encode(type.fromObject(object)).finish()), kind: 'valid' };
      } catch {
        // fromObject refuses a value this generator should not make: dropped (and counted by the filter).
        return undefined;
      }
    })
    .filter((s): s is Sample => s !== undefined && s.bytes.length <= o.maxBytes);
}

function resolve(o: ArbitraryOptions): Resolved {
  return { maxDepth: o.maxDepth ?? 3, dictionary: o.dictionary ?? [], fieldDictionary: o.fieldDictionary ?? {}, maxStringChars: o.maxStringChars ?? 65_536, hugeRepeated: o.hugeRepeated ?? 50_000, maxBytes: o.maxBytes ?? 4 * 1024 * 1024 };
}

function messageArb(type: protobuf.Type, depth: number, o: Resolved, memo: Map<string, fc.Arbitrary<Record<string, unknown>>>): fc.Arbitrary<Record<string, unknown>> {
  const key = `${type.fullName}@${depth}`;
  const seen = memo.get(key);
  if (seen) return seen;
  // Recursive types (Struct/Value) refer back to themselves: a lazy placeholder breaks the cycle.
  const lazy = fc.constant(null).chain(() => memo.get(key) as fc.Arbitrary<Record<string, unknown>>);
  memo.set(key, lazy);
  const plain: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of type.fieldsArray) {
    f.resolve();
    if (f.partOf) continue;
    const a = fieldArb(f, depth, o, memo);
    if (a) plain[f.name] = a;
  }
  const oneofs = type.oneofsArray.map((oneof) => {
    const members = oneof.fieldsArray.map((f) => [f.name, fieldArb(f, depth, o, memo)] as const).filter((m): m is readonly [string, fc.Arbitrary<unknown>] => m[1] !== undefined);
    if (members.length === 0) return fc.constant({});
    const one = fc.oneof(...members.map(([name, a]) => a.map((v) => ({ [name]: v }))));
    return fc.oneof({ weight: 1, arbitrary: fc.constant({}) }, { weight: 4, arbitrary: one }, { weight: 1, arbitrary: fc.tuple(one, one).map(([a, b]) => ({ ...a, ...b })) });
  });
  const arb = fc.tuple(fc.record(plain, { requiredKeys: [] }), ...oneofs).map(([base, ...parts]) => Object.assign({}, base, ...parts) as Record<string, unknown>);
  memo.set(key, arb);
  return arb;
}

function fieldArb(f: protobuf.Field, depth: number, o: Resolved, memo: Map<string, fc.Arbitrary<Record<string, unknown>>>): fc.Arbitrary<unknown> | undefined {
  const t = f.resolvedType;
  if (f instanceof protobuf.MapField) {
    const value = t instanceof protobuf.Type ? (depth + 1 < o.maxDepth ? messageArb(t, depth + 1, o, memo) : undefined) : scalarArb(t instanceof protobuf.Enum ? t : f.type, f.name, o);
    if (!value) return undefined;
    return fc.dictionary(mapKeyArb(f.keyType, o, f.name), value, { maxKeys: depth === 0 ? 6 : 3 });
  }
  let elem: fc.Arbitrary<unknown>;
  if (t instanceof protobuf.Type) {
    if (depth + 1 >= o.maxDepth) return undefined;
    elem = messageArb(t, depth + 1, o, memo);
  } else {
    elem = scalarArb(t instanceof protobuf.Enum ? t : f.type, f.name, o);
  }
  if (!f.repeated) return elem;
  if (f.name === 'shape') return fc.oneof(fc.constantFrom(['1', '64'], ['2', '64'], ['1', '2'], ['1', '25'], ['1']), fc.array(fc.oneof(fc.constantFrom(...DIMS), elem), { maxLength: 8 }));
  const few = fc.array(elem, { maxLength: depth === 0 ? 8 : 3 });
  if (t instanceof protobuf.Type || f.type === 'string' || f.type === 'bytes') return few;
  // A huge count of one value: packed, it costs 1–10 bytes per element.
  const huge = fc.tuple(fc.integer({ min: 1000, max: o.hugeRepeated }), elem).map(([n, v]) => new Array<unknown>(n).fill(v));
  return fc.oneof({ weight: 6, arbitrary: few }, { weight: 1, arbitrary: huge });
}

function mapKeyArb(keyType: string, o: Resolved, field: string): fc.Arbitrary<string> {
  // Keys of a map field `fields` are looked up as `fields.key` in the field dictionary.
  if (keyType === 'string') return stringArb(o, `${field}.key`);
  if (keyType === 'bool') return fc.constantFrom('true', 'false');
  if (keyType.includes('64')) return fc.constantFrom(...(keyType.startsWith('u') || keyType.startsWith('fixed') ? UINT64 : INT64));
  return fc.integer().map(String);
}

function stringArb(o: Resolved, field?: string): fc.Arbitrary<string> {
  const arbs: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: fc.string({ maxLength: 16 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_STRINGS) },
    { weight: 1, arbitrary: fc.integer({ min: 1024, max: o.maxStringChars }).map((n) => 'x'.repeat(n)) },
  ];
  if (o.dictionary.length > 0) arbs.push({ weight: 4, arbitrary: fc.constantFrom(...o.dictionary) });
  const known = field !== undefined ? o.fieldDictionary[field] : undefined;
  if (known && known.length > 0) arbs.push({ weight: 14, arbitrary: fc.constantFrom(...known) });
  return fc.oneof(...arbs);
}

function scalarArb(type: string | protobuf.Enum, name: string, o: Resolved): fc.Arbitrary<unknown> {
  if (type instanceof protobuf.Enum) {
    const names = Object.keys(type.values);
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom(-1, 999, 2 ** 31 - 1, -(2 ** 31)) });
  }
  switch (type) {
    case 'string':
      return stringArb(o, name);
    case 'bytes':
      return fc
        .oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) }, { weight: 2, arbitrary: fc.constantFrom(4, 8, 200, 256, 512).map((n) => new Uint8Array(n)) }, { weight: 1, arbitrary: fc.integer({ min: 1024, max: o.maxStringChars * 4 }).map((n) => new Uint8Array(n).fill(0xff)) })
        .map((b) => Buffer.from(b));
    case 'bool':
      return fc.boolean();
    case 'double':
      return fc.oneof(fc.constantFrom(...DOUBLES), fc.double());
    case 'float':
      return fc.oneof(fc.constantFrom(...FLOATS), fc.float());
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.oneof(fc.constantFrom(...INT32), fc.integer());
    case 'uint32':
    case 'fixed32':
      return fc.oneof(fc.constantFrom(...UINT32), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      if (name === 'shape') return fc.constantFrom(...DIMS);
      return fc.oneof(fc.constantFrom(...INT64), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.integer({ min: -1000, max: 100_000 }).map(String));
    case 'uint64':
    case 'fixed64':
      return fc.oneof(fc.constantFrom(...UINT64), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.integer({ min: 0, max: 100_000 }).map(String));
    default:
      throw new Error(`fuzz: no arbitrary for the protobuf type ${type} (field ${name})`);
  }
}

// ---- malformed bytes ----

/** A protobuf varint of a non-negative bigint. */
export function varint(n: bigint | number): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Buffer.from(out);
}

const tag = (id: number, wire: number): Buffer => varint((BigInt(id) << 3n) | BigInt(wire));

/** The wire types a field's type allows (repeated scalars may also come packed, as 2). */
function allowedWire(f: protobuf.Field): number[] {
  if (f instanceof protobuf.MapField || f.resolvedType instanceof protobuf.Type || f.type === 'string' || f.type === 'bytes') return [2];
  const w = ['fixed32', 'sfixed32', 'float'].includes(f.type) ? 5 : ['fixed64', 'sfixed64', 'double'].includes(f.type) ? 1 : 0;
  return f.repeated ? [w, 2] : [w];
}

/** A payload that is well-formed for `wire` on its own. */
function payloadFor(wire: number): Buffer {
  switch (wire) {
    case 0:
      return varint(1);
    case 1:
      return Buffer.alloc(8, 0x41);
    case 2:
      return Buffer.from([2, 0x08, 0x01]);
    case 5:
      return Buffer.alloc(4, 0x41);
    default:
      return Buffer.alloc(0);
  }
}

/**
 * The chain of field numbers to nest `n` levels deep: following message-typed fields of the
 * schema while there are any (so the server's decoder descends for real), then field 1.
 */
function nestingPath(type: protobuf.Type, n: number): number[] {
  const ids: number[] = [];
  let t: protobuf.Type | undefined = type;
  for (let i = 0; i < n; i++) {
    const f: protobuf.Field | undefined = t?.fieldsArray.find((x) => (x.resolve(), x.resolvedType instanceof protobuf.Type && !(x instanceof protobuf.MapField)));
    ids.push(f?.id ?? 1);
    t = f ? (f.resolvedType as protobuf.Type) : undefined;
  }
  return ids;
}

function nestedMessages(ids: readonly number[]): Buffer {
  // The innermost message is empty, so the bytes are the headers, outermost first; each length
  // is that of the headers inside it (built inside out, one copy at the end: no quadratic concat).
  const headers: Buffer[] = new Array<Buffer>(ids.length);
  let len = 0;
  for (let i = ids.length - 1; i >= 0; i--) {
    const h = Buffer.concat([tag(ids[i] as number, 2), varint(len)]);
    headers[i] = h;
    len += h.length;
  }
  return Buffer.concat(headers);
}

function nestedGroups(n: number, balanced: boolean): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) parts.push(tag(1000 + (i % 7), 3));
  if (balanced) for (let i = n - 1; i >= 0; i--) parts.push(tag(1000 + (i % 7), 4));
  return Buffer.concat(parts);
}

/** Malformed bytes for `type` (see the module comment); `valid` supplies messages to cut short. */
export function malformedArbitrary(type: protobuf.Type, valid: fc.Arbitrary<Sample>): fc.Arbitrary<Sample> {
  const fields = type.fieldsArray.map((f) => (f.resolve(), f));
  const ids = fields.length > 0 ? fields.map((f) => f.id) : [1];
  const mk = (kind: string) => (bytes: Buffer): Sample => ({ bytes, kind });
  const random = fc.uint8Array({ minLength: 1, maxLength: 512 }).map((b) => mk('random')(Buffer.from(b)));
  // A message of 0 or 1 bytes cannot be cut: a lone tag of field 1, length-delimited, stands in
  // (a filter would never end for a type with no fields).
  const truncated = fc
    .tuple(valid, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }))
    .map(([s, at]): Sample =>
      s.bytes.length > 1
        ? { bytes: s.bytes.subarray(0, Math.max(1, Math.floor(s.bytes.length * at))), kind: 'truncated', ...(s.object ? { object: s.object } : {}) }
        : { bytes: tag(ids[0] as number, 2), kind: 'truncated' },
    );
  const wrongWire = fc.constantFrom(...(fields.length > 0 ? fields : [undefined])).chain((f) => {
    const allowed = f ? allowedWire(f) : [];
    const wrong = [0, 1, 2, 3, 5, 6, 7].filter((w) => !allowed.includes(w));
    return fc.constantFrom(...wrong).map((w) => mk('wrong-wire-type')(Buffer.concat([tag(f?.id ?? 1, w), payloadFor(w), ...(w === 3 ? [tag(f?.id ?? 1, 4)] : [])])));
  });
  const hugeLength = fc
    .tuple(fc.constantFrom(...ids), fc.constantFrom(2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 1000n, 65_536n), fc.uint8Array({ maxLength: 16 }))
    .map(([id, len, rest]) => mk('huge-length')(Buffer.concat([tag(id, 2), varint(len), Buffer.from(rest)])));
  const deepMessages = fc.integer({ min: 50, max: 20_000 }).map((n) => mk('deep-messages')(nestedMessages(nestingPath(type, n))));
  const deepGroups = fc.tuple(fc.integer({ min: 50, max: 20_000 }), fc.boolean()).map(([n, balanced]) => mk('deep-groups')(nestedGroups(n, balanced)));
  const badTags = fc
    .constantFrom(
      Buffer.alloc(11, 0xff), // a varint tag of 11 bytes
      Buffer.from([0x00, 0x01]), // field number 0
      Buffer.from([0x0e, 0x01]), // wire type 6
      Buffer.from([0x0f]), // wire type 7
      Buffer.concat([tag(2 ** 29 - 1, 0), varint(1)]), // the largest field number (valid)
      Buffer.concat([tag(ids[0] as number, 0), Buffer.alloc(10, 0xff)]), // a varint value of 10+ bytes
      Buffer.concat([tag(ids[0] as number, 4)]), // an end-group with no start
    )
    .map(mk('bad-tag'));
  const empty = fc.constant(mk('empty')(Buffer.alloc(0)));
  return fc.oneof(random, truncated, wrongWire, hugeLength, deepMessages, deepGroups, badTags, empty);
}
