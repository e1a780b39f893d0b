/**
 * Steady load through the gateway for the chaos run: one Predict of one credit application every
 * 1/rate s (open loop: a slow answer does not delay the next request), by the project's client
 * (shared/client) with its retry on. Each request has its own id (`x-request-id`, which the
 * gateway passes to inference as the prediction log's `request_id`), and its outcome is kept:
 * `ok` (answered with a prediction at the first attempt), `retried` (answered with a prediction
 * after the client's retry: a failure the retry hid), `failed` (the call failed, or was answered
 * with an error for the row). The attempts are read from grpc-js's `grpc-previous-rpc-attempts`
 * metadata by a client interceptor.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GatewayClient, REQUEST_ID_KEY } from '../../shared/client/index.js';
import type { PlainRow } from '../../shared/client/index.js';
import { projectRoot } from '../../shared/config/index.js';
import { readCsvObjects } from '../../services/features/index.js';

/** One request of the load. */
export interface Sent {
  id: string;
  /** Epoch ms it was sent and settled. */
  sentMs: number;
  doneMs: number | undefined;
  outcome: 'pending' | 'ok' | 'retried' | 'failed';
  /** Attempts the client made (1 without retry). */
  attempts: number;
  /** The status name (or `ROW_ERROR:<code>`) of a failure. */
  error: string | undefined;
  /** The failure's message. */
  message: string | undefined;
}

/** The credit applications as gateway rows (request-time fields). */
export async function applicationRows(limit = 1000): Promise<PlainRow[]> {
  const rows: PlainRow[] = [];
  for await (const { row } of readCsvObjects(join(projectRoot(), 'examples/credit/data/applications.csv'))) {
    const r: Record<string, string | number> = { applicant_id: row['user_id'] as string, loan_amount: Number(row['loan_amount']), term_months: Number(row['term_months']), channel: row['channel'] as string };
    if (row['income']) r['income'] = Number(row['income']);
    if (row['employment']) r['employment'] = row['employment'];
    rows.push(r);
    if (rows.length >= limit) break;
  }
  return rows;
}

/** The running load. */
export class Load {
  readonly sent: Sent[] = [];
  private readonly byId = new Map<string, Sent>();
  private readonly client: GatewayClient;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private readonly inflight = new Set<Promise<void>>();

  /**
   * @param gateway the gateway's gRPC address
   * @param rate requests per second
   * @param rows the rows to send, in turn
   * @param prefix request id prefix (ids are `<prefix>-<n>`)
   */
  constructor(
    gateway: string,
    private readonly rate: number,
    private readonly rows: readonly PlainRow[],
    private readonly prefix: string,
    private readonly timeoutMs = 5000,
  ) {
    const attempts = (id: string, md: grpc.Metadata): void => {
      const s = this.byId.get(id);
      const prev = Number(md.get('grpc-previous-rpc-attempts')[0] ?? 0);
      if (s && prev + 1 > s.attempts) s.attempts = prev + 1;
    };
    const interceptor: grpc.Interceptor = (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, _listener, next) {
          const id = String(metadata.get(REQUEST_ID_KEY)[0] ?? '');
          next(metadata, {
            onReceiveMetadata(md, nxt) {
              attempts(id, md);
              nxt(md);
            },
            onReceiveStatus(status, nxt) {
              attempts(id, status.metadata);
              nxt(status);
            },
          });
        },
      });
    // The client's own retry policy (the defaults: 3 attempts on UNAVAILABLE); the interceptor only reads.
    this.client = new GatewayClient(gateway, { timeoutMs, channelOptions: { interceptors: [interceptor] } });
  }

  /** Starts sending. */
  start(): void {
    const period = 1000 / this.rate;
    const t0 = Date.now();
    let n = 0;
    const tick = (): void => {
      // Catch up on ticks a busy event loop delayed, so the rate holds on average.
      const due = Math.floor((Date.now() - t0) / period) + 1;
      while (n < due) {
        n++;
        this.fire();
      }
      this.timer = setTimeout(tick, Math.max(1, t0 + n * period - Date.now()));
    };
    tick();
  }

  private fire(): void {
    const id = `${this.prefix}-${this.next}`;
    const row = this.rows[this.next % this.rows.length] as PlainRow;
    this.next++;
    const s: Sent = { id, sentMs: Date.now(), doneMs: undefined, outcome: 'pending', attempts: 1, error: undefined, message: undefined };
    this.sent.push(s);
    this.byId.set(id, s);
    const p = this.client
      .predictRows('credit', [row], { requestId: id, timeoutMs: this.timeoutMs })
      .then((res) => {
        const r = res.rows[0];
        if (r?.prediction) s.outcome = s.attempts > 1 ? 'retried' : 'ok';
        else {
          s.outcome = 'failed';
          s.error = `ROW_ERROR:${r?.errors[0]?.code ?? 'none'}`;
          s.message = r?.errors[0]?.message;
        }
      })
      .catch((e: unknown) => {
        s.outcome = 'failed';
        s.error = (e as { codeName?: string }).codeName ?? (e instanceof Error ? e.name : String(e));
        s.message = e instanceof Error ? e.message.slice(0, 300) : undefined;
      })
      .finally(() => {
        s.doneMs = Date.now();
        this.inflight.delete(p);
      });
    this.inflight.add(p);
  }

  /** Stops sending and waits for the requests in flight to settle. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inflight]);
    this.client.close();
  }
}
