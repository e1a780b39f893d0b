/**
 * A strict pass over protobuf's wire format before protobufjs decodes a request.
 *
 * protobufjs is lenient where it matters: in Node its string reader clamps a length that runs
 * past the buffer (`ModelInferRequest{model_name: 'relu_noconf'}` cut by 3 bytes decodes as
 * model 'relu_noc'), and a sub-message whose last field runs past the sub-message's own end is
 * not noticed (the rest of the parent is then read from the wrong place). This pass refuses,
 * with a reason naming the field: a length-delimited field (string, bytes, sub-message, packed
 * array, map entry) longer than what is left of its enclosing message; a varint that runs past
 * the end or over 10 bytes; a fixed32/fixed64 cut short; a packed array that does not end on an
 * element; a known field in a wire type its type cannot have (protobufjs would read it as its
 * declared type anyway); wire types 6 and 7, field number 0, unmatched groups. Sub-messages are checked
 * recursively when the schema says a field is one (unknown fields only for their extent).
 * Strings are not checked for valid UTF-8 (protobufjs replaces bad bytes with U+FFFD).
 *
 * It reads tags and lengths only: on a 64 KiB ModelInferRequest (raw tensor bytes) it took
 * 0.9 µs beside 2.6 µs for the deserializer itself; sent as typed `fp32_contents`, 0.7 µs beside
 * 930 µs (`node dist/bench/wire-check.js`, medians of 5 runs).
 */
import protobuf from 'protobufjs';

/** A request's bytes are not a valid message; the message says where. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** Nesting deeper than this is refused (protoc's default recursion limit). */
export const MAX_DEPTH = 100;

/** How one field is checked: the wire types it may come in, and what its length-delimited content is. */
interface FieldPlan {
  name: string;
  /** Allowed wire types (a repeated scalar may come packed, 2, or one by one). */
  wire: readonly number[];
  content: { kind: 'message'; type: protobuf.Type } | { kind: 'entry'; fields: Plans } | { kind: 'packed'; width: 0 | 4 | 8 } | { kind: 'opaque' };
}
type Plans = Map<number, FieldPlan>;

const FIXED32 = new Set(['fixed32', 'sfixed32', 'float']);
const FIXED64 = new Set(['fixed64', 'sfixed64', 'double']);

const plans = new WeakMap<protobuf.Type, Plans>();

/** The fields of `type`, planned once (lazily for sub-messages, so recursive types work). */
function plansOf(type: protobuf.Type): Plans {
  let p = plans.get(type);
  if (p) return p;
  p = new Map();
  plans.set(type, p);
  for (const f of type.fieldsArray) {
    f.resolve();
    p.set(f.id, planField(f));
  }
  return p;
}

function planField(f: protobuf.Field): FieldPlan {
  if (f instanceof protobuf.MapField) {
    // An entry is a message { key = 1; value = 2; }.
    const entry: Plans = new Map([
      [1, scalarPlan('key', f.keyType, false)],
      [2, f.resolvedType instanceof protobuf.Type ? messagePlan('value', f.resolvedType) : f.resolvedType instanceof protobuf.Enum ? scalarPlan('value', 'int32', false) : scalarPlan('value', f.type, false)],
    ]);
    return { name: f.name, wire: [2], content: { kind: 'entry', fields: entry } };
  }
  if (f.resolvedType instanceof protobuf.Type) return messagePlan(f.name, f.resolvedType);
  return scalarPlan(f.name, f.resolvedType instanceof protobuf.Enum ? 'int32' : f.type, f.repeated);
}

function messagePlan(name: string, type: protobuf.Type): FieldPlan {
  // Its fields are planned when first met (a type may contain itself).
  return { name, wire: [2], content: { kind: 'message', type } };
}

function scalarPlan(name: string, type: string, repeated: boolean): FieldPlan {
  if (type === 'string' || type === 'bytes') return { name, wire: [2], content: { kind: 'opaque' } };
  const [wire, width]: [number, 0 | 4 | 8] = FIXED32.has(type) ? [5, 4] : FIXED64.has(type) ? [1, 8] : [0, 0];
  return { name, wire: repeated ? [wire, 2] : [wire], content: repeated ? { kind: 'packed', width } : { kind: 'opaque' } };
}

