/**
 * What the chaos run reads back from NATS when the load is over: every credit prediction log in
 * MLMESH_PREDICTIONS (stream sequence, request id, rows) and every drift report of the model on
 * MLMESH_EVENTS (the window each covers, as stream sequences), after waiting for the monitor's
 * consumer to have applied the whole stream.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import type { JetStreamClient, JsMsg, NatsConnection } from 'nats';
import { SUBJECTS, STREAMS, decodeDriftReport, decodePredictionLog } from '../../shared/events/index.js';

/** One prediction log in the stream. */
export interface StreamLog {
  seq: number;
  requestId: string;
  /** The log's own id (meta.event_id, its Nats-Msg-Id): the same on a replay of one prediction, new for each prediction. */
  eventId: string;
  rows: number;
}

/** One closed window, from its drift report. */
export interface StreamWindow {
  reportId: string;
  windowIndex: number;
  rows: number;
  firstSeq: number;
  lastSeq: number;
  firstRow: number;
  lastRow: number;
}

/** What the stream holds for the model. */
export interface StreamContents {
  logs: StreamLog[];
  /** One per distinct report id (a window closed again after a crash keeps its id). */
  windows: StreamWindow[];
  /** Reports published more than once with the same id (stored twice in MLMESH_EVENTS despite its duplicate window). */
  repeatedReports: number;
  /** Whether the monitor's consumer had applied every message when the stream was read. */
  monitorCaughtUp: boolean;
}

async function readAll(js: JetStreamClient, stream: string, subject: string, each: (m: JsMsg) => void): Promise<void> {
  const consumer = await js.consumers.get(stream, { filterSubjects: subject });
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1500 });
    let n = 0;
    for await (const m of batch) {
      each(m);
      n++;
    }
    if (n === 0) return;
  }
}

async function waitMonitor(nc: NatsConnection, durable: string, timeoutMs: number): Promise<boolean> {
  const jsm = await nc.jetstreamManager();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const info = await jsm.consumers.info(STREAMS.predictions.name, durable);
      if (info.num_pending === 0 && info.num_ack_pending === 0) return true;
    } catch {
      // the consumer is not there (yet): the monitor has not connected; ask again
    }
    await sleep(250);
  }
  return false;
}

/**
 * Reads the model's logs and windows from `natsUrl`, once the monitor's durable consumer has
 * applied every message (or `timeoutMs` has passed: `monitorCaughtUp` false).
 */
export async function readStream(natsUrl: string, model: string, durable = 'mlmesh-monitor', timeoutMs = 60_000): Promise<StreamContents> {
  const nc = await connect({ servers: natsUrl });
  try {
    const monitorCaughtUp = await waitMonitor(nc, durable, timeoutMs);
    // A window closed by the last batch publishes its report right after the ack: give it a moment.
    await sleep(1000);
    const js = nc.jetstream();
    const logs: StreamLog[] = [];
    await readAll(js, STREAMS.predictions.name, SUBJECTS.predictionsOf(model), (m) => {
      const log = decodePredictionLog(m.data);
      if (log.model !== model) return;
      const rows = Number(log.outputs[0]?.shape[0] ?? 1);
      logs.push({ seq: m.seq, requestId: log.request_id, eventId: log.meta?.event_id ?? '', rows });
    });
    const byId = new Map<string, StreamWindow>();
    let repeatedReports = 0;
    await readAll(js, STREAMS.events.name, SUBJECTS.drift(model), (m) => {
      const r = decodeDriftReport(m.data);
      if (r.model !== model) return;
      if (byId.has(r.report_id)) {
        repeatedReports++;
        return;
      }
      byId.set(r.report_id, { reportId: r.report_id, windowIndex: Number(r.window_index), rows: Number(r.rows), firstSeq: Number(r.first_sequence), lastSeq: Number(r.last_sequence), firstRow: r.first_row, lastRow: r.last_row });
    });
    return { logs, windows: [...byId.values()].sort((a, b) => a.firstSeq - b.firstSeq || a.firstRow - b.firstRow), repeatedReports, monitorCaughtUp };
  } finally {
    await nc.close();
  }
}
