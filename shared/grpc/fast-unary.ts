/**
 * Unary methods served on node:http2 directly, under grpc-js's own server (issue 16).
 *
 * grpc-js runs every call through its interceptor stack (ServerInterceptingCall, a stream
 * decoder, a metrics recorder, Metadata copies, status objects): about 15 µs of the event loop per
 * call, 40% of what a bare grpc-js echo costs (a unary echo on node:http2 alone answers 1.7× as many
 * calls per second: docs/benchmarks.md). For the methods a service names in
 * `ServiceBinding.fastUnary` (the inference service's ModelInfer), the HTTP/2 server's `stream`
 * event is taken here first, and everything else (other paths, streaming methods, health,
 * reflection, compressed requests, an unreadable grpc-timeout, a wrong content-type) goes on to
 * grpc-js unchanged.
 *
 * The call is then a {@link FastUnaryCall}: the few members of a grpc-js ServerUnaryCall that
 * GrpcServer's unary wrapper reads (metadata, deadline, request, `cancelled`, the auth context),
 * so the handler, authorization, audit, metrics and logs are the same code as on the grpc-js path.
 * What it does on the wire follows grpc-js (and the gRPC over HTTP/2 spec):
 * - the deadline from `grpc-timeout`: DEADLINE_EXCEEDED is sent when it passes, whatever the
 *   handler is doing, and the call's signal aborts;
 * - one length-prefixed message: a larger one than maxReceiveMessageBytes gets
 *   RESOURCE_EXHAUSTED as soon as its prefix arrives; none, two, or a compressed flag without an
 *   encoding get INVALID_ARGUMENT (the caller's fault; grpc-js says INTERNAL);
 * - the answer as headers, one DATA frame and trailers (`grpc-status`, `grpc-message`, the
 *   trailer metadata); an error before any answer as trailers-only;
 * - a client reset (RST_STREAM) or a closed connection before the answer: `cancelled`, and the
 *   call's signal aborts (CANCELLED, or DEADLINE_EXCEEDED at the deadline).
 * `afterAnswer` work runs once the stream has closed, so after the trailers were written.
 */