/** Reads a varint at `pos` that must end before `end`: [value (exact up to 2^53), next pos]. */
function varint(buf: Uint8Array, pos: number, end: number, what: () => string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new WireFormatError(`${what()}: varint runs past the end`);
    const b = buf[pos++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
  throw new WireFormatError(`${what()}: varint longer than 10 bytes`);
}

/**
 * Checks `buf[start, end)` as one message whose fields are `fields` (undefined: unknown, checked
 * for extent only). Inside a group (`group` = its field number) it stops at the group's end tag.
 * Returns the position after the message (after the end tag for a group).
 */
function checkMessage(buf: Uint8Array, start: number, end: number, fields: Plans | undefined, where: string, depth: number, group?: number): number {
  if (depth > MAX_DEPTH) throw new WireFormatError(`${where}: nested more than ${MAX_DEPTH} deep`);
  let pos = start;
  while (pos < end) {
    const at = pos;
    const [tag, afterTag] = varint(buf, pos, end, () => `${where} at byte ${at}`);
    const id = Math.floor(tag / 8);
    const wire = tag % 8;
    if (id === 0) throw new WireFormatError(`${where} at byte ${at}: field number 0`);
    const field = fields?.get(id);
    const name = (): string => `${where}: field ${field ? `'${field.name}' ` : ''}(${id})`;
    if (field && !field.wire.includes(wire)) throw new WireFormatError(`${name()}: wire type ${wire}, expected ${field.wire.join(' or ')}`);
    pos = afterTag;
    switch (wire) {
      case 0:
        pos = varint(buf, pos, end, name)[1];
        break;
      case 1:
      case 5: {
        const width = wire === 1 ? 8 : 4;
        if (width > end - pos) throw new WireFormatError(`${name()}: ${width}-byte value runs past the end (${end - pos} bytes left)`);
        pos += width;
        break;
      }
      case 2: {
        const [len, from] = varint(buf, pos, end, name);
        if (len > end - from) throw new WireFormatError(`${name()}: length ${len} runs past the end of ${where} (${end - from} bytes left)`);
        pos = from + len;
        const content = field?.content;
        if (content?.kind === 'message') checkMessage(buf, from, pos, plansOf(content.type), `${where}.${field?.name ?? id}`, depth + 1);
        else if (content?.kind === 'entry') checkMessage(buf, from, pos, content.fields, `${where}.${field?.name ?? id}`, depth + 1);
        else if (content?.kind === 'packed') checkPacked(buf, from, pos, content.width, name);
        break;
      }
      case 3:
        pos = checkMessage(buf, pos, end, undefined, `${where}.${id}`, depth + 1, id);
        break;
      case 4:
        if (group === id) return pos;
        throw new WireFormatError(`${name()}: end of a group that was not started`);
      default:
        throw new WireFormatError(`${name()}: invalid wire type ${wire}`);
    }
  }
  if (group !== undefined) throw new WireFormatError(`${where}: group not ended`);
  return pos;
}

/** A packed repeated scalar: whole elements only. */
function checkPacked(buf: Uint8Array, start: number, end: number, width: 0 | 4 | 8, name: () => string): void {
  if (width > 0) {
    if ((end - start) % width !== 0) throw new WireFormatError(`${name()}: packed ${width}-byte values, but ${end - start} bytes`);
    return;
  }
  // Varints: the last must end exactly at the end (a cut one ends on a byte with its high bit set).
  if (end > start && (buf[end - 1] as number) >= 0x80) throw new WireFormatError(`${name()}: packed varints cut short`);
}

/**
 * Checks that `bytes` is a well-formed `type` message on the wire (see the module comment).
 * @throws WireFormatError naming the field and the problem.
 */
export function checkWireFormat(bytes: Uint8Array, type: protobuf.Type): void {
  checkMessage(bytes, 0, bytes.length, plansOf(type), type.fullName.replace(/^\./, ''), 0);
}
