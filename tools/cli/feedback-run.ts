/**
 * `feedback export` and `feedback import` at work: the monitor's labelling queue over gRPC (the
 * client package's MonitorClient), and a labelled CSV published as Feedback on NATS JetStream.
 */
import { connection } from './connection.js';
import { readFile, writeFile } from 'node:fs/promises';
import { MonitorClient, isRpcError } from '../../shared/client/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import { STREAMS, SUBJECTS, encodeFeedback } from '../../shared/events/index.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { CommandError } from './errors.js';
import { connectCliNats } from './nats.js';
import { labelsFromCsv } from './feedback-csv.js';
import type { FeedbackExportOptions, FeedbackImportOptions } from './logs.js';
import { printer } from './output.js';

/** How long to wait for NATS to answer when connecting and for each publish ack. */
const NATS_TIMEOUT_MS = 5000;
/** Limits for MLMESH_FEEDBACK when the CLI has to create it (an existing stream is left as is). */
const FEEDBACK_STREAM_LIMITS = { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 3_600_000 } as const;
/** Publishes in flight at once. */
const PUBLISH_WINDOW = 64;

/** `feedback export`: the labelling queue as CSV (or JSON lines). */
export async function feedbackExport(o: FeedbackExportOptions): Promise<void> {
  const client = new MonitorClient(o.address, { timeoutMs: o.timeoutMs, ...connection() });
  const out = printer(o.json);
  try {
    const res = await client.getLabelQueue({ model: o.model, version: o.version ?? '', windows: o.window ?? [], unlabelled_only: o.unlabelled ?? false, limit: o.limit ?? 0 });
    if (o.json) for (const item of res.items) out.record({ ...item });
    else if (o.out) await writeFile(o.out, res.csv);
    else process.stdout.write(res.csv);
    out.note(`${res.items.length} row${res.items.length === 1 ? '' : 's'} of the labelling queue${o.out && !o.json ? ` written to ${o.out}` : ''}`);
  } catch (e: unknown) {
    if (isRpcError(e)) throw new CommandError(`monitor at ${o.address}: ${e.message}`, { cause: e });
    throw e;
  } finally {
    client.close();
  }
}

/** `feedback import FILE.csv`: checks the whole file, then publishes one Feedback per labelled row. */
export async function feedbackImport(file: string, o: FeedbackImportOptions): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e: unknown) {
    throw new CommandError(`cannot read ${file}: ${errorMessage(e)}`, { cause: e });
  }
  // Throws LabelCsvError naming every bad row: nothing is sent from a refused file.
  const parsed = labelsFromCsv(text, o.model !== undefined ? { model: o.model } : {});
  const out = printer(o.json);
  const summary = { file, labels: parsed.labels.length, unlabelled: parsed.unlabelled, repeated: parsed.repeated, stored: 0, already_stored: 0 };
  if (o.dryRun) {
    for (const l of parsed.labels) out.record({ line: l.line, msg_id: l.msgId, ...l.feedback });
    out.record({ ...summary, dry_run: true }, () => `${summary.labels} labels would be sent (${summary.unlabelled} rows without a label, ${summary.repeated} repeated); nothing sent (--dry-run)`);
    return;
  }
  const nc = await connectCliNats(o.nats);
  try {
    const jsm = await nc.jetstreamManager();
    const exists = await jsm.streams.info(STREAMS.feedback.name).then(
      () => true,
      () => false,
    );
    if (!exists) await ensureStreams(jsm, ['feedback'], FEEDBACK_STREAM_LIMITS);
    const js = nc.jetstream();
    for (let i = 0; i < parsed.labels.length; i += PUBLISH_WINDOW) {
      const acks = await Promise.all(
        parsed.labels.slice(i, i + PUBLISH_WINDOW).map((l) => js.publish(SUBJECTS.feedback(l.feedback.model as string), encodeFeedback(l.feedback), { msgID: l.msgId, timeout: NATS_TIMEOUT_MS })),
      );
      for (const a of acks) {
        if (a.duplicate) summary.already_stored++;
        else summary.stored++;
      }
    }
    out.record(summary, () => `${summary.stored} labels stored, ${summary.already_stored} already stored (sent before), ${summary.unlabelled} rows without a label, ${summary.repeated} repeated in the file`);
  } catch (e: unknown) {
    throw new CommandError(`publishing to ${o.nats} failed after ${summary.stored + summary.already_stored} of ${parsed.labels.length} labels: ${errorMessage(e)} (importing the file again is safe: a label counts once per row)`, { cause: e });
  } finally {
    await nc.close();
  }
}
