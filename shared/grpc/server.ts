import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { Authorizer, missingRoles, roleOf } from '../auth/index.js';
import type { Identity, Role } from '../auth/index.js';
import { auditCall, callerCredentials } from './call-auth.js';
import { CancelledError, clip, errorMessage } from '../errors/index.js';
import { serverCredentials } from '../tls/index.js';
import type { FileCertificates, ServerTlsOptions } from '../tls/index.js';
import type { Logger } from '../logging/index.js';
import { LoggingCallContext, REQUEST_ID_HEADER, abortReason, callCancel, callDeadlineMs, chooseRequestId, firstMetadataValue } from './context.js';
import type { AnyServerCall, CallCancel, CallContext, CancelSignal } from './context.js';
import { MalformedRequest, malformed, tolerantDefinition } from './malformed.js';
import { DEFAULT_FLOW_WINDOW_BYTES, setFlowWindows } from './flow-window.js';
import { guardResets, http2ServersOf } from './reset-guard.js';
import { installFastUnary } from './fast-unary.js';
import type { FastUnaryMethod } from './fast-unary.js';
import { statusName, toGrpcStatus } from './status.js';

/** A unary handler: takes the decoded request and a {@link CallContext}, resolves the response. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UnaryHandler<Req = any, Res = any> = (request: Req, ctx: CallContext) => Promise<Res>;

/**
 * A server-streaming handler: takes the decoded request, a {@link CallContext} and `send`, which
 * writes one response message and resolves when the stream can take more (backpressure); it
 * rejects with CancelledError once the client has gone. The call ends OK when the handler's
 * promise resolves, with the error's status when it rejects. Open-ended streams (subscriptions)
 * should end when `ctx.draining` aborts so a graceful stop need not wait for them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServerStreamHandler<Req = any, Res = any> = (
  request: Req,
  ctx: CallContext,
  send: (message: Res) => Promise<void>,
) => Promise<void>;

/** One message read from a bidirectional stream: the decoded request, or why it did not decode. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StreamMessage<Req = any> = { ok: true; request: Req } | { ok: false; error: Error };

/**
 * A bidirectional-streaming handler: reads the client's messages from `requests` (it ends when
 * the client half-closes, or at once when the call is cancelled or its deadline passes; a message
 * that does not decode comes as `{ ok: false, error }` with an INVALID_ARGUMENT error, and the
 * stream goes on), and writes with `send`, as for a {@link ServerStreamHandler}. The iterator
 * reads from the transport only as fast as it is pulled, so a handler that stops pulling holds
 * the client back (HTTP/2 flow control). The call ends OK when the handler resolves, with the
 * error's status when it rejects. Authorization is checked once, when the stream opens.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BidiStreamHandler<Req = any, Res = any> = (
  requests: AsyncIterable<StreamMessage<Req>>,
  ctx: CallContext,
  send: (message: Res) => Promise<void>,
) => Promise<void>;

/** A handler of any kind. */
export type AnyHandler = UnaryHandler | ServerStreamHandler | BidiStreamHandler;

/** One gRPC service to serve. */
export interface ServiceBinding {
  /** Fully-qualified service name, e.g. `inference.GRPCInferenceService` (also its health name). */
  name: string;
  definition: grpc.ServiceDefinition;
  /**
   * A handler for every method of the definition, keyed by method name: a {@link UnaryHandler}
   * for a unary one, a {@link ServerStreamHandler} for a server-streaming one, a
   * {@link BidiStreamHandler} for a bidirectional one. Client-only streams are not supported.
   */
  handlers: Readonly<Record<string, AnyHandler>>;
  /** Server-streaming handlers kept apart from `handlers` (either place works). */
  streamHandlers?: Readonly<Record<string, ServerStreamHandler>>;
  /** A request id carried in the message itself (e.g. the v2 `id`), used when metadata has none. */
  requestIdOf?: (method: string, request: unknown) => string | undefined;
  /**
   * The role each method needs. @default the service's block of `RPC_ROLES` (shared/auth/roles.ts).
   * A method with no role makes {@link GrpcServer.create} throw.
   */
  roles?: Readonly<Record<string, Role>>;
  /**
   * Unary methods served on node:http2 directly instead of through grpc-js's call stack
   * (shared/grpc/fast-unary.ts; same handler, authorization, metrics and wire behaviour), when
   * the server's `fastUnary` option is on: the hot ones, e.g. ModelInfer.
   */
  fastUnary?: readonly string[];
}

