import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { CancelledError, DeadlineExceededError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { FastUnaryCall } from './fast-unary.js';
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
   * (CancelledError) or the server shuts down hard (CancelledError). A real AbortSignal, for
   * APIs that take one (fetch, timers, AbortSignal.any); made on first use, following `cancel`.
   */
  readonly signal: AbortSignal;
  /**
   * The same cancellation as `signal`, without an EventTarget: what the hot path listens on (the
   * batcher's queue). In Node 20 an AbortController and one abort listener cost ~4.5 µs per call,
   * a tenth of a single-row ModelInfer on the gRPC thread; this costs ~0.05 µs. Reading `signal`
   * makes the AbortSignal then (already aborted if `cancel` is).
   */
  readonly cancel: CancelSignal;
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

/** Any kind of grpc-js server call (unary, server streaming, bidirectional). */
export type AnyServerCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/**
 * The first value of the text metadata key `key` of a call (`call.metadata.get(key)[0]`); on the
 * fast unary path read from the headers, without making the call's Metadata.
 */
export function firstMetadataValue(call: AnyServerCall | FastUnaryCall, key: string): string | undefined {
  if (call instanceof FastUnaryCall) return call.firstValue(key);
  const v = call.metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/** Picks the request id: the `x-request-id` header's value first, then the message's own id, else a fresh UUID. */
export function chooseRequestId(header: string | undefined, fromMessage: string | undefined): string {
  if (header !== undefined && isValidRequestId(header)) return header;
  if (fromMessage && isValidRequestId(fromMessage)) return fromMessage;
  return randomUUID();
}

/** The deadline of a server call as epoch ms (Infinity for none). */
export function callDeadlineMs(call: AnyServerCall): number {
  const d = call.getDeadline();
  if (d instanceof Date) return d.getTime();
  return Number.isFinite(d) ? d : Infinity;
}

/**
 * The read side of an AbortSignal: what code that only needs to know whether, why and when a call
 * ends listens on. AbortSignal has this shape too, so a function taking a CancelSignal takes either.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  /** Why it aborted (undefined until then). */
  readonly reason: Error | undefined;
  /** Adds `listener`, called once when it aborts; a listener added after that is never called. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The `log` and `bind` of a {@link CallContext}, shared by the gRPC, HTTP and per-stream-request
 * contexts: a child of {@link parentLogger} with {@link logFields} and every `bind`'s fields (in
 * order, later ones win), made on first use (most calls never log) and made again after a
 * `bind`. A class with a prototype getter, not an object literal with one: such a literal made
 * per call kept each call alive through the next scavenges (docs/benchmarks.md, 2026-12-06).
 */
export abstract class LoggingCallContext {
  private bound: Record<string, unknown>[] | undefined;
  private logger: Logger | undefined;

  /** The logger `log` is a child of. */
  protected abstract parentLogger(): Logger;

  /** The fields `log` starts with (a new object each time). */
  protected abstract logFields(): Record<string, unknown>;

  get log(): Logger {
    if (!this.logger) {
      const fields = this.logFields();
      this.logger = this.parentLogger().child(this.bound ? (Object.assign(fields, ...this.bound) as Record<string, unknown>) : fields);
    }
    return this.logger;
  }

  bind(fields: Record<string, unknown>): void {
    (this.bound ??= []).push(fields);
    this.logger = undefined;
  }
}

/** Why `signal` aborted, as an Error (a CancelledError if it gave no reason). */
export function abortReason(signal: CancelSignal): Error {
  return signal.reason ?? new CancelledError('cancelled');
}

/**
 * A call's cancellation: a {@link CancelSignal} with plain fields and an array of listeners,
 * and a real AbortSignal made only when something asks for one ({@link CallCancel.signal}).
 * Where it differs from an EventTarget (no caller here depends on these): the listeners are
 * those registered when `abort` starts (one removed by another listener during the abort still
 * runs), one added twice runs twice, and the AbortSignal's listeners run before these.
 */
export class CallCancel implements CancelSignal {
  aborted = false;
  reason: Error | undefined = undefined;
  private listeners: (() => void)[] | undefined;
  private controller: AbortController | undefined;

  /** Aborts with `reason` (once: later calls are ignored), then calls the listeners in the order they were added. */
  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const fn of listeners ?? []) {
      try {
        fn();
      } catch (e: unknown) {
        // As an EventTarget does: a listener's error is reported, the other listeners still run.
        process.nextTick(() => {
          throw e;
        });
      }
    }
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners?.splice(i, 1);
  }

  /** An AbortSignal that aborts with this (made on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}

/**
 * A {@link CallCancel} tied to a call: aborted on the deadline and on client cancel. `dispose()`
 * clears the deadline timer once the call is done.
 */
export function callCancel(
  call: AnyServerCall,
  deadlineMs: number,
): { cancel: CallCancel; dispose: () => void } {
  const cancel = new CallCancel();
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(deadlineMs)) {
    const fire = (): void => cancel.abort(new DeadlineExceededError('deadline exceeded'));
    const wait = deadlineMs - Date.now();
    if (wait <= 0) fire();
    else {
      timer = setTimeout(fire, wait);
      timer.unref();
    }
    watchLoopLag();
  }
  const onCancel = (): void => {
    if (cancel.aborted) return;
    // grpc-js cancels the call when its own deadline timer fires, and a client whose deadline
    // passed sends a plain cancel, which comes before the server's deadline by as long as the
    // server was late reading the call's headers (its loop lag): both are the deadline.
    if (Date.now() >= deadlineMs - deadlineToleranceMs()) cancel.abort(new DeadlineExceededError('deadline exceeded'));
    else cancel.abort(new CancelledError('cancelled by the client'));
  };
  // Every kind of server call is an EventEmitter; the union's overloads do not unify.
  const events: NodeJS.EventEmitter = call;
  events.once('cancelled', onCancel);
  return {
    cancel,
    dispose: () => {
      if (timer) clearTimeout(timer);
      events.off('cancelled', onCancel);
    },
  };
}
