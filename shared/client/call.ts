import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { CancelledError, DeadlineExceededError, fromServiceError } from './errors.js';
import type { RpcError } from './errors.js';
import { checkTimeout } from './options.js';
import type { CallOptions } from './options.js';

/** Metadata key of the request id (the services log it and return it in the trailers). */
export const REQUEST_ID_KEY = 'x-request-id';

const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

/** How one call is to be made, once the client has applied its defaults. */
export interface CallPlan {
  /** `/package.Service/Method`, for errors. */
  path: string;
  /** Deadline from now in ms (Infinity: none). */
  timeoutMs: number;
  /** Request id to send when the caller gave none. */
  requestId?: string | undefined;
  /** `authorization` header to send when the caller's metadata has none (the client's token). */
  authorization?: string | undefined;
}

/** The metadata to send: the caller's plus `x-request-id` (the same on every retry attempt). */
function metadataFor(opts: CallOptions, plan: CallPlan): grpc.Metadata {
  let md: grpc.Metadata;
  if (opts.metadata instanceof grpc.Metadata) md = opts.metadata.clone();
  else {
    md = new grpc.Metadata();
    for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
  }
  const id = opts.requestId ?? plan.requestId;
  if (opts.requestId !== undefined && !REQUEST_ID_PATTERN.test(opts.requestId)) {
    throw new TypeError(`mlmesh client: requestId must be 1–128 characters of letters, digits and ._:@/+=-, got ${JSON.stringify(opts.requestId)}`);
  }
  if (md.get(REQUEST_ID_KEY).length === 0) md.set(REQUEST_ID_KEY, id !== undefined && REQUEST_ID_PATTERN.test(id) ? id : randomUUID());
  if (plan.authorization !== undefined && md.get('authorization').length === 0) md.set('authorization', plan.authorization);
  return md;
}

function callOptions(timeoutMs: number): grpc.CallOptions {
  return Number.isFinite(timeoutMs) ? { deadline: Date.now() + timeoutMs } : {};
}

/** The error for an aborted signal: CancelledError (DeadlineExceededError for `AbortSignal.timeout`), its reason as cause. */
function abortError(signal: AbortSignal, path: string, cancelled?: unknown): RpcError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new DeadlineExceededError('the call’s signal timed out', { method: path, cause: reason });
  const md = cancelled instanceof Error ? (cancelled as Partial<grpc.ServiceError>).metadata : undefined;
  return new CancelledError('cancelled by the caller’s signal', { method: path, cause: reason, ...(md ? { metadata: md } : {}) });
}

type UnaryFn = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientUnaryCall;
type StreamFn = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;
type DuplexFn = (md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientDuplexStream<unknown, unknown>;

function method<F>(client: grpc.Client, name: string): F {
  const fn = (client as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new TypeError(`mlmesh client: the channel has no method ${name}`);
  return (fn as (...a: unknown[]) => unknown).bind(client) as F;
}

/**
 * Makes a unary call as a promise. The signal cancels it (the server sees CANCELLED); a failure
 * rejects with the typed {@link RpcError} of its status.
 */
export function unary<Res>(client: grpc.Client, name: string, request: unknown, opts: CallOptions, plan: CallPlan): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    const { signal } = opts;
    if (signal?.aborted) {
      reject(abortError(signal, plan.path));
      return;
    }
    const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? plan.timeoutMs);
    const md = metadataFor(opts, plan);
    const onAbort = (): void => call.cancel();
    const call = method<UnaryFn>(client, name)(request, md, callOptions(timeoutMs), (err, res) => {
      signal?.removeEventListener('abort', onAbort);
      if (!err) resolve(res as Res);
      else if (signal?.aborted && err.code === grpc.status.CANCELLED) reject(abortError(signal, plan.path, err));
      else reject(fromServiceError(err, plan.path));
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A server-streaming call as an async iterable. The call starts when iteration starts; leaving
 * the loop early (break, throw) cancels it, as does the signal. A failure throws the typed
 * {@link RpcError} of its status from the loop.
 */
export function serverStream<Res>(client: grpc.Client, name: string, request: unknown, opts: CallOptions, plan: CallPlan): AsyncIterable<Res> {
  const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? plan.timeoutMs);
  return {
    async *[Symbol.asyncIterator]() {
      const { signal } = opts;
      if (signal?.aborted) throw abortError(signal, plan.path);
      const call = method<StreamFn>(client, name)(request, metadataFor(opts, plan), callOptions(timeoutMs));
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const message of call) yield message as Res;
      } catch (e: unknown) {
        if (signal?.aborted && (e as { code?: unknown }).code === grpc.status.CANCELLED) throw abortError(signal, plan.path, e);
        throw fromServiceError(e, plan.path);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        // After a normal end this is a no-op; after an early exit it tells the server.
        call.cancel();
      }
    },
  };
}

/**
 * A bidirectional call: `write` requests, `end` when there are no more, iterate the responses.
 * Iterating ends when the server ends the call; a failure status throws the typed
 * {@link RpcError} from the loop. `cancel` (or the signal, or leaving the loop early) cancels the
 * call: the server sees CANCELLED.
 */
export interface DuplexCall<Req, Res> extends AsyncIterable<Res> {
  /** Sends one message; resolves once the stream can take more (backpressure). @throws RpcError once the call has ended. */
  write(message: Req): Promise<void>;
  /** No more messages (half-close): the server answers what it has and ends the call. */
  end(): void;
  /** Cancels the call. Idempotent. */
  cancel(): void;
}

/** Opens a bidirectional call at once (see {@link DuplexCall}). */
export function duplexStream<Req, Res>(client: grpc.Client, name: string, opts: CallOptions, plan: CallPlan): DuplexCall<Req, Res> {
  const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? plan.timeoutMs);
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal, plan.path);
  const call = method<DuplexFn>(client, name)(metadataFor(opts, plan), callOptions(timeoutMs));
  let failed: unknown;
  // Kept so a write after the end does not throw an unhandled 'error'; the loop reports it.
  call.on('error', (e: unknown) => (failed = e));
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const mapError = (e: unknown): RpcError =>
    signal?.aborted && (e as { code?: unknown }).code === grpc.status.CANCELLED ? abortError(signal, plan.path, e) : fromServiceError(e, plan.path);
  return {
    write: (message) => {
      if (failed !== undefined) return Promise.reject(mapError(failed));
      return new Promise<void>((resolve, reject) => {
        const more = call.write(message, (err?: unknown) => {
          if (err) reject(mapError(err));
          else if (more) resolve();
        });
        if (!more) call.once('drain', () => resolve());
      });
    },
    end: () => call.end(),
    cancel: () => call.cancel(),
    async *[Symbol.asyncIterator]() {
      try {
        for await (const message of call) yield message as Res;
      } catch (e: unknown) {
        throw mapError(e);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        call.cancel();
      }
    },
  };
}