/** Options for {@link GrpcServer.create}. */
export interface GrpcServerOptions {
  /** Address to bind. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one (read it back from `port`). */
  port: number;
  services: readonly ServiceBinding[];
  /** Package definition of the served protos, for server reflection. */
  packageDefinition: PackageDefinition;
  logger: Logger;
  /** Registry for the per-RPC metrics `grpc_server_handled_total` and `grpc_server_handling_seconds`. */
  registry: Registry;
  /** Largest request accepted; larger ones get RESOURCE_EXHAUSTED. @default 64 MiB */
  maxReceiveMessageBytes?: number;
  /** Largest response sent. @default 64 MiB */
  maxSendMessageBytes?: number;
  /**
   * On drain, how long to keep serving with health NOT_SERVING before refusing new calls, so
   * load balancers notice first. @default 0
   */
  drainDelayMs?: number;
  /** Ends each connection after about this many ms (GOAWAY), calls in flight get shutdownGraceMs. @default 0 (never) */
  maxConnectionAgeMs?: number;
  /** On drain, how long in-flight calls may take before they are cancelled. @default 10000 */
  shutdownGraceMs?: number;
  /**
   * Client stream resets (cancelled calls, passed deadlines) a connection may send at once before
   * the server closes it gracefully, ahead of nghttp2's rapid-reset limit that would fail its
   * other calls (shared/grpc/reset-guard.ts); 0 turns the guard off. @default 500
   */
  resetBurst?: number;
  /**
   * TLS: the server's certificate and key, and with `caFile` mutual TLS (clients must present a
   * certificate the CA signed). Files are re-read when they change. @default plaintext
   */
  tls?: ServerTlsOptions;
  /** Who may call what (identities, roles, audit of admin calls). @default authorization off (admin calls still audited) */
  authorizer?: Authorizer;
  /** Serve the services' {@link ServiceBinding.fastUnary} methods on node:http2 directly. @default true */
  fastUnary?: boolean;
  /**
   * HTTP/2 flow-control window advertised per stream and opened per connection, in bytes
   * (shared/grpc/flow-window.ts). @default 65,535, HTTP/2's ({@link DEFAULT_FLOW_WINDOW_BYTES})
   */
  flowWindowBytes?: number;
}

/** Lifecycle of a {@link GrpcServer}. */
export type GrpcServerState = 'serving' | 'draining' | 'closed';

const MiB = 1024 * 1024;

/** Any server call grpc-js hands a handler. */
/**
 * `send` of a streaming call: writes one message, resolves when the stream can take more
 * (backpressure), rejects with the signal's reason once the call has ended.
 */
function streamSender(call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, signal: CancelSignal): (message: unknown) => Promise<void> {
  // Every send made while the transport is full waits for the same 'drain' (one listener, not
  // one per message: a bidirectional handler may have many sends waiting at once).
  let full: Promise<void> | undefined;
  return (message) => {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (call.write(message)) return full ?? Promise.resolve();
    // Wait for the transport to drain, or for the call to end.
    full ??= new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        full = undefined;
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        full = undefined;
        call.off('drain', onDrain);
        reject(abortReason(signal));
      };
      call.once('drain', onDrain);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return full;
  };
}

/**
 * The messages of a bidirectional call as an async iterable that pulls from the transport only
 * when asked (the stream is paused while a few messages wait), ends when the client half-closes,
 * and ends at once when `signal` aborts (cancel, deadline, hard stop) or `stop()` is called (the
 * handler has settled: a read still waiting ends, and the listeners go).
 */
function streamMessages(call: grpc.ServerDuplexStream<unknown, unknown>, signal: CancelSignal): { messages: AsyncIterable<StreamMessage>; stop: () => void } {
  const HIGH_WATER = 16;
  const buffered: StreamMessage[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (m: unknown): void => {
    buffered.push(m instanceof MalformedRequest ? { ok: false, error: malformed(m) } : { ok: true, request: m });
    if (buffered.length >= HIGH_WATER) call.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  call.on('data', onData);
  call.once('end', onEnd);
  // A read error (the transport failed): the call's status reports it; the iteration just ends.
  call.once('error', onEnd);
  signal.addEventListener('abort', onEnd, { once: true });
  const stop = (): void => {
    // Messages not read by now are dropped; a read still waiting ends.
    buffered.length = 0;
    onEnd();
    call.off('data', onData);
    call.off('end', onEnd);
    call.off('error', onEnd);
    signal.removeEventListener('abort', onEnd);
  };
  const messages: AsyncIterable<StreamMessage> = {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (signal.aborted) return;
          const next = buffered.shift();
          if (next) {
            if (buffered.length < HIGH_WATER / 2 && call.isPaused()) call.resume();
            yield next;
            continue;
          }
          if (ended) return;
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        call.off('data', onData);
        call.off('end', onEnd);
        call.off('error', onEnd);
        signal.removeEventListener('abort', onEnd);
      }
    },
  };
  return { messages, stop };
}