import { EventEmitter } from 'node:events';
import { constants as h2 } from 'node:http2';
import type { Http2SecureServer, Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

/** One method served here: grpc-js's own handler shape (call, callback) and its (tolerant) codecs. */
export interface FastUnaryMethod {
  /** GrpcServer's unary wrapper of the method's handler. */
  handler: grpc.handleUnaryCall<unknown, unknown>;
  /** The request decoder; yields a MalformedRequest for bytes that do not decode (shared/grpc/malformed.ts). */
  deserialize: (bytes: Buffer) => unknown;
  serialize: (message: unknown) => Buffer;
}

/** Limits, as grpc-js has them. */
export interface FastUnaryLimits {
  maxReceiveMessageBytes: number;
  maxSendMessageBytes: number;
}

const DEADLINE_PATTERN = /^(\d{1,8})\s*([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
/** Request headers grpc-js keeps out of the metadata a handler sees. */
const NOT_METADATA = ['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type'] as const;
const RESPONSE_HEADERS = {
  [h2.HTTP2_HEADER_STATUS]: h2.HTTP_STATUS_OK,
  [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
} as const;
const RESPOND_OPTS = { waitForTrailers: true } as const;
/** A text metadata value grpc-js accepts (printable ASCII); a header with another is not metadata. */
const LEGAL_TEXT_VALUE = /^[ -~]*$/;

/** The deadline a `grpc-timeout` value names, as epoch ms; undefined when it does not parse. */
export function parseGrpcTimeout(value: string, now = Date.now()): number | undefined {
  const m = DEADLINE_PATTERN.exec(value.trim());
  if (!m) return undefined;
  return now + ((Number(m[1]) * (UNIT_MS[m[2] as string] as number)) | 0);
}

/**
 * A unary call read straight off an HTTP/2 stream: what GrpcServer's wrapper needs of a grpc-js
 * ServerUnaryCall, and `respond`, its callback. Emits `cancelled` once, when the stream closes
 * (after the answer, or on a reset before it), as grpc-js does for every call.
 */
export class FastUnaryCall extends EventEmitter {
  request: unknown = undefined;
  /** True once the call has ended without its answer (client reset, deadline, connection lost). */
  cancelled = false;
  private ended = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private md: grpc.Metadata | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly deadlineMs: number,
    private readonly limits: FastUnaryLimits,
    private readonly serialize: (message: unknown) => Buffer,
  ) {
    super();
    stream.once('close', () => {
      clearTimeout(this.deadlineTimer);
      if (!this.ended) {
        this.ended = true;
        this.cancelled = true;
      }
      this.emit('cancelled', 'close');
    });
    if (Number.isFinite(deadlineMs)) {
      this.deadlineTimer = setTimeout(() => {
        this.cancelled = true;
        this.sendStatus(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded');
      }, Math.max(0, deadlineMs - Date.now()));
    }
  }

  /**
   * The caller's metadata, as grpc-js makes it from the request headers (made on first use: most
   * calls only read one or two keys, through {@link firstValue}).
   */
  get metadata(): grpc.Metadata {
    if (!this.md) {
      const md = grpc.Metadata.fromHttp2Headers(this.headers);
      for (const k of NOT_METADATA) md.remove(k);
      this.md = md;
    }
    return this.md;
  }

  /**
   * `metadata.get(key)[0]` for a text key (lower case, not `-bin`, not one of the transport's
   * headers), read from the headers the Metadata is made from, without making it; undefined when
   * absent or when grpc-js would have refused the value (not printable ASCII).
   */
  firstValue(key: string): string | undefined {
    const v = this.headers[key];
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === 'string' && LEGAL_TEXT_VALUE.test(first) ? first : undefined;
  }

  getDeadline(): number {
    return this.deadlineMs;
  }

  /** As grpc-js's: the verified client certificate under TLS, else nothing. */
  getAuthContext(): ReturnType<grpc.ServerUnaryCall<unknown, unknown>['getAuthContext']> {
    const socket = this.stream.session?.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return {};
    const cert = socket.getPeerCertificate();
    return { transportSecurityType: 'ssl', sslPeerCertificate: cert.raw ? cert : undefined };
  }

  /** The handler's callback: the answer, or an error status. Ignored once the call has ended. */
  respond(err: grpc.ServerErrorResponse | Partial<grpc.StatusObject> | null, value?: unknown, trailer?: grpc.Metadata): void {
    if (this.ended) return;
    if (err) {
      this.sendStatus(err.code ?? grpc.status.UNKNOWN, err.details ?? (err as Error).message ?? 'Unknown error', err.metadata ?? undefined);
      return;
    }
    let body: Buffer;
    try {
      body = this.serialize(value);
    } catch (e: unknown) {
      this.sendStatus(grpc.status.INTERNAL, `Failed to serialize the response: ${(e as Error).message}`);
      return;
    }
    if (body.byteLength > this.limits.maxSendMessageBytes) {
      this.sendStatus(grpc.status.RESOURCE_EXHAUSTED, `Sent message larger than max (${body.byteLength} vs. ${this.limits.maxSendMessageBytes})`);
      return;
    }
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    this.ended = true;
    clearTimeout(this.deadlineTimer);
    const frame = Buffer.allocUnsafe(body.byteLength + 5);
    frame.writeUInt8(0, 0);
    frame.writeUInt32BE(body.byteLength, 1);
    body.copy(frame, 5);
    const trailers = { 'grpc-status': '0', 'grpc-message': 'OK', ...(trailer ? trailer.toHttp2Headers() : {}) };
    stream.once('wantTrailers', () => stream.sendTrailers(trailers));
    stream.respond(RESPONSE_HEADERS, RESPOND_OPTS);
    stream.end(frame);
  }

  /** Ends the call with a status: trailers-only (no answer was sent before it). */
  sendStatus(code: number, details: string, metadata?: grpc.Metadata): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.deadlineTimer);
    const stream = this.stream;
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    stream.respond(
      { [h2.HTTP2_HEADER_STATUS]: h2.HTTP_STATUS_OK, [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto', 'grpc-status': String(code), 'grpc-message': encodeURI(details), ...(metadata ? metadata.toHttp2Headers() : {}) },
      { endStream: true },
    );
    // Whatever the client still sends is read and dropped, so its flow-control window stays open.
    stream.resume();
  }
}

/**
 * Reads the single message of a unary call from its stream, then runs `method` on it; a
 * protocol fault ends the call with a status instead.
 */
function serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, deadlineMs: number, method: FastUnaryMethod, limits: FastUnaryLimits): void {
  // grpc-js does the same: an error event comes with a close, which cancels the call.
  stream.once('error', () => undefined);
  const call = new FastUnaryCall(stream, headers, deadlineMs, limits, method.serialize);
  const chunks: Buffer[] = [];
  let received = 0;
  let refused = false;
  /** The message's length, once its 5-byte prefix has arrived. */
  let length: number | undefined;
  const refuse = (code: number, details: string): void => {
    refused = true;
    chunks.length = 0;
    call.sendStatus(code, details);
  };
  const onData = (chunk: Buffer): void => {
    if (refused) return;
    chunks.push(chunk);
    received += chunk.byteLength;
    if (length === undefined && received >= 5) {
      // The prefix is in: refuse an oversized message before reading it.
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, received);
      length = head.readUInt32BE(1);
      if (length > limits.maxReceiveMessageBytes) {
        refuse(grpc.status.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs. ${limits.maxReceiveMessageBytes})`);
        return;
      }
    }
    // Bytes past the one message: a second message. Refused now, so memory stays bounded by the limit.
    if (length !== undefined && received > 5 + length) refuse(grpc.status.INVALID_ARGUMENT, 'the request carried more than one message (a unary call takes one)');
  };
  stream.on('data', onData);
  stream.once('end', () => {
    stream.off('data', onData);
    if (refused || call.cancelled) return;
    const buf = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
    const fault = frameFault(buf);
    if (fault) {
      call.sendStatus(grpc.status.INVALID_ARGUMENT, fault);
      return;
    }
    call.request = method.deserialize(buf.subarray(5));
    method.handler(call as unknown as grpc.ServerUnaryCall<unknown, unknown>, (err, value, trailer) => call.respond(err, value, trailer));
  });
}

/** Why `buf` (at most one message long) is not one uncompressed gRPC message, or undefined when it is. */
function frameFault(buf: Buffer): string | undefined {
  if (buf.byteLength === 0) return 'the request carried no message (a unary call takes one)';
  if (buf.byteLength < 5) return `the request ended inside a message prefix (${buf.byteLength} of 5 bytes)`;
  const flag = buf.readUInt8(0);
  const len = buf.readUInt32BE(1);
  if (flag === 1) return 'the message has the compressed flag set but the call names no grpc-encoding';
  if (flag !== 0) return `the message prefix has an unknown flag ${flag}`;
  // Bytes past the message were refused as they came (serve's onData).
  if (buf.byteLength < 5 + len) return `the request ended inside its message (${buf.byteLength - 5} of ${len} bytes)`;
  return undefined;
}

/**
 * Takes the `stream` event of each HTTP/2 server of `server` first, for the paths in `methods`
 * (e.g. `/inference.GRPCInferenceService/ModelInfer`); every other stream goes to grpc-js's own
 * listener, as before. Call after bindAsync (grpc-js makes its HTTP/2 servers there).
 * @throws Error when grpc-js no longer has the server's stream listener where this expects it.
 */
export function installFastUnary(h2servers: ReadonlyArray<Http2Server | Http2SecureServer>, methods: ReadonlyMap<string, FastUnaryMethod>, limits: FastUnaryLimits, onStreamOpened?: (stream: ServerHttp2Stream) => void): void {
  for (const h2server of h2servers) {
    const listeners = h2server.listeners('stream') as ((stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void)[];
    if (listeners.length !== 1) throw new Error(`grpc-js's HTTP/2 server has ${listeners.length} stream listeners, 1 expected: shared/grpc/fast-unary.ts needs updating for this grpc-js version`);
    const grpcJs = listeners[0] as (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
    h2server.removeListener('stream', grpcJs);
    h2server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      const method = methods.get(headers[h2.HTTP2_HEADER_PATH] as string);
      const encoding = headers['grpc-encoding'];
      const contentType = headers[h2.HTTP2_HEADER_CONTENT_TYPE];
      const timeout = headers['grpc-timeout'];
      const deadlineMs = typeof timeout === 'string' ? parseGrpcTimeout(timeout) : Infinity;
      if (
        method === undefined ||
        (encoding !== undefined && encoding !== 'identity') ||
        typeof contentType !== 'string' ||
        !contentType.startsWith('application/grpc') ||
        deadlineMs === undefined ||
        headers[h2.HTTP2_HEADER_METHOD] !== 'POST'
      ) {
        grpcJs(stream, headers);
        return;
      }
      onStreamOpened?.(stream);
      serve(stream, headers, deadlineMs, method, limits);
    });
  }
}
