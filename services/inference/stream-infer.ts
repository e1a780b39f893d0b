/**
 * ModelStreamInfer, as Triton serves it: many ModelInferRequests on one bidirectional stream,
 * each answered by one ModelStreamInferResponse as soon as it is done (so possibly out of order;
 * the request's `id` comes back in `infer_response.id` to correlate). A request that fails gets
 * `error_message` (with its `id`, model and version in `infer_response`) and the stream goes on.
 * Every request runs exactly as a unary ModelInfer ({@link inferCall}): routing, validation,
 * batching, split, prediction log, metrics and statistics; authorization (the `data` role) is
 * checked once when the stream opens.
 */
import { LoggingCallContext, abortReason, isValidRequestId, statusName, toGrpcStatus } from '../../shared/grpc/index.js';
import type { CallContext, CancelSignal, StreamMessage } from '../../shared/grpc/index.js';
import type * as grpc from '@grpc/grpc-js';
import type { ModelInferRequest__Output } from '../../shared/generated/inference/ModelInferRequest.js';
import type { ModelStreamInferResponse } from '../../shared/generated/inference/ModelStreamInferResponse.js';
import { Code, UnavailableError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { inferCall } from './infer-call.js';
import type { HandlerDeps } from './infer-call.js';

/**
 * Requests of one stream being served at once. When as many are in flight, the stream is not
 * read further until one is answered, so one client cannot queue without bound (HTTP/2 flow
 * control holds it back); the batcher's own queue limit still applies across clients.
 */
export const STREAM_MAX_INFLIGHT = 256;

/**
 * Response parameter of a failed request's answer: the status name a unary ModelInfer would
 * have ended with (e.g. `INVALID_ARGUMENT`), since Triton's `error_message` carries only the
 * message. Clients that know only Triton's fields ignore it.
 */
export const STREAM_STATUS_PARAMETER = 'mlmesh_status';

function statusParameter(code: number): Record<string, { string_param: string }> {
  return { [STREAM_STATUS_PARAMETER]: { string_param: statusName(code) } };
}

/**
 * A request's own context within the stream's: its id, its logger, its after-answer work. A
 * class, not an object literal with getters: such a literal made per request keeps what each
 * scavenge copies high (see ServerCallContext in shared/grpc/server.ts).
 */
class StreamRequestContext extends LoggingCallContext implements CallContext {
  readonly cancel: CancelSignal;
  readonly draining: AbortSignal;
  readonly deadlineMs: number;
  readonly metadata: grpc.Metadata;
  readonly debug: boolean;

  constructor(
    private readonly stream: CallContext,
    readonly requestId: string,
    private readonly sent: (fn: () => void) => void,
  ) {
    super();
    this.cancel = stream.cancel;
    this.draining = stream.draining;
    this.deadlineMs = stream.deadlineMs;
    this.metadata = stream.metadata;
    this.debug = stream.debug;
  }

  /** The stream's logger: its lines carry the stream's fields too. */
  protected parentLogger(): Logger {
    return this.stream.log;
  }

  protected logFields(): Record<string, unknown> {
    return { requestId: this.requestId };
  }

  get signal(): AbortSignal {
    return this.stream.signal;
  }

  afterAnswer(fn: () => void): void {
    this.sent(fn);
  }
}

/** A request's context within the stream's; its id is the message's when valid, else the stream's id and the position. */
function requestContext(stream: CallContext, req: ModelInferRequest__Output, seq: number, sent: (fn: () => void) => void): CallContext {
  return new StreamRequestContext(stream, isValidRequestId(req.id) ? req.id : `${stream.requestId}.${seq}`, sent);
}

/**
 * Serves one ModelStreamInfer call: reads requests until the client half-closes, answers each,
 * then resolves once every answer is written (the call then ends OK). When the call is
 * cancelled or its deadline passes, the requests still queued leave the batcher at once (they
 * share the call's signal) and nothing more is written.
 */
export async function streamInfer(
  d: HandlerDeps,
  requests: AsyncIterable<StreamMessage<ModelInferRequest__Output>>,
  ctx: CallContext,
  send: (m: ModelStreamInferResponse) => Promise<void>,
): Promise<void> {
  let inflight = 0;
  let slotFree: (() => void) | undefined;
  const pending = new Set<Promise<void>>();
  let seq = 0;

  const serve = async (msg: StreamMessage<ModelInferRequest__Output>, n: number): Promise<void> => {
    let after: (() => void)[] | undefined;
    let answer: ModelStreamInferResponse;
    if (!msg.ok) {
      const st = toGrpcStatus(msg.error, ctx.requestId);
      answer = { error_message: st.details, infer_response: { id: '', parameters: statusParameter(st.code) } };
    } else {
      const req = msg.request;
      const rctx = requestContext(ctx, req, n, (fn) => (after ??= []).push(fn));
      try {
        answer = { error_message: '', infer_response: await inferCall(d, req, rctx) };
      } catch (e: unknown) {
        if (ctx.cancel.aborted) return;
        const st = toGrpcStatus(e, rctx.requestId);
        // As the gRPC server logs a failed call: the server's own failures as errors, the rest as info.
        if ((st.code as number) === (Code.INTERNAL as number) || (st.code as number) === (Code.UNKNOWN as number)) rctx.log.error({ err: e, code: statusName(st.code) }, st.details);
        else rctx.log.info({ code: statusName(st.code) }, st.details);
        answer = { error_message: st.details, infer_response: { id: req.id, model_name: req.model_name, model_version: req.model_version, parameters: statusParameter(st.code) } };
      }
    }
    if (ctx.cancel.aborted) return;
    await send(answer);
    // Work that waits for the answer (the prediction log) runs once it is handed to the transport.
    const fns = after;
    if (fns) {
      setImmediate(() => {
        for (const fn of fns) {
          try {
            fn();
          } catch (e: unknown) {
            // The answer is out: a failure here cannot fail the request any more, only be logged.
            ctx.log.error({ err: e }, 'work after a stream answer failed');
          }
        }
      });
    }
  };

  // A graceful stop (drain) stops reading: what was read is answered, then the call ends
  // UNAVAILABLE so the client reopens a stream elsewhere (requests it wrote after that point
  // were not served: they got no answer).
  let onDrain: (() => void) | undefined;
  const drained = new Promise<'drain'>((resolve) => {
    onDrain = () => resolve('drain');
    if (ctx.draining.aborted) onDrain();
    else ctx.draining.addEventListener('abort', onDrain, { once: true });
  });
  const it = requests[Symbol.asyncIterator]();
  let draining = false;
  try {
    for (;;) {
      const next = await Promise.race([it.next(), drained]);
      if (next === 'drain') {
        draining = true;
        // The read still waiting ends when the call does (the server stops the iterator then).
        void it.return?.();
        break;
      }
      if (next.done) break;
      const n = seq++;
      inflight++;
      const p = serve(next.value, n)
        .catch((e: unknown) => {
          // Only `send` can reject here, once the call has ended (cancelled): nothing to answer.
          if (!ctx.signal.aborted) ctx.log.warn({ err: e }, 'stream answer not sent');
        })
        .finally(() => {
          inflight--;
          pending.delete(p);
          const w = slotFree;
          slotFree = undefined;
          w?.();
        });
      pending.add(p);
      if (inflight >= STREAM_MAX_INFLIGHT) await Promise.race([new Promise<void>((r) => (slotFree = r)), drained]);
    }
  } finally {
    // The server's draining signal outlives the stream: leave no listener on it.
    if (onDrain) ctx.draining.removeEventListener('abort', onDrain);
  }
  await Promise.all([...pending]);
  // Cancelled or past its deadline: the call ends with that status (the client has gone anyway).
  if (ctx.cancel.aborted) throw abortReason(ctx.cancel);
  if (draining) throw new UnavailableError('the server is draining: the requests answered are all that were served; reopen the stream');
}
