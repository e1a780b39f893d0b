/**
 * Strict decoding of requests (shared/grpc/wire-check.ts): protobufjs in Node reads a string
 * whose length runs past the buffer as a shorter string, so a request cut short could be served
 * as another one. Every request type of every service: random valid messages (seeded) pass, and
 * each cut inside a field is refused; over gRPC every service answers INVALID_ARGUMENT naming
 * the field for a request cut inside a string.
 */
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import protobuf from 'protobufjs';
import { GrpcServer, loadProtos } from '../../shared/grpc/index.js';
import type { BidiStreamHandler, ServerStreamHandler, StreamMessage, UnaryHandler } from '../../shared/grpc/index.js';
import { reflectionRootOf } from '../../shared/grpc/protos.js';
import { WireFormatError, checkWireFormat } from '../../shared/grpc/wire-check.js';
import { PROTO_FILES } from '../../shared/protos/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { seededRandom } from '../helpers/features.js';

const pkg = loadProtos([PROTO_FILES.inference, PROTO_FILES.preprocess, PROTO_FILES.features, PROTO_FILES.monitor]);
const services = Object.entries(pkg)
  .filter(([name, def]) => !('format' in def) && name !== 'grpc.health.v1.Health')
  .map(([name, def]) => ({ name, definition: def as grpc.ServiceDefinition }));
const root = reflectionRootOf(services[0]?.definition ?? {});

/** Every method's request type, by `Service/Method`. */
function requestTypes(): [string, protobuf.Type][] {
  const out: [string, protobuf.Type][] = [];
  for (const s of services) {
    const svc = root?.lookupService(s.name);
    for (const m of Object.values(svc?.methods ?? {})) {
      m.resolve();
      if (m.resolvedRequestType) out.push([`${s.name}/${m.name}`, m.resolvedRequestType]);
    }
  }
  return out;
}

/** A random valid message of `type`: every field set with some probability, nesting bounded. */
function randomMessage(type: protobuf.Type, rand: () => number, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const scalar = (f: protobuf.Field, t: string): unknown => {
    if (f.resolvedType instanceof protobuf.Enum) return pick(Object.values(f.resolvedType.values));
    if (f.resolvedType instanceof protobuf.Type) return depth < 3 ? randomMessage(f.resolvedType, rand, depth + 1) : {};
    switch (t) {
      case 'string':
        return 'é'.repeat(Math.floor(rand() * 3)) + 'x'.repeat(Math.floor(rand() * 300));
      case 'bytes':
        return Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      case 'bool':
        return rand() < 0.5;
      case 'float':
      case 'double':
        return rand() * 1000 - 500;
      default:
        return Math.floor(rand() * 2 ** 31) * (t.startsWith('u') || t.includes('fixed') ? 1 : rand() < 0.5 ? -1 : 1);
    }
  };
  const oneofTaken = new Set<protobuf.OneOf>();
  for (const f of type.fieldsArray) {
    f.resolve();
    if (rand() < 0.3) continue;
    if (f.partOf) {
      if (oneofTaken.has(f.partOf)) continue;
      oneofTaken.add(f.partOf);
    }
    if (f instanceof protobuf.MapField) {
      const m: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 3); i > 0; i--) m[f.keyType === 'string' ? `k${Math.floor(rand() * 1e6)}` : String(Math.floor(rand() * 1000))] = scalar(f, f.type);
      out[f.name] = m;
    } else if (f.repeated) out[f.name] = Array.from({ length: Math.floor(rand() * 4) }, () => scalar(f, f.type));
    else out[f.name] = scalar(f, f.type);
  }
  return out;
}

/** Offsets where a top-level field starts (and the end): cutting there leaves a valid, shorter message. */
function fieldBoundaries(bytes: Uint8Array): Set<number> {
  const r = protobuf.Reader.create(bytes);
  const at = new Set([0]);
  while (r.pos < r.len) {
    r.skipType(r.uint32() & 7);
    at.add(r.pos);
  }
  return at;
}

test('wire check - random valid requests of every service pass; every cut inside a field is refused', (t) => {
  const rand = seededRandom(11);
  const types = requestTypes();
  t.true(types.length >= 25, `request types of every service (${types.length})`);
  let cuts = 0;
  for (const [method, type] of types) {
    for (let n = 0; n < 5; n++) {
      const bytes = type.encode(type.fromObject(randomMessage(type, rand))).finish();
      t.notThrows(() => checkWireFormat(bytes, type), `${method}: a valid message`);
      const whole = fieldBoundaries(bytes);
      for (let cut = 1; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 60))) {
        const part = bytes.subarray(0, cut);
        if (whole.has(cut)) t.notThrows(() => checkWireFormat(part, type), `${method}: cut at a field boundary (${cut})`);
        else {
          cuts += 1;
          t.throws(() => checkWireFormat(part, type), { instanceOf: WireFormatError }, `${method}: cut at ${cut} of ${bytes.length}`);
        }
      }
    }
  }
  t.log(`${types.length} request types, ${cuts} cuts inside a field`);
  t.true(cuts > 1000, `${cuts} cuts inside a field`);
});

