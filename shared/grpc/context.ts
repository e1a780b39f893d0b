import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { CancelledError, DeadlineExceededError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { deadlineToleranceMs, watchLoopLag } from './loop-lag.js';

/** Metadata key carrying a request id in and out (as sent by callers and returned to them). */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

/** What a handler gets besides the request message. */
export interface CallContext {
  /** The caller's request id (metadata `x-request-id`, or a message field), else a new UUID. */
  readonly requestId: string;
  /**
   * Aborts when the deadline passes (reason: DeadlineExceededError), the client cancels
   * (CancelledError) or the server shuts down hard (CancelledError).
   */
  readonly signal: AbortSignal;
  /**
   * Aborts when the server starts refusing new calls (graceful drain or hard close): open-ended
   * streams end on it so a drain need not wait for them. Unary handlers can ignore it.
   */
  readonly draining: AbortSignal;
  /** Deadline as epoch milliseconds; Infinity when the caller set none. */
  readonly deadlineMs: number;
  /** Logger bound to `requestId` and `method` (made on first use). */
  readonly log: Logger;
  /** True when debug lines would be written: check it before building a debug line. */
  readonly debug: boolean;
  /** The caller's metadata. */
  readonly metadata: grpc.Metadata;
  /** Binds more fields (e.g. model, version) to `log` for the rest of the call. */
  bind(fields: Record<string, unknown>): void;
  /**
   * Runs `fn` after a successful answer has been sent: once grpc-js has ended the call (it has
   * handed the message and the OK status to HTTP/2; on the fast unary path, once the stream has
   * closed), on a later turn of the event loop, so the bytes are written first. For work that must not delay the answer (the prediction log). Never
   * runs when the call fails, or when it is cancelled or its deadline passes before the answer
   * goes out. An error thrown by `fn` is logged.
   */
  afterAnswer(fn: () => void): void;
}

/** True when `id` may be used as a request id (printable, bounded). */
export function isValidRequestId(id: string): boolean {
  return REQUEST_ID_PATTERN.test(id);
}

/** Picks the request id: metadata first, then the message's own id, else a fresh UUID. */
export function chooseRequestId(metadata: grpc.Metadata, fromMessage: string | undefined): string {
  const header = metadata.get(REQUEST_ID_HEADER)[0];
  if (typeof header === 'string' && isValidRequestId(header)) return header;
  if (fromMessage && isValidRequestId(fromMessage)) return fromMessage;
  return randomUUID();
}

/** The deadline of a server call as epoch ms (Infinity for none). */
export function callDeadlineMs(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): number {
  const d = call.getDeadline();
  if (d instanceof Date) return d.getTime();
  return Number.isFinite(d) ? d : Infinity;
}

/**
 * An AbortController tied to a call: aborted on the deadline and on client cancel. `dispose()`
 * clears the deadline timer once the call is done.
 */
export function callAbortController(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  deadlineMs: number,
): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(deadlineMs)) {
    const fire = (): void => controller.abort(new DeadlineExceededError('deadline exceeded'));
    const wait = deadlineMs - Date.now();
    if (wait <= 0) fire();
    else {
      timer = setTimeout(fire, wait);
      timer.unref();
    }
  }
  if (Number.isFinite(deadlineMs)) watchLoopLag();
  const onCancel = (): void => {
    if (controller.signal.aborted) return;
    // grpc-js cancels the call when its own deadline timer fires, and a client whose deadline
    // passed sends a plain cancel, which comes before the server's deadline by as long as the
    // server was late reading the call's headers (its loop lag): both are the deadline.
    if (Date.now() >= deadlineMs - deadlineToleranceMs()) controller.abort(new DeadlineExceededError('deadline exceeded'));
    else controller.abort(new CancelledError('cancelled by the client'));
  };
  // Every kind of server call is an EventEmitter; the union's overloads do not unify.
  const events: NodeJS.EventEmitter = call;
  events.once('cancelled', onCancel);
  return {
    controller,
    dispose: () => {
      if (timer) clearTimeout(timer);
      events.off('cancelled', onCancel);
    },
  };
}
