/** Shared setup of the retrainer dataset tests: a private nats-server, publishers, a small base. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import type { JetStreamClient, NatsConnection } from 'nats';
import { encodeFeedback, encodePredictionLog, SUBJECTS } from '../../shared/events/index.js';
import type { Feedback } from '../../shared/events/index.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { readDataset, writeDataset } from '../../services/retrainer/dataset.js';
import type { BuildSnapshotOptions } from '../../services/retrainer/dataset.js';
import { DATASET_FORMAT, SOURCE_BASE } from '../../services/retrainer/types.js';
import type { DatasetManifest, LoadedDataset } from '../../services/retrainer/types.js';
import { NatsServer } from './nats-server.js';

export interface Ctx {
  nats: NatsServer;
  nc: NatsConnection;
  js: JetStreamClient;
  tmp: string;
}

export async function startCtx(): Promise<Ctx> {
  const nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url });
  await ensureStreams(await nc.jetstreamManager(), ['predictions', 'feedback'], { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 60_000 });
  return { nats, nc, js: nc.jetstream(), tmp: await mkdtemp(join(tmpdir(), 'mlmesh-dataset-')) };
}

/** Options of a log: rows of features (each row's length is the tensor's width). */
export interface LogOpts {
  shadow?: boolean;
  inputsOmitted?: boolean;
  tensor?: string;
  version?: string;
}

/** Publishes a PredictionLog of `rows` (FP32) and returns its stream sequence. */
export async function publishLog(js: JetStreamClient, model: string, requestId: string, rows: number[][], o: LogOpts = {}): Promise<number> {
  const width = rows[0]?.length ?? 0;
  const raw = Buffer.from(new Float32Array(rows.flat()).buffer);
  const version = o.version ?? '1';
  const log = encodePredictionLog({
    request_id: requestId,
    model,
    version,
    inputs: o.inputsOmitted ? [] : [{ name: o.tensor ?? 'input', datatype: 'FP32', shape: [rows.length, width], raw }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [rows.length, 1], raw: Buffer.from(new Float32Array(rows.length).buffer) }],
    inputs_omitted: o.inputsOmitted ?? false,
    shadow: o.shadow ?? false,
  });
  return (await js.publish(SUBJECTS.prediction(model, version), log)).seq;
}

/** Publishes a Feedback and returns its stream sequence. */
export async function publishFeedback(js: JetStreamClient, model: string, fb: Omit<Feedback, 'model'>): Promise<number> {
  return (await js.publish(SUBJECTS.feedback(model), encodeFeedback({ model, ...fb }))).seq;
}

export const CLASSES = ['cat', 'dog', 'eel'];

/** A 3-feature classification base: train rows [i, i, i] (i = 0..3) of class i % 3, holdout [10+i] of class i. */
export async function makeBase(root: string, model: string): Promise<LoadedDataset> {
  const manifest: Omit<DatasetManifest, 'files'> = {
    format: DATASET_FORMAT,
    model,
    parent_version: null,
    task: 'classification',
    classes: CLASSES,
    feature_count: 3,
    input: 'input',
    sources: { base: { dataset_sha256: null, train_rows: 4, holdout_rows: 2 }, logged: { train_rows: 0, holdout_rows: 0, ranges: [] } },
    label_join: { logged_rows: 0, labelled_rows: 0, coverage: 0, feedback_messages: 0, feedback_unmatched: 0 },
    split: { seed: 0, holdout_fraction: 0.25 },
    created_at: '2026-12-01T00:00:00Z',
    produced_by: 'test',
  };
  const train = { rows: 4, x: Float32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]), y: Float64Array.from([0, 1, 2, 0]), source: new Uint8Array(4).fill(SOURCE_BASE) };
  const holdout = { rows: 2, x: Float32Array.from([10, 10, 10, 11, 11, 11]), y: Float64Array.from([0, 1]), source: new Uint8Array(2).fill(SOURCE_BASE) };
  const w = await writeDataset(root, manifest, { train, holdout });
  return readDataset(w.path, w.sha256);
}

/** Options of buildSnapshot for a test model, overridable. */
export function snapshotOptions(ctx: Ctx, model: string, over: Partial<BuildSnapshotOptions> = {}): BuildSnapshotOptions {
  return {
    nc: ctx.nc,
    model,
    parentVersion: '1',
    base: null,
    range: { firstSequence: 1 },
    monitoring: { input: 'input', featureCount: 3 },
    task: 'classification',
    classes: CLASSES,
    seed: 7,
    holdoutFraction: 0.5,
    maxLoggedRows: 1000,
    rootDir: join(ctx.tmp, model, 'datasets'),
    createdAt: '2026-12-01T12:00:00Z',
    producedBy: 'test',
    ...over,
  };
}

/** Rows of a part as arrays of numbers. */
export function rowsOf(x: Float32Array, featureCount: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < x.length; i += featureCount) out.push([...x.subarray(i, i + featureCount)]);
  return out;
}