test('wire check - a field in the wrong wire type, a packed array cut mid-element, bad wire types and deep nesting are refused', (t) => {
  const type = root?.lookupType('inference.ModelInferRequest');
  if (!type) throw new Error('no ModelInferRequest');
  const refuse = (bytes: number[], message: RegExp): void => {
    t.throws(() => checkWireFormat(Uint8Array.from(bytes), type), { instanceOf: WireFormatError, message });
  };
  refuse([0x08, 0x05], /field 'model_name' \(1\): wire type 0, expected 2/);
  // inputs[0].contents.fp32_contents (packed floats) of 6 bytes.
  refuse([0x2a, 0x0a, 0x2a, 0x08, 0x32, 0x06, 0, 0, 0x80, 0x3f, 0, 0], /fp32_contents' \(6\): packed 4-byte values, but 6 bytes/);
  // inputs[0].shape (packed int64) ending in a cut varint.
  refuse([0x2a, 0x04, 0x1a, 0x02, 0x01, 0x80], /shape' \(3\): packed varints cut short/);
  refuse([0x7f, 0x01], /field \(15\): invalid wire type 7/);
  refuse([0x00, 0x01], /field number 0/);
  refuse([0xbc, 0x01], /end of a group that was not started/);
  refuse([0xbb, 0x01, 0x08, 0x01], /group not ended/);
  // parameters (a map) whose value message (InferParameter) holds a string cut short.
  refuse([0x22, 0x08, 0x0a, 0x01, 0x6b, 0x12, 0x03, 0x1a, 0x05, 0x61], /parameters\.value: field 'string_param' \(3\): length 5 runs past the end/);
  // An unknown field is checked for its extent only; a group of unknown fields is skipped whole.
  t.notThrows(() => checkWireFormat(Uint8Array.from([0xfa, 0x01, 0x02, 0x08, 0x01, 0xbb, 0x01, 0x08, 0x01, 0xbc, 0x01]), type));
  // 150 nested unknown groups.
  refuse([...Array.from({ length: 150 }, () => [0xbb, 0x01]).flat(), ...Array.from({ length: 150 }, () => [0xbc, 0x01]).flat()], /nested more than 100 deep/);
});

test('wire check - every service answers a request cut inside a string with INVALID_ARGUMENT naming the field', async (t) => {
  const bindings = services.map((s) => {
    const handlers: Record<string, UnaryHandler | BidiStreamHandler> = {};
    const streamHandlers: Record<string, ServerStreamHandler> = {};
    for (const [m, def] of Object.entries(s.definition)) {
      // A bidirectional handler gets a message that does not decode in-band; this one ends the call with it.
      if (def.requestStream)
        handlers[m] = (async (requests: AsyncIterable<StreamMessage>) => {
          for await (const r of requests) if (!r.ok) throw r.error;
        }) as BidiStreamHandler;
      else if (def.responseStream) streamHandlers[m] = async () => undefined;
      else handlers[m] = async () => ({});
    }
    return { ...s, handlers, streamHandlers };
  });
  const server = await GrpcServer.create({
    port: 0,
    services: bindings,
    packageDefinition: pkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createRegistry({ service: 'test', processMetrics: false }),
  });
  const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  const call = (path: string, streaming: boolean, bytes: Buffer): Promise<grpc.StatusObject> =>
    new Promise((resolve) => {
      const id = (b: Buffer): Buffer => b;
      if (streaming) {
        const s = client.makeServerStreamRequest(path, id, id, bytes, new grpc.Metadata(), { deadline: Date.now() + 10_000 });
        s.on('data', () => undefined);
        s.on('error', () => undefined);
        s.on('status', resolve);
      } else {
        const c = client.makeUnaryRequest(path, id, id, bytes, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, () => undefined);
        c.on('status', resolve);
      }
    });
  try {
    let checked = 0;
    for (const [method, type] of requestTypes()) {
      const field = type.fieldsArray.find((f) => f.type === 'string' && !f.repeated && !(f instanceof protobuf.MapField));
      if (!field) continue;
      const [svc, name] = method.split('/') as [string, string];
      const streaming = Boolean(services.find((s) => s.name === svc)?.definition[name]?.responseStream);
      const bytes = Buffer.from(type.encode(type.fromObject({ [field.name]: 'abcdefghijkl' })).finish());
      const whole = await call(`/${method}`, streaming, bytes);
      t.not(whole.code, grpc.status.INVALID_ARGUMENT, `${method}: the whole request is not malformed (${whole.details})`);
      const cut = await call(`/${method}`, streaming, bytes.subarray(0, bytes.length - 3));
      t.is(cut.code, grpc.status.INVALID_ARGUMENT, `${method}: ${cut.details}`);
      t.true(cut.details.includes(`field '${field.name}' (${field.id}): length 12 runs past the end`), `${method}: ${cut.details}`);
      checked += 1;
    }
    t.log(`${checked} methods with a string field`);
    t.true(checked >= 20, `${checked} methods with a string field`);
  } finally {
    client.close();
    await server.drain();
  }
});