/**
 * An error as it goes into a log line: message and stack clipped (either may hold client input
 * of any length, and a stack repeats the message).
 */
function loggableError(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { message: clip(errorMessage(e), 2000) };
  return {
    type: e.name,
    message: clip(e.message, 2000),
    ...(e.stack ? { stack: clip(e.stack, 4000) } : {}),
    ...(e.cause !== undefined ? { cause: clip(errorMessage(e.cause), 2000) } : {}),
  };
}

/**
 * A call's {@link CallContext}. A class, not an object literal with getters: made once per call,
 * that literal kept each call alive through the next scavenges of the gRPC thread, and every
 * run of a server that answers at once copied ~2 MB per scavenge with it (docs/benchmarks.md,
 * results of 2026-12-06). Its methods are on the prototype: call them on the context
 * (`ctx.afterAnswer(fn)`), not detached.
 */
class ServerCallContext extends LoggingCallContext implements CallContext {
  readonly debug: boolean;
  /** Whether the OK answer went out to a caller still waiting ({@link answering}): afterAnswer work may run. */
  private answered = false;
  private after: (() => void)[] | undefined;

  constructor(
    readonly requestId: string,
    private readonly method: string,
    readonly cancel: CallCancel,
    readonly draining: AbortSignal,
    readonly deadlineMs: number,
    private readonly call: AnyServerCall,
    private readonly base: Logger,
    private readonly runAfter: (fns: readonly (() => void)[]) => void,
  ) {
    super();
    this.debug = base.isLevelEnabled('debug');
  }

  protected parentLogger(): Logger {
    return this.base;
  }

  protected logFields(): Record<string, unknown> {
    return { requestId: this.requestId, method: this.method };
  }

  get signal(): AbortSignal {
    return this.cancel.signal;
  }

  get metadata(): grpc.Metadata {
    return this.call.metadata;
  }

  /**
   * Called just before the OK answer is handed to grpc-js. A call that has already ended
   * (cancelled, deadline: grpc-js drops the answer) or whose deadline has passed (the caller
   * has given up, whichever timer fired first) gets no afterAnswer work.
   */
  answering(): void {
    this.answered = !this.call.cancelled && !this.cancel.aborted && Date.now() < this.deadlineMs;
  }

  afterAnswer(fn: () => void): void {
    if (!this.after) {
      const fns: (() => void)[] = (this.after = []);
      // grpc-js emits 'cancelled' on every call once it has ended, after the status went to
      // HTTP/2 too (intended since 1.10: grpc/grpc-node#2771); for an answered call that is
      // the signal that the answer is out. A call that ended before it is never answered.
      (this.call as NodeJS.EventEmitter).once('cancelled', () => {
        if (this.answered) this.runAfter(fns);
      });
    }
    this.after.push(fn);
  }
}

/**
 * The gRPC bootstrap every service uses: binds, serves `grpc.health.v1.Health` and server
 * reflection, wraps handlers (request id, deadline/cancel AbortSignal, error → status, logs,
 * metrics) and drains gracefully.
 *
 * Health starts NOT_SERVING; the service calls `setServing(true)` once it is ready.
 */
export class GrpcServer {
  /** The bound port. */
  readonly port: number;
  private stateValue: GrpcServerState = 'serving';
  private readonly server: grpc.Server;
  private readonly health: HealthImplementation;
  private readonly serviceNames: string[];
  private readonly inflight = new Set<CallCancel>();
  /** Aborted when the server starts refusing new calls (drain), so subscriptions can end. */
  private readonly drainingController = new AbortController();
  private readonly opts: Required<Pick<GrpcServerOptions, 'drainDelayMs' | 'shutdownGraceMs'>> & GrpcServerOptions;
  private drained: Promise<void> | undefined;
  private serving = false;
  /** What health says now (starts NOT_SERVING, see create()). */
  private healthStatus: 'SERVING' | 'NOT_SERVING' = 'NOT_SERVING';
  /** Calls whose `afterAnswer` work is waiting to run. */
  private afterPending = 0;
  private readonly authorizer: Authorizer;
  private readonly certificates: FileCertificates | undefined;

