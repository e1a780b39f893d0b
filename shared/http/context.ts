import type { Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CancelledError, DeadlineExceededError, InvalidArgumentError, clip } from '../errors/index.js';
import { LoggingCallContext, REQUEST_ID_HEADER, chooseRequestId } from '../grpc/index.js';
import type { CallContext, CancelSignal } from '../grpc/index.js';
import type { Logger } from '../logging/index.js';

/**
 * Request header giving an HTTP call a deadline, in milliseconds from when the request arrives
 * (HTTP has no `grpc-timeout`): past it the call fails as a gRPC call past its deadline does
 * (DEADLINE_EXCEEDED, HTTP 504). A positive integer up to {@link MAX_TIMEOUT_MS}.
 */
export const TIMEOUT_HEADER = 'x-timeout-ms';

/** Largest {@link TIMEOUT_HEADER} accepted: 24 hours. */
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

/**
 * What the host's HTTP server shares with the calls on it: the signals of its stop and the count
 * of work a drain waits for (requests in flight, after-answer work not run yet).
 */
export interface HttpServerSignals {
  /** Aborts when the service's routes stop taking requests (graceful drain) or the server closes. */
  readonly draining: AbortSignal;
  /** Aborts when the server closes hard: calls in flight are cancelled. */
  readonly closing: AbortSignal;
  readonly logger: Logger;
  /** Counts one piece of work until the returned function is called. */
  hold(): () => void;
}

const SIGNALS = new WeakMap<Server, HttpServerSignals>();

/** Ties the signals to a node server (done by HttpServer). */
export function attachSignals(server: Server, signals: HttpServerSignals): void {
  SIGNALS.set(server, signals);
}

/** The deadline of a request as epoch ms (Infinity without {@link TIMEOUT_HEADER}). @throws InvalidArgumentError for a bad header */
export function requestDeadlineMs(req: FastifyRequest, arrivedMs = Date.now()): number {
  const raw = req.headers[TIMEOUT_HEADER];
  if (raw === undefined) return Infinity;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  if (!/^[1-9][0-9]{0,8}$/.test(text.trim()) || Number(text) > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(`${TIMEOUT_HEADER}: ${JSON.stringify(clip(text, 40))} is not a timeout (a whole number of milliseconds, 1 to ${MAX_TIMEOUT_MS})`, { field: TIMEOUT_HEADER });
  }
  return arrivedMs + Number(text);
}

/** The request id: a valid `x-request-id` header, else the message's own id when valid, else a new UUID (as gRPC chooses it). */
export function httpRequestId(req: FastifyRequest, fromMessage?: string): string {
  const header = req.headers[REQUEST_ID_HEADER];
  return chooseRequestId(typeof header === 'string' ? header : undefined, fromMessage);
}

/** An HTTP call's {@link CallContext} and what the route does with it. */
export interface HttpCall {
  readonly ctx: CallContext;
  /**
   * Marks the answer as successful, just before it is sent: the `afterAnswer` work runs once
   * it is written (never for a call whose client went away or whose deadline passed first).
   */
  answering(): void;
  /** Ends the call's timers and listeners (in a `finally`). */
  finish(): void;
}

/**
 * The CallContext of one HTTP request. A class, not an object literal with a getter: such a
 * literal made per request keeps what each scavenge copies high (see ServerCallContext in
 * shared/grpc/server.ts).
 */
class HttpCallContext extends LoggingCallContext implements CallContext {
  readonly cancel: CancelSignal;
  readonly debug: boolean;

  constructor(
    readonly requestId: string,
    private readonly method: string,
    readonly signal: AbortSignal,
    readonly draining: AbortSignal,
    readonly deadlineMs: number,
    readonly metadata: grpc.Metadata,
    private readonly base: Logger,
    readonly afterAnswer: (fn: () => void) => void,
  ) {
    super();
    this.cancel = signal;
    this.debug = base.isLevelEnabled('debug');
  }

  protected parentLogger(): Logger {
    return this.base;
  }

  protected logFields(): Record<string, unknown> {
    return { requestId: this.requestId, method: this.method };
  }
}

/**
 * A {@link CallContext} for an HTTP request, so that a route can call the same promise-style
 * handler a gRPC method runs, with the same semantics: the request id (`x-request-id` header,
 * else `fromMessage`, else a UUID; sent back in the `x-request-id` response header), a signal
 * that aborts on the {@link TIMEOUT_HEADER} deadline (DeadlineExceededError), when the client
 * closes the connection (CancelledError) or when the server closes hard, `draining` from the
 * host's drain, a logger bound to the request id and `method`, and `afterAnswer` work run once
 * a successful answer has been written (the drain waits for it).
 * @throws InvalidArgumentError for a bad {@link TIMEOUT_HEADER}
 */
export function httpCallContext(req: FastifyRequest, reply: FastifyReply, opts: { method: string; fromMessage?: string; arrivedMs?: number }): HttpCall {
  const signals = SIGNALS.get(req.server.server);
  if (!signals) throw new Error('httpCallContext: the request is not on a host HTTP server');
  const deadlineMs = requestDeadlineMs(req, opts.arrivedMs);
  const requestId = httpRequestId(req, opts.fromMessage);
  reply.header(REQUEST_ID_HEADER, requestId);
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
  const res = reply.raw;
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort(new CancelledError('cancelled by the client (connection closed)'));
  };
  const onServerClose = (): void => controller.abort(new CancelledError('server shutting down'));
  res.once('close', onClose);
  signals.closing.addEventListener('abort', onServerClose, { once: true });
  if (signals.closing.aborted) onServerClose();

  const base = signals.logger;
  const metadata = new grpc.Metadata();
  metadata.set(REQUEST_ID_HEADER, requestId);
  let after: (() => void)[] | undefined;
  let answered = false;
  const afterAnswer = (fn: () => void): void => {
    if (!after) {
      const fns: (() => void)[] = (after = []);
      const release = signals.hold();
      const run = (): void => {
        res.off('finish', run);
        res.off('close', run);
        // 'finish': the answer is handed to the OS; the work runs on a later turn of the loop.
        if (!answered || !res.writableFinished) {
          release();
          return;
        }
        setImmediate(() => {
          release();
          for (const f of fns) {
            try {
              f();
            } catch (e: unknown) {
              // Work after the answer cannot fail the call any more: log it and go on.
              base.error({ err: e, requestId }, 'work after an answer failed');
            }
          }
        });
      };
      res.once('finish', run);
      res.once('close', run);
    }
    after.push(fn);
  };
  const ctx = new HttpCallContext(requestId, opts.method, controller.signal, signals.draining, deadlineMs, metadata, base, afterAnswer);
  return {
    ctx,
    answering: () => {
      answered = !controller.signal.aborted && Date.now() < deadlineMs;
    },
    finish: () => {
      if (timer) clearTimeout(timer);
      res.off('close', onClose);
      signals.closing.removeEventListener('abort', onServerClose);
    },
  };
}
