import protobuf from 'protobufjs';
import { PROTO_FILES, protoPath } from '../protos/index.js';

/** The trailer that carries a serialized `google.rpc.Status` (gRPC's rich error model). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** Domain of the `google.rpc.ErrorInfo` that mlmesh sends. */
export const ERROR_DOMAIN = 'mlmesh';

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** One bad field of a request (`google.rpc.BadRequest.FieldViolation`). */
export interface FieldViolationDetail {
  /** Path of the field in the request, e.g. `inputs[0].shape`. */
  field: string;
  /** What is wrong with it. */
  description: string;
}

/** `google.rpc.ErrorInfo`: the cause as a constant, its domain and structured facts. */
export interface ErrorInfoDetail {
  /** UPPER_SNAKE_CASE constant, e.g. `MODEL_LOAD`. */
  reason: string;
  /** e.g. `mlmesh`. */
  domain: string;
  metadata: Record<string, string>;
}

/** `google.rpc.ResourceInfo`: the resource the error is about. */
export interface ResourceInfoDetail {
  resourceType: string;
  resourceName: string;
  owner: string;
  description: string;
}

/** `google.rpc.RequestInfo`: the request id the server logged the call under. */
export interface RequestInfoDetail {
  requestId: string;
  servingData: string;
}

/** A detail of a type this codec does not know, left packed. */
export interface PackedDetail {
  typeUrl: string;
  value: Uint8Array;
}

/** A `google.rpc.Status` with the error details mlmesh knows unpacked. */
export interface StatusDetails {
  /** gRPC status code. */
  code: number;
  /** Developer-facing message (the same as grpc-message). */
  message: string;
  /** From `google.rpc.BadRequest`; empty when there is none. */
  fieldViolations: FieldViolationDetail[];
  errorInfo?: ErrorInfoDetail;
  resourceInfo?: ResourceInfoDetail;
  requestInfo?: RequestInfoDetail;
  /** Details of other types (RetryInfo, Help, …), still packed. */
  other: PackedDetail[];
}

let root: protobuf.Root | undefined;

function type(name: string): protobuf.Type {
  // google/protobuf/any.proto comes from protobufjs's bundled well-known types.
  root ??= new protobuf.Root().loadSync([protoPath(PROTO_FILES.rpcStatus), protoPath(PROTO_FILES.rpcErrorDetails)], { keepCase: true });
  return root.lookupType(name);
}

interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

function pack(name: string, value: object): AnyMessage {
  const t = type(name);
  return { type_url: TYPE_URL_PREFIX + name, value: t.encode(t.fromObject(value)).finish() };
}

/**
 * Serializes a status as the bytes of a `grpc-status-details-bin` trailer: a `google.rpc.Status`
 * whose details are `google.rpc.BadRequest` (when there are field violations), `ErrorInfo`,
 * `ResourceInfo` and `RequestInfo` (each when given), packed in `google.protobuf.Any` with
 * `type.googleapis.com/` type URLs, as googleapis clients expect.
 */
export function encodeStatusDetails(status: Omit<StatusDetails, 'fieldViolations' | 'other'> & { fieldViolations?: readonly FieldViolationDetail[]; other?: readonly PackedDetail[] }): Buffer {
  const details: AnyMessage[] = [];
  if (status.fieldViolations && status.fieldViolations.length > 0) {
    details.push(pack('google.rpc.BadRequest', { field_violations: status.fieldViolations.map((v) => ({ field: v.field, description: v.description })) }));
  }
  if (status.errorInfo) details.push(pack('google.rpc.ErrorInfo', status.errorInfo));
  if (status.resourceInfo) {
    const r = status.resourceInfo;
    details.push(pack('google.rpc.ResourceInfo', { resource_type: r.resourceType, resource_name: r.resourceName, owner: r.owner, description: r.description }));
  }
  if (status.requestInfo) details.push(pack('google.rpc.RequestInfo', { request_id: status.requestInfo.requestId, serving_data: status.requestInfo.servingData }));
  for (const o of status.other ?? []) details.push({ type_url: o.typeUrl, value: o.value });
  const t = type('google.rpc.Status');
  const bytes = t.encode(t.fromObject({ code: status.code, message: status.message, details })).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const TO_OBJECT: protobuf.IConversionOptions = { defaults: true, arrays: true, objects: true, longs: String };

/**
 * Parses the bytes of a `grpc-status-details-bin` trailer (a `google.rpc.Status`), unpacking the
 * details mlmesh knows and keeping the others packed.
 * @throws Error when the bytes are not a `google.rpc.Status` (protobufjs's decode error).
 */
export function decodeStatusDetails(bytes: Uint8Array): StatusDetails {
  const t = type('google.rpc.Status');
  const raw = t.toObject(t.decode(bytes), TO_OBJECT) as { code: number; message: string; details: AnyMessage[] };
  const out: StatusDetails = { code: raw.code, message: raw.message, fieldViolations: [], other: [] };
  for (const any of raw.details) {
    const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    const value = new Uint8Array(any.value);
    switch (name) {
      case 'google.rpc.BadRequest': {
        const m = unpack<{ field_violations: { field: string; description: string }[] }>(name, value);
        out.fieldViolations.push(...m.field_violations.map((v) => ({ field: v.field, description: v.description })));
        break;
      }
      case 'google.rpc.ErrorInfo':
        out.errorInfo = unpack<ErrorInfoDetail>(name, value);
        break;
      case 'google.rpc.ResourceInfo': {
        const m = unpack<{ resource_type: string; resource_name: string; owner: string; description: string }>(name, value);
        out.resourceInfo = { resourceType: m.resource_type, resourceName: m.resource_name, owner: m.owner, description: m.description };
        break;
      }
      case 'google.rpc.RequestInfo': {
        const m = unpack<{ request_id: string; serving_data: string }>(name, value);
        out.requestInfo = { requestId: m.request_id, servingData: m.serving_data };
        break;
      }
      default:
        out.other.push({ typeUrl: any.type_url, value });
    }
  }
  return out;
}

function unpack<T>(name: string, value: Uint8Array): T {
  const t = type(name);
  return t.toObject(t.decode(value), TO_OBJECT) as T;
}
