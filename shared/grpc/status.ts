import * as grpc from '@grpc/grpc-js';
import { Code, InvalidArgumentError, MlmeshError, clip, errorMessage } from '../errors/index.js';
import { ERROR_DOMAIN, STATUS_DETAILS_KEY, encodeStatusDetails } from '../status-details/index.js';
import type { ErrorInfoDetail, FieldViolationDetail } from '../status-details/index.js';

/**
 * Longest status message sent, in UTF-8 bytes. grpc-js percent-encodes it into the
 * `grpc-message` trailer (at most 3 characters per byte), so it stays under 4.5 KiB there, inside
 * the 8 KiB metadata limit of standard clients: a longer one makes them fail the call with
 * RESOURCE_EXHAUSTED instead of the real status. Messages clip client input at the source
 * (`clip`); this cap is the last guard for every service.
 */
export const MAX_STATUS_DETAILS_BYTES = 1500;

/** `details` cut to {@link MAX_STATUS_DETAILS_BYTES}, with a note of its full length. */
export function capDetails(details: string): string {
  if (Buffer.byteLength(details, 'utf8') <= MAX_STATUS_DETAILS_BYTES) return details;
  let chars = MAX_STATUS_DETAILS_BYTES;
  let out = clip(details, chars);
  while (Buffer.byteLength(out, 'utf8') > MAX_STATUS_DETAILS_BYTES) {
    chars = Math.floor(chars * 0.75);
    out = clip(details, chars);
  }
  return out;
}

/** A gRPC status ready to hand to a callback or a stream's `error` event. */
export interface GrpcStatus {
  code: grpc.status;
  details: string;
  /**
   * Trailers for the status: `grpc-status-details-bin` (a `google.rpc.Status` with BadRequest,
   * ErrorInfo, ResourceInfo and RequestInfo details) when there are details to give; merge it
   * into the call's trailers.
   */
  metadata: grpc.Metadata;
}

interface GrpcServiceErrorLike {
  code: number;
  details: string;
  metadata?: unknown;
}

function isGrpcServiceError(e: unknown): e is GrpcServiceErrorLike {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'number' &&
    typeof (e as { details?: unknown }).details === 'string'
  );
}

/** Properties every MlmeshError has, or that go elsewhere than ErrorInfo's metadata. */
const NOT_METADATA = new Set(['name', 'message', 'stack', 'cause', 'code', 'resource', 'field', 'violations']);

/** `InvalidArgumentError` → `INVALID_ARGUMENT`, `ModelLoadError` → `MODEL_LOAD`; the code's name for the base class. */
function reasonOf(e: MlmeshError): string {
  const base = e.name.replace(/Error$/, '');
  if (base === '' || base === 'Mlmesh') return statusName(e.code);
  return base
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_')
    .slice(0, 63);
}

/** ErrorInfo of a typed error: its class as the reason, its own scalar fields as metadata. */
function errorInfo(e: MlmeshError): ErrorInfoDetail {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) {
    if (NOT_METADATA.has(k) || v === undefined || v === null) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') metadata[k] = String(v);
  }
  return { reason: reasonOf(e), domain: ERROR_DOMAIN, metadata };
}

/**
 * Bounds of the details trailer. HTTP/2 peers cap a header block (grpc-js/Node at 64 KiB, where
 * a bigger trailer stalls the call until its deadline; gRPC C-core clients, Python's among them,
 * at 8–16 KiB of metadata), so violations past `violations`, texts past `textChars` and, last,
 * violations that would take the encoded Status past `bytes` are left out.
 */
export const STATUS_DETAILS_LIMITS = { violations: 100, textChars: 500, bytes: 4096 } as const;

function cut(text: string): string {
  return text.length > STATUS_DETAILS_LIMITS.textChars ? `${text.slice(0, STATUS_DETAILS_LIMITS.textChars - 1)}…` : text;
}

function detailsMetadata(e: MlmeshError, requestId: string | undefined): grpc.Metadata {
  const all = e instanceof InvalidArgumentError ? e.violations : [];
  const violations: FieldViolationDetail[] = all.slice(0, STATUS_DETAILS_LIMITS.violations).map((v) => ({ field: cut(v.field), description: cut(v.description) }));
  const info = errorInfo(e);
  for (const [k, v] of Object.entries(info.metadata)) info.metadata[k] = cut(v);
  const encode = (n: number): Buffer => {
    // The count says how many there were when the list is cut.
    if (n < all.length) info.metadata['field_violations_total'] = String(all.length);
    return encodeStatusDetails({
      code: e.code,
      message: cut(e.message),
      fieldViolations: violations.slice(0, n),
      errorInfo: info,
      ...(e.resource ? { resourceInfo: { resourceType: cut(e.resource.type), resourceName: cut(e.resource.name), owner: '', description: '' } } : {}),
      ...(requestId ? { requestInfo: { requestId, servingData: '' } } : {}),
    });
  };
  let n = violations.length;
  let bytes = encode(n);
  while (bytes.byteLength > STATUS_DETAILS_LIMITS.bytes && n > 0) {
    n = Math.floor(n / 2);
    bytes = encode(n);
  }
  const md = new grpc.Metadata();
  md.set(STATUS_DETAILS_KEY, bytes);
  return md;
}

/** The `grpc-status-details-bin` of a downstream call's error, passed through unchanged. */
function passedThrough(e: GrpcServiceErrorLike): grpc.Metadata {
  const md = new grpc.Metadata();
  if (e.metadata instanceof grpc.Metadata) {
    const bin = e.metadata.get(STATUS_DETAILS_KEY)[0];
    if (bin instanceof Buffer) md.set(STATUS_DETAILS_KEY, bin);
  }
  return md;
}

/**
 * The one mapping from any thrown value to a gRPC status, used at the edge of every service:
 * - {@link MlmeshError} (and subclasses): its own code and message, plus the
 *   `grpc-status-details-bin` trailer: BadRequest field violations of an InvalidArgumentError,
 *   ErrorInfo (reason = the error class, domain `mlmesh`, metadata = its typed fields),
 *   ResourceInfo when the error names its resource, RequestInfo when `requestId` is given;
 * - an AbortError (an aborted signal with no typed reason): CANCELLED;
 * - an error from a downstream gRPC call: its code, details and status details, passed through;
 * - anything else: INTERNAL, with the message (never a stack).
 * The message is capped at {@link MAX_STATUS_DETAILS_BYTES}.
 */
export function toGrpcStatus(e: unknown, requestId?: string): GrpcStatus {
  const st = statusOf(e, requestId);
  return { ...st, details: capDetails(st.details) };
}

function statusOf(e: unknown, requestId: string | undefined): GrpcStatus {
  if (e instanceof MlmeshError) return { code: e.code, details: e.message, metadata: detailsMetadata(e, requestId) };
  if (e instanceof Error && e.name === 'AbortError') return { code: Code.CANCELLED, details: e.message || 'cancelled', metadata: new grpc.Metadata() };
  if (isGrpcServiceError(e) && e.code >= 1 && e.code <= 16) return { code: e.code, details: e.details, metadata: passedThrough(e) };
  return { code: grpc.status.INTERNAL, details: `internal error: ${errorMessage(e)}`, metadata: new grpc.Metadata() };
}

/** The grpc-js name of a status code, e.g. `INVALID_ARGUMENT`, for logs and metric labels. */
export function statusName(code: number): string {
  return grpc.status[code] ?? String(code);
}
