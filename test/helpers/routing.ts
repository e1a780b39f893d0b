/**
 * Test helper for routing: a private nats-server, an inference service on a private repository
 * in which version 1 of a model is copied as further versions (same model.onnx and manifest:
 * enough for routing, which only cares which version answers), all of them served
 * (version_policy all), and a RouteStore on the same NATS to write routes with.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type { NatsConnection } from 'nats';
import { STREAMS, decodeModelEvent, decodePredictionLog } from '../../shared/events/index.js';
import type { ModelEvent__Output, PredictionLog__Output, Route } from '../../shared/events/index.js';
import { RouteStore } from '../../shared/routes/index.js';
import type { RouteEntry } from '../../shared/routes/index.js';
import type { InferenceConfig } from '../../services/inference/index.js';
import { NatsServer } from './nats-server.js';
import { copyRepository, exampleConfig, startInference, waitFor } from './inference.js';
import type { InferenceFixture } from './inference.js';

/** A running routing setup. */
export interface RoutingFixture {
  nats: NatsServer;
  f: InferenceFixture;
  /** A connection of the test's own to the private NATS. */
  nc: NatsConnection;
  store: RouteStore;
  model: string;
  /** Writes a route and waits until the service has it in force. */
  setRoute(route: Omit<Route, 'model'>): Promise<RouteEntry>;
  /** Adds version `v` (a copy of version 1) and reloads the model so that it is served. */
  addVersion(v: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts NATS and inference with `model` served at versions 1..`versions` (copies of 1). */
export async function startRouting(opts: { model?: string; versions?: number; configPatch?: Record<string, unknown>; overrides?: Partial<InferenceConfig> } = {}): Promise<RoutingFixture> {
  const model = opts.model ?? 'digits_mlp';
  const nats = await NatsServer.start();
  const repo = await copyRepository([model]);
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  for (let v = 2; v <= (opts.versions ?? 2); v++) await cp(join(repo, model, '1'), join(repo, model, String(v)), { recursive: true });
  await writeFile(join(repo, model, 'config.json'), exampleConfig(model, { version_policy: { all: {} }, ...opts.configPatch }));
  const f = await startInference({ repo, overrides: { natsUrl: nats.url, spoolDir: spool, ...opts.overrides } });
  const nc = await connect({ servers: nats.url });
  const store = await RouteStore.create(nc);
  return {
    nats,
    f,
    nc,
    store,
    model,
    async setRoute(route) {
      const entry = await store.put({ written_by: 'test', ...route, model });
      const rev = Number(entry.route.revision);
      await waitFor(() => f.service.routes?.routeOf(model)?.revision === rev, 10_000, `route revision ${rev} in force`);
      return entry;
    },
    async addVersion(v) {
      await cp(join(repo, model, '1'), join(repo, model, String(v)), { recursive: true });
      await f.client.load(model);
    },
    async stop() {
      await nc.close().catch(() => undefined);
      await f.stop();
      await nats.dispose();
      await rm(repo, { recursive: true, force: true });
      await rm(spool, { recursive: true, force: true });
    },
  };
}

async function readStream<T>(nc: NatsConnection, stream: string, decode: (b: Uint8Array) => T): Promise<T[]> {
  const jsm = await nc.jetstreamManager();
  const total = (await jsm.streams.info(stream)).state.messages;
  const ci = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await nc.jetstream().consumers.get(stream, ci.name);
  const out: T[] = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2000 });
    for await (const m of batch) out.push(decode(m.data));
  }
  await jsm.consumers.delete(stream, ci.name);
  return out;
}

/** Every PredictionLog stored so far. */
export function predictionLogs(nc: NatsConnection): Promise<PredictionLog__Output[]> {
  return readStream(nc, STREAMS.predictions.name, decodePredictionLog);
}

/** Every ModelEvent stored so far (the model events of MLMESH_EVENTS). */
export async function modelEvents(nc: NatsConnection): Promise<ModelEvent__Output[]> {
  const jsm = await nc.jetstreamManager();
  const stream = STREAMS.events.name;
  const total = (await jsm.streams.info(stream)).state.messages;
  if (total === 0) return [];
  const ci = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, filter_subject: 'mlmesh.events.model.>' });
  const consumer = await nc.jetstream().consumers.get(stream, ci.name);
  const pending = (await consumer.info()).num_pending;
  const out: ModelEvent__Output[] = [];
  while (out.length < pending) {
    const batch = await consumer.fetch({ max_messages: pending - out.length, expires: 2000 });
    for await (const m of batch) out.push(decodeModelEvent(m.data));
  }
  await jsm.consumers.delete(stream, ci.name);
  return out;
}

/** True when `observed` of `n` is within `sigmas` binomial standard deviations of n·p. */
export function withinBinomial(observed: number, n: number, p: number, sigmas = 4): boolean {
  return Math.abs(observed - n * p) <= sigmas * Math.sqrt(n * p * (1 - p));
}
