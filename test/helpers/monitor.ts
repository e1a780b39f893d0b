/**
 * Starts the drift monitor for tests: in-process on 127.0.0.1:0 with a fresh state folder, a
 * private NATS (the caller's NatsServer) and the given repository, plus a typed gRPC client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { AckPolicy, DeliverPolicy } from 'nats';
import type { NatsConnection } from 'nats';
import { STREAMS, SUBJECTS, decodeDriftReport } from '../../shared/events/index.js';
import type { DriftReport__Output } from '../../shared/events/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createClient, loadProtos } from '../../shared/grpc/index.js';
import { MONITOR_SERVICE, MonitorService } from '../../services/monitor/index.js';
import type { MonitorConfig } from '../../services/monitor/index.js';
import type { MonitorServiceClient } from '../../shared/generated/mlmesh/monitor/v1/MonitorService.js';

/** A running monitor. */
export interface MonitorFixture {
  service: MonitorService;
  client: MonitorServiceClient;
  http: string;
  stateDir: string;
  stop(): Promise<void>;
}

/** The monitor's protos (for clients). */
export const monitorPackage = loadProtos(['mlmesh/monitor/v1/monitor.proto']);

/** A client for a monitor at `address`. */
export function monitorClient(address: string): MonitorServiceClient {
  return createClient<grpc.Client>(monitorPackage, MONITOR_SERVICE, address) as unknown as MonitorServiceClient;
}

/** Starts a monitor; `stateDir` reuses a folder (restart tests), else a fresh one is made and removed on stop. */
export async function startMonitor(opts: { natsUrl: string; repo: string; stateDir?: string; overrides?: Partial<MonitorConfig> }): Promise<MonitorFixture> {
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'mlmesh-monitor-')));
  const service = await MonitorService.create({
    env: {},
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: opts.natsUrl, modelRepository: opts.repo, stateDir, ...opts.overrides },
    logger: createLogger({ service: 'monitor-test', level: process.env['LOG_LEVEL'] ?? 'warn' }),
  });
  const client = monitorClient(`127.0.0.1:${service.grpcPort}`);
  return {
    service,
    client,
    http: `http://127.0.0.1:${service.httpPort}`,
    stateDir,
    async stop() {
      client.close();
      await service.drain();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Calls a unary method of the monitor client as a promise. */
export function call<Res>(client: MonitorServiceClient, method: string, req: object, deadlineMs = 30_000): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    const fn = (client as unknown as Record<string, (r: object, o: object, cb: (e: Error | null, r: Res) => void) => void>)[method] as (r: object, o: object, cb: (e: Error | null, r: Res) => void) => void;
    fn.call(client, req, { deadline: Date.now() + deadlineMs }, (e, r) => (e ? reject(e) : resolve(r)));
  });
}

/**
 * Every DriftReport of `model` in the events stream, by window index: read with an ephemeral
 * consumer that is deleted afterwards (none while the stream is empty).
 */
export async function driftReports(nc: NatsConnection, model: string): Promise<DriftReport__Output[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(STREAMS.events.name);
  if (info.state.messages === 0) return [];
  const ci = await jsm.consumers.add(STREAMS.events.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, filter_subject: SUBJECTS.drift(model) });
  const consumer = await nc.jetstream().consumers.get(STREAMS.events.name, ci.name);
  const out: DriftReport__Output[] = [];
  for await (const m of await consumer.fetch({ max_messages: 1000, expires: 1000 })) out.push(decodeDriftReport(m.data));
  await jsm.consumers.delete(STREAMS.events.name, ci.name);
  return out.sort((a, b) => Number(a.window_index) - Number(b.window_index));
}
