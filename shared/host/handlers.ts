import type * as grpc from '@grpc/grpc-js';
import type { AnyHandler, BidiStreamHandler, ServerStreamHandler, ServiceBinding, UnaryHandler } from '../grpc/index.js';

/** The method keys of a generated `…Handlers` interface, without grpc-js's string index signature. */
type MethodKeys<H> = keyof { [K in keyof H as string extends K ? never : number extends K ? never : K]: H[K] };

/**
 * The promise-style handlers of a service, derived from its generated `…Handlers` interface
 * (proto-loader-gen-types, grpc-js callback shapes): a unary method becomes a
 * {@link UnaryHandler} of its decoded request (`…__Output`) and its response, a server-streaming
 * one a {@link ServerStreamHandler}, a bidirectional one a {@link BidiStreamHandler}. Every method is required and no other key is allowed, so a
 * missing or misspelt handler fails the build.
 */
export type PromiseHandlers<H> = {
  [K in MethodKeys<H>]: H[K] extends grpc.handleBidiStreamingCall<infer Req, infer Res>
    ? BidiStreamHandler<Req, Res>
    : H[K] extends grpc.handleServerStreamingCall<infer Req, infer Res>
    ? ServerStreamHandler<Req, Res>
    : H[K] extends grpc.handleUnaryCall<infer Req, infer Res>
      ? UnaryHandler<Req, Res>
      : never;
};

/** Options of {@link defineService}. */
export interface DefineServiceOptions {
  /** A request id carried in the message itself (e.g. the v2 `id`), used when metadata has none. */
  requestIdOf?: (method: string, request: unknown) => string | undefined;
  /** Unary methods served on node:http2 directly (see ServiceBinding.fastUnary). */
  fastUnary?: readonly string[];
}

/**
 * One gRPC service for the host: its fully-qualified name (its definition comes from the
 * host's protos) and its handlers, typed by the generated interface `H`:
 * `defineService<GRPCInferenceServiceHandlers>('inference.GRPCInferenceService', handlers)`.
 */
export interface HostedGrpcService {
  readonly name: string;
  readonly handlers: Readonly<Record<string, AnyHandler>>;
  readonly requestIdOf?: ServiceBinding['requestIdOf'];
  readonly fastUnary?: ServiceBinding['fastUnary'];
}

/** Binds typed handlers to a service name; see {@link PromiseHandlers}. */
export function defineService<H>(name: string, handlers: PromiseHandlers<H>, opts: DefineServiceOptions = {}): HostedGrpcService {
  return { name, handlers: handlers as Record<string, AnyHandler>, ...(opts.requestIdOf ? { requestIdOf: opts.requestIdOf } : {}), ...(opts.fastUnary ? { fastUnary: [...opts.fastUnary] } : {}) };
}
