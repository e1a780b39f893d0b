/**
 * The process of the open-loop generator (forked by open-loop.ts): sends a prepared gRPC frame
 * over `connections` HTTP/2 sessions (node:http2, no gRPC library, no protobuf work per call) on
 * a fixed schedule, whatever the answers do, and records for each request its scheduled time,
 * the time it was actually handed to HTTP/2, and the time its trailers arrived.
 *
 * Pacing: request i is due at `start + t_i` (t_i = i / rate, or a Poisson process's arrival
 * times). A pump sends every request that is due; it runs from a timer armed for the next due
 * time (libuv timers have 1 ms resolution) and after every answer (so at a few thousand req/s,
 * with answers arriving, most sends leave well under 1 ms late). Lateness is recorded, not
 * hidden: latency is measured from the scheduled time, so a late send, like a queued request,
 * counts in full (no coordinated omission).
 */
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { status } from '@grpc/grpc-js';
import { schedule } from './schedule.js';

/** Sent by the parent to start. */
export interface OpenLoopTask {
  target: string;
  path: string;
  frame: Uint8Array;
  rate: number;
  durationS: number;
  connections: number;
  arrivals: 'constant' | 'poisson';
  seed: number;
  deadlineMs: number;
}

/** Sent to the parent at the end; times in ms from the start of the schedule. */
export interface OpenLoopReport {
  type: 'done';
  /** Scheduled send time of each request sent. */
  scheduledMs: Float64Array;
  /** Time each request was handed to HTTP/2. */
  sentMs: Float64Array;
  /** Time its answer was complete, or NaN for a failed request. */
  doneMs: Float64Array;
  errors: Record<string, number>;
  /** CPU time (user + system) this process used from the first send to the last answer, ms. */
  cpuMs: number;
  /** Wall time of the same span, ms. */
  wallMs: number;
}

function connect(target: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://${target}`);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function run(task: OpenLoopTask): Promise<void> {
  const frame = Buffer.from(task.frame);
  const sessions = await Promise.all(Array.from({ length: task.connections }, () => connect(task.target)));
  const errors: Record<string, number> = {};
  const fail = (name: string) => (errors[name] = (errors[name] ?? 0) + 1);
  for (const s of sessions) s.on('error', () => fail('SESSION_ERROR'));
  const plan = schedule(task.rate, task.durationS, task.arrivals, task.seed);
  const n = plan.length;
  const sentMs = new Float64Array(n);
  const doneMs = new Float64Array(n).fill(NaN);
  let next = 0;
  let inFlight = 0;
  // Streams in flight in send order, for the deadline sweep (one timer, not one per stream).
  const open = new Map<number, http2.ClientHttp2Stream>();
  const expired = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  // A little ahead, so the first requests are not late because of the set-up around them.
  const start = performance.now() + 20;

  const send = (i: number, now: number) => {
    sentMs[i] = now - start;
    inFlight++;
    const req = (sessions[i % sessions.length] as http2.ClientHttp2Session).request({ ':method': 'POST', ':path': task.path, 'content-type': 'application/grpc', te: 'trailers' });
    open.set(i, req);
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    req.on('response', (h) => {
      httpStatus = Number(h[':status']);
      // A trailers-only answer (an error) carries grpc-status in the headers.
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
    });
    req.on('trailers', (t: http2.IncomingHttpHeaders) => {
      if (t['grpc-status'] !== undefined) grpcStatus = String(t['grpc-status']);
    });
    req.on('data', () => undefined);
    req.on('error', () => undefined); // counted on 'close' below, by what was received
    req.on('close', () => {
      inFlight--;
      open.delete(i);
      if (expired.has(i)) fail('DEADLINE_EXCEEDED');
      else if (httpStatus !== 200) fail(httpStatus ? `HTTP_${httpStatus}` : 'TRANSPORT');
      else if (grpcStatus === undefined) fail('NO_GRPC_STATUS');
      else if (grpcStatus !== '0') fail(status[Number(grpcStatus)] ?? `GRPC_${grpcStatus}`);
      else doneMs[i] = performance.now() - start;
      pump();
      if (next === n && inFlight === 0) finish();
    });
    req.end(frame);
  };

  function pump(): void {
    const now = performance.now();
    while (next < n && start + (plan[next] as number) <= now) send(next++, now);
    if (next < n && timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        pump();
      }, Math.max(0, start + (plan[next] as number) - now));
    }
  }

  let cpu0 = process.cpuUsage();
  const sweep = setInterval(() => {
    const now = performance.now() - start;
    for (const [i, req] of open) {
      if (now - (sentMs[i] as number) < task.deadlineMs) break;
      if (expired.has(i)) continue;
      expired.add(i);
      req.close(http2.constants.NGHTTP2_CANCEL);
    }
  }, 100);
  timer = setTimeout(() => {
    timer = undefined;
    cpu0 = process.cpuUsage();
    pump();
  }, 20);
  if (n === 0) finish();
  await finished;
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - start;
  clearInterval(sweep);
  for (const s of sessions) s.close();
  const report: OpenLoopReport = { type: 'done', scheduledMs: plan, sentMs, doneMs, errors, cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
  process.send?.(report, () => process.exit(0));
}

process.once('message', (task: OpenLoopTask) => {
  void run(task);
});
