import * as grpc from '@grpc/grpc-js';
import { clientConstructor } from './protos.js';
import type { PackageDefinition } from '@grpc/proto-loader';

/** Options for {@link createClient}. */
export interface ClientOptions {
  /** Largest message received. @default 64 MiB */
  maxReceiveMessageBytes?: number;
  /** Largest message sent. @default 64 MiB */
  maxSendMessageBytes?: number;
  /** Channel credentials (TLS: `channelCredentials` of shared/tls). @default plaintext */
  credentials?: grpc.ChannelCredentials;
  /** A bearer token sent as `authorization: Bearer <token>` on every call (unless the call's metadata has one). @default none */
  token?: string;
}

/** A client interceptor adding `authorization: Bearer <token>` to calls that carry none. */
function bearerInterceptor(token: string): grpc.Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (metadata.get('authorization').length === 0) metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

/**
 * A grpc-js client for a service of a loaded package definition, over plaintext unless
 * `credentials` are given (plaintext is the mesh's default on loopback). Cast it to the generated `…Client` type for typed calls.
 */
export function createClient<T extends grpc.Client = grpc.Client>(
  pkg: PackageDefinition,
  service: string,
  address: string,
  opts: ClientOptions = {},
): T {
  const Ctor = clientConstructor(pkg, service);
  return new Ctor(address, opts.credentials ?? grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 64 * 1024 * 1024,
    'grpc.max_send_message_length': opts.maxSendMessageBytes ?? 64 * 1024 * 1024,
    ...(opts.token !== undefined ? { interceptors: [bearerInterceptor(opts.token)] } : {}),
  }) as unknown as T;
}

/** Calls a unary method of a generic client as a promise. */
export function unaryCall<Req, Res>(
  client: grpc.Client,
  method: string,
  request: Req,
  opts: { deadlineMs?: number; metadata?: grpc.Metadata } = {},
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    const fn = (client as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') {
      reject(new Error(`client has no method ${method}`));
      return;
    }
    const callOpts: grpc.CallOptions = {};
    if (opts.deadlineMs !== undefined) callOpts.deadline = Date.now() + opts.deadlineMs;
    (fn as (...a: unknown[]) => void).call(client, request, opts.metadata ?? new grpc.Metadata(), callOpts, (err: grpc.ServiceError | null, res: Res) =>
      err ? reject(err) : resolve(res),
    );
  });
}