  private constructor(server: grpc.Server, health: HealthImplementation, port: number, opts: GrpcServer['opts'], certificates: FileCertificates | undefined) {
    this.server = server;
    this.health = health;
    this.port = port;
    this.opts = opts;
    this.serviceNames = opts.services.map((s) => s.name);
    this.authorizer = opts.authorizer ?? new Authorizer();
    this.certificates = certificates;
  }

  /** The authorizer the calls go through (the HTTP routes of the same service share it). */
  get authorizerInUse(): Authorizer {
    return this.authorizer;
  }

  /** True when the server speaks TLS. */
  get secure(): boolean {
    return this.certificates !== undefined;
  }

  /** Current state. */
  get state(): GrpcServerState {
    return this.stateValue;
  }

  /** Number of calls being handled right now. */
  get inflightCalls(): number {
    return this.inflight.size;
  }

  /**
   * Creates the server, registers services, health and reflection, and binds.
   * @throws Error when a method has no handler or no role (see {@link ServiceBinding.roles}),
   *   the TLS files cannot be read, or binding fails.
   */
  static async create(options: GrpcServerOptions): Promise<GrpcServer> {
    const opts = { drainDelayMs: 0, shutdownGraceMs: 10_000, ...options };
    for (const svc of opts.services) {
      const missing = svc.roles ? Object.keys(svc.definition).filter((m) => svc.roles?.[m] === undefined) : missingRoles(svc.name, Object.keys(svc.definition));
      if (missing.length > 0) throw new Error(`service ${svc.name}: no role for ${missing.join(', ')}: every RPC must state its role in RPC_ROLES (shared/auth/roles.ts)`);
    }
    const tls = opts.tls ? serverCredentials({
      ...opts.tls,
      onReload: (e) => {
        opts.tls?.onReload?.(e);
        if (e.type === 'reloaded') opts.logger.info({ files: e.files }, 'TLS certificates reloaded');
        else opts.logger.warn({ files: e.files, err: e.error.message }, 'TLS certificates not reloaded: keeping the ones in force');
      },
    }) : undefined;
    const server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 64 * MiB,
      'grpc.max_send_message_length': opts.maxSendMessageBytes ?? 64 * MiB,
      ...((opts.maxConnectionAgeMs ?? 0) > 0 ? { 'grpc.max_connection_age_ms': opts.maxConnectionAgeMs, 'grpc.max_connection_age_grace_ms': opts.shutdownGraceMs } : {}),
    });
    const health = new HealthImplementation({ '': 'NOT_SERVING' });
    for (const s of opts.services) health.setStatus(s.name, 'NOT_SERVING');
    health.addToServer(server);
    new ReflectionService(opts.packageDefinition).addToServer(server);

    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${opts.host ?? '127.0.0.1'}:${opts.port}`, tls?.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      );
    }).catch((e: unknown) => {
      tls?.certificates.close();
      throw e;
    });
    const self = new GrpcServer(server, health, port, opts, tls?.certificates);
    try {
      guardResets(server, { burst: opts.resetBurst ?? 500, registry: opts.registry, logger: opts.logger });
      setFlowWindows(http2ServersOf(server), opts.flowWindowBytes ?? DEFAULT_FLOW_WINDOW_BYTES);
      self.register();
    } catch (e: unknown) {
      server.forceShutdown();
      tls?.certificates.close();
      throw e;
    }
    opts.logger.info({ port, services: self.serviceNames, tls: tls ? (opts.tls?.caFile ? (opts.tls.requireClientCert === false ? 'client certificates optional' : 'mutual') : 'server') : 'off', auth: self.authorizer.summary }, 'gRPC server listening');
    return self;
  }

  /** Sets health for the server ('') and every service: SERVING when true. Ignored once draining. */
  setServing(serving: boolean): void {
    if (this.stateValue !== 'serving') return;
    this.serving = serving;
    this.setHealth(serving ? 'SERVING' : 'NOT_SERVING');
  }

  /** True while serving and marked ready. */
  get isServing(): boolean {
    return this.stateValue === 'serving' && this.serving;
  }

  /**
   * Graceful stop: health turns NOT_SERVING, new calls are still taken for `drainDelayMs`, then
   * new calls are refused and in-flight ones finish (cancelled after `shutdownGraceMs`).
   * Idempotent: every caller gets the same promise.
   */
  drain(): Promise<void> {
    this.drained ??= this.doDrain();
    return this.drained;
  }

  private async doDrain(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'draining';
    this.setHealth('NOT_SERVING');
    this.opts.logger.info({ inflight: this.inflight.size, drainDelayMs: this.opts.drainDelayMs }, 'gRPC server draining');
    if (this.opts.drainDelayMs > 0) {
      await new Promise<void>((r) => setTimeout(r, this.opts.drainDelayMs).unref());
    }
    this.drainingController.abort(new CancelledError('server draining'));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.opts.logger.warn({ inflight: this.inflight.size }, 'shutdown grace period over: cancelling in-flight calls');
        this.close();
        resolve();
      }, this.opts.shutdownGraceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Work deferred past the answers (prediction logs) of the last calls runs before drain ends.
    while (this.afterPending > 0) await new Promise<void>((r) => setImmediate(r));
    this.certificates?.close();
    this.stateValue = 'closed';
    this.opts.logger.info('gRPC server stopped');
  }

  /** Hard stop: cancels in-flight calls (their signals abort) and closes every connection. */
  close(): void {
    this.stateValue = 'closed';
    this.drainingController.abort(new CancelledError('server closing'));
    for (const c of this.inflight) c.abort(new CancelledError('server shutting down'));
    this.server.forceShutdown();
    this.certificates?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }

  private setHealth(status: 'SERVING' | 'NOT_SERVING'): void {
    // Health Watch streams send on change only (the health protocol): grpc-health-check writes
    // to every watcher on each setStatus, and services re-derive health every second.
    if (status === this.healthStatus) return;
    this.healthStatus = status;
    this.health.setStatus('', status);
    for (const name of this.serviceNames) this.health.setStatus(name, status);
  }

  private register(): void {
    const handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by method and status code.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
      registers: [this.opts.registry],
    });
    const seconds = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from receiving an RPC to sending its response, in seconds.',
      labelNames: ['grpc_service', 'grpc_method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.opts.registry],
    });
    const fast = new Map<string, FastUnaryMethod>();
    for (const svc of this.opts.services) {
      const impl: grpc.UntypedServiceImplementation = {};
      const definition = tolerantDefinition(svc.definition);
      for (const [method, def] of Object.entries(svc.definition)) {
        if (def.requestStream && !def.responseStream) throw new Error(`service ${svc.name}: client-streaming method ${method} is not supported`);
        // create() checked that every method has one.
        const needed = (svc.roles?.[method] ?? roleOf(svc.name, method)) as Role;
        // The metric children are looked up once per method (and status code), not per call:
        // prom-client hashes the label object on every inc/observe otherwise.
        const timing = seconds.labels({ grpc_service: svc.name, grpc_method: method });
        const byCode = new Map<number, { inc(): void }>();
        const end = (code: number, t0: bigint): void => {
          let counter = byCode.get(code);
          if (!counter) byCode.set(code, (counter = handled.labels({ grpc_service: svc.name, grpc_method: method, grpc_code: statusName(code) })));
          counter.inc();
          timing.observe(Number(process.hrtime.bigint() - t0) / 1e9);
        };
        if (def.requestStream) {
          // A handler in `streamHandlers` (typed for server streams) is taken too: tests that only
          // refuse every call put all their streaming handlers there.
          const handler = (svc.handlers[method] ?? svc.streamHandlers?.[method]) as BidiStreamHandler | undefined;
          if (!handler) throw new Error(`service ${svc.name}: no stream handler for ${method}`);
          impl[method] = this.wrapBidiStream(svc, method, needed, handler, end);
          continue;
        }
        if (def.responseStream) {
          const handler = (svc.streamHandlers?.[method] ?? svc.handlers[method]) as ServerStreamHandler | undefined;
          if (!handler) throw new Error(`service ${svc.name}: no stream handler for ${method}`);
          impl[method] = this.wrapServerStream(svc, method, needed, handler, end);
          continue;
        }
        const handler = svc.handlers[method] as UnaryHandler | undefined;
        if (!handler) throw new Error(`service ${svc.name}: no handler for ${method}`);
        const wrapped = this.wrapUnary(svc, method, needed, handler, end);
        impl[method] = wrapped;
        if (this.opts.fastUnary !== false && svc.fastUnary?.includes(method)) {
          const d = definition[method] as grpc.MethodDefinition<unknown, unknown>;
          fast.set(d.path, { handler: wrapped, deserialize: d.requestDeserialize, serialize: d.responseSerialize });
        }
      }
      for (const m of svc.fastUnary ?? []) {
        const d = svc.definition[m];
        if (!d || d.requestStream || d.responseStream) throw new Error(`service ${svc.name}: fastUnary names ${m}, which is not a unary method`);
      }
      this.server.addService(definition, impl);
    }
    if (fast.size > 0) {
      // grpc-js's idle-connection accounting (a private method; absent, nothing to count).
      const opened = (this.server as unknown as { onStreamOpened?: (s: unknown) => void }).onStreamOpened?.bind(this.server);
      installFastUnary(http2ServersOf(this.server), fast, { maxReceiveMessageBytes: this.opts.maxReceiveMessageBytes ?? 64 * MiB, maxSendMessageBytes: this.opts.maxSendMessageBytes ?? 64 * MiB }, opened);
    }
  }

  /** Builds the call context shared by unary and streaming calls. */
  private startCall(
    svc: ServiceBinding,
    method: string,
    call: AnyServerCall,
  ): { ctx: ServerCallContext; trailer: grpc.Metadata; finish: () => void } {
    const deadlineMs = callDeadlineMs(call);
    const header = firstMetadataValue(call, REQUEST_ID_HEADER);
    let requestId: string;
    try {
      const request = 'request' in call ? call.request : undefined;
      requestId = chooseRequestId(header, request === undefined || request instanceof MalformedRequest ? undefined : svc.requestIdOf?.(method, request));
    } catch {
      // A malformed message id must not fail the call: fall back to a generated one.
      requestId = chooseRequestId(header, undefined);
    }
    const { cancel, dispose } = callCancel(call, deadlineMs);
    this.inflight.add(cancel);
    const ctx = new ServerCallContext(requestId, method, cancel, this.drainingController.signal, deadlineMs, call, this.opts.logger, this.runAfterFn);
    // The request id goes back in the trailers, which every response carries anyway.
    const trailer = new grpc.Metadata();
    trailer.set(REQUEST_ID_HEADER, requestId);
    const finish = (): void => {
      dispose();
      this.inflight.delete(cancel);
    };
    return { ctx, trailer, finish };
  }

  /** {@link runAfter}, bound once for the calls' contexts. */
  private readonly runAfterFn = (fns: readonly (() => void)[]): void => this.runAfter(fns);

  /**
   * Runs `fns` once the answer of a call that has just ended is written. grpc-js ends a call
   * (emits 'cancelled') from inside HTTP/2's write pass, when it hands over the trailers; Node
   * writes those in its next pass, a native immediate run at the start of the next check phase.
   * So the work waits one setImmediate into this check phase, and a second one into the next,
   * which comes after that write (the test 'the answer reaches the client before its log…' in
   * test/inference/prediction-log.test.ts checks this order from another thread).
   */
  private runAfter(fns: readonly (() => void)[]): void {
    this.afterPending++;
    setImmediate(() =>
      setImmediate(() => {
        this.afterPending--;
        for (const fn of fns) {
          try {
            fn();
          } catch (e: unknown) {
            // Work after the answer cannot fail the call any more: log it and go on with the rest.
            this.opts.logger.error({ err: e }, 'work after an answer failed');
          }
        }
      }),
    );
  }

  private logFailure(log: Logger, e: unknown, st: { code: number; details: string }): void {
    if (st.code === (grpc.status.INTERNAL as number) || st.code === (grpc.status.UNKNOWN as number)) log.error({ err: loggableError(e), code: statusName(st.code) }, st.details);
    else log.info({ code: statusName(st.code) }, st.details);
  }

  private wrapUnary(
    svc: ServiceBinding,
    method: string,
    needed: Role,
    handler: UnaryHandler,
    end: (code: number, t0: bigint) => void,
  ): grpc.handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      const t0 = process.hrtime.bigint();
      const { ctx, trailer, finish } = this.startCall(svc, method, call);
      const creds = callerCredentials(call);
      let identity: Identity | undefined;
      // An async wrapper: a handler that throws synchronously fails the call like one that rejects.
      const promise = (async () => {
        // Before anything reads the request: a refusal says nothing of what it names. With
        // authorization off only admin calls need the caller (for their audit line).
        if (this.authorizer.required || needed === 'admin') identity = this.authorizer.authorize(creds, method, needed);
        if (call.request instanceof MalformedRequest) throw malformed(call.request);
        return (await handler(call.request, ctx)) as unknown;
      })();
      promise.then(
        (response) => {
          finish();
          end(grpc.status.OK, t0);
          auditCall(this.authorizer, { service: svc.name, method, needed, creds, identity, code: grpc.status.OK, ctx, request: call.request });
          if (ctx.debug) ctx.log.debug('call ok');
          ctx.answering();
          callback(null, response, trailer);
        },
        (e: unknown) => {
          finish();
          const st = toGrpcStatus(e, ctx.requestId);
          end(st.code, t0);
          this.logFailure(ctx.log, e, st);
          auditCall(this.authorizer, { service: svc.name, method, needed, creds, identity, code: st.code, ctx, request: call.request });
          trailer.merge(st.metadata);
          callback({ code: st.code, details: st.details, metadata: trailer });
        },
      );
    };
  }

  private wrapServerStream(
    svc: ServiceBinding,
    method: string,
    needed: Role,
    handler: ServerStreamHandler,
    end: (code: number, t0: bigint) => void,
  ): grpc.handleServerStreamingCall<unknown, unknown> {
    return (call) => {
      const t0 = process.hrtime.bigint();
      const { ctx, trailer, finish } = this.startCall(svc, method, call);
      const send = streamSender(call, ctx.cancel);
      const creds = callerCredentials(call);
      let identity: Identity | undefined;
      const promise = (async () => {
        if (this.authorizer.required || needed === 'admin') identity = this.authorizer.authorize(creds, method, needed);
        if (call.request instanceof MalformedRequest) throw malformed(call.request);
        return handler(call.request, ctx, send);
      })();
      promise.then(
        () => {
          finish();
          end(grpc.status.OK, t0);
          auditCall(this.authorizer, { service: svc.name, method, needed, creds, identity, code: grpc.status.OK, ctx, request: call.request });
          if (ctx.debug) ctx.log.debug('stream ok');
          ctx.answering();
          call.end(trailer);
        },
        (e: unknown) => {
          finish();
          const st = toGrpcStatus(e, ctx.requestId);
          end(st.code, t0);
          this.logFailure(ctx.log, e, st);
          auditCall(this.authorizer, { service: svc.name, method, needed, creds, identity, code: st.code, ctx, request: call.request });
          trailer.merge(st.metadata);
          call.emit('error', { code: st.code, details: st.details, metadata: trailer });
        },
      );
    };
  }
  private wrapBidiStream(
    svc: ServiceBinding,
    method: string,
    needed: Role,
    handler: BidiStreamHandler,
    end: (code: number, t0: bigint) => void,
  ): grpc.handleBidiStreamingCall<unknown, unknown> {
    return (call) => {
      const t0 = process.hrtime.bigint();
      const { ctx, trailer, finish } = this.startCall(svc, method, call);
      const send = streamSender(call, ctx.cancel);
      const creds = callerCredentials(call);
      let identity: Identity | undefined;
      let stopReading: (() => void) | undefined;
      const promise = (async () => {
        if (this.authorizer.required || needed === 'admin') identity = this.authorizer.authorize(creds, method, needed);
        const { messages, stop } = streamMessages(call, ctx.cancel);
        stopReading = stop;
        return handler(messages, ctx, send);
      })();
      promise.then(
        () => {
          stopReading?.();
          finish();
          end(grpc.status.OK, t0);
          auditCall(this.authorizer, { service: svc.name, method, needed, creds, identity, code: grpc.status.OK, ctx, request: undefined });
          if (ctx.debug) ctx.log.debug('stream ok');
          ctx.answering();
          call.end(trailer);
        },
        (e: unknown) => {
          stopReading?.();
          finish();
          const st = toGrpcStatus(e, ctx.requestId);
          end(st.code, t0);
          this.logFailure(ctx.log, e, st);
          auditCall(this.authorizer, { service: svc.name, method, needed, creds, identity, code: st.code, ctx, request: undefined });
          trailer.merge(st.metadata);
          call.emit('error', { code: st.code, details: st.details, metadata: trailer });
        },
      );
    };
  }
}
