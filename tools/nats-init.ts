/**
 * Provisions the mesh's JetStream state before the services start: the MLMESH_* streams and the
 * KV buckets (mlmesh_routes, mlmesh_rollouts, mlmesh_retrainer), with `--replicas` copies each
 * in a JetStream cluster. The Kubernetes Job `nats-init` runs it (deploy/kubernetes,
 * docs/kubernetes.md):
 *
 *   node dist/tools/nats-init.js --nats nats://nats:4222 --replicas 3
 *
 * Idempotent: a missing stream or bucket is created; one that exists gets `--replicas` (so an R1
 * stream a service created before the Job ran is scaled up), the streams their limits too; KV
 * history is set only when a bucket is created (the services create theirs with the same).
 * The services' own calls at start (ensureStreams without replicas, views.kv) keep what this set.
 * Exit codes: 0 done, 1 NATS refused or could not be reached, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import type { JetStreamManager, NatsConnection } from 'nats';
import { KV_BUCKETS } from '../shared/events/index.js';
import { errorMessage } from '../shared/errors/index.js';
import { ensureStreams } from '../shared/nats/index.js';
import type { StreamLimits } from '../shared/nats/index.js';
import { INFERENCE_OPTIONS } from '../services/inference/index.js';
import { ROLLOUT_OPTIONS } from '../services/rollout/index.js';

/** Values kept per key of each KV bucket when it is created: the same as the services that create them. */
export const KV_HISTORY: Readonly<Record<string, number>> = {
  // shared/routes RouteStore.create
  [KV_BUCKETS.routes]: 10,
  // services/rollout stateHistory
  mlmesh_rollouts: ROLLOUT_OPTIONS.stateHistory.default,
  [KV_BUCKETS.retrainer]: 5,
};

/** The streams' limits: the inference service's defaults (it is the producer that sets them). */
export const DEFAULT_LIMITS: StreamLimits = {
  maxAgeMs: INFERENCE_OPTIONS.streamMaxAgeS.default * 1000,
  maxBytes: INFERENCE_OPTIONS.streamMaxBytes.default,
  duplicateWindowMs: INFERENCE_OPTIONS.duplicateWindowS.default * 1000,
};

/** What {@link provision} did to each stream and bucket. */
export interface ProvisionResult {
  name: string;
  kind: 'stream' | 'kv';
  replicas: number;
}

/**
 * Creates or updates the streams and buckets with `replicas` copies each.
 * @throws InvalidArgumentError for a bad `replicas`; the server's error when it refuses one (e.g.
 * more replicas than JetStream servers).
 */
export async function provision(nc: NatsConnection, replicas: number, limits: StreamLimits = DEFAULT_LIMITS): Promise<ProvisionResult[]> {
  const jsm = await nc.jetstreamManager();
  await ensureStreams(jsm, ['predictions', 'feedback', 'events'], limits, { replicas });
  const js = nc.jetstream();
  for (const [bucket, history] of Object.entries(KV_HISTORY)) {
    const stream = `KV_${bucket}`;
    if (await exists(jsm, stream)) await jsm.streams.update(stream, { num_replicas: replicas });
    else await js.views.kv(bucket, { history, replicas });
  }
  const out: ProvisionResult[] = [];
  for (const name of ['MLMESH_PREDICTIONS', 'MLMESH_FEEDBACK', 'MLMESH_EVENTS']) {
    out.push({ name, kind: 'stream', replicas: (await jsm.streams.info(name)).config.num_replicas });
  }
  for (const bucket of Object.keys(KV_HISTORY)) {
    out.push({ name: bucket, kind: 'kv', replicas: (await jsm.streams.info(`KV_${bucket}`)).config.num_replicas });
  }
  return out;
}

async function exists(jsm: JetStreamManager, stream: string): Promise<boolean> {
  return jsm.streams.info(stream).then(
    () => true,
    () => false,
  );
}

const USAGE = 'usage: node dist/tools/nats-init.js [--nats URL] [--replicas N] [--timeout-ms MS]\n';

async function main(argv: readonly string[]): Promise<number> {
  let values: { nats?: string | undefined; replicas?: string | undefined; 'timeout-ms'?: string | undefined; help?: boolean | undefined };
  try {
    values = parseArgs({
      args: [...argv],
      options: { nats: { type: 'string' }, replicas: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean' } },
    }).values;
  } catch (e: unknown) {
    process.stderr.write(`nats-init: ${errorMessage(e)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const servers = values.nats ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const replicas = Number(values.replicas ?? '1');
  const timeoutMs = Number(values['timeout-ms'] ?? '60000');
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    process.stderr.write(`nats-init: --replicas: expected an integer from 1 to 5, got ${JSON.stringify(values.replicas)}\n`);
    return 2;
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    process.stderr.write(`nats-init: --timeout-ms: expected a positive integer, got ${JSON.stringify(values['timeout-ms'])}\n`);
    return 2;
  }
  let nc: NatsConnection | undefined;
  try {
    // A JetStream cluster that has just started may still elect its meta leader: retry until the deadline.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        nc ??= await connect({ servers: servers.split(','), timeout: 5000, name: 'mlmesh-nats-init' });
        const result = await provision(nc, replicas);
        for (const r of result) process.stdout.write(`${r.kind} ${r.name}: ${r.replicas} replica(s)\n`);
        return 0;
      } catch (e: unknown) {
        if (Date.now() >= deadline) throw e;
        process.stderr.write(`nats-init: ${errorMessage(e)}: retrying\n`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  } catch (e: unknown) {
    process.stderr.write(`nats-init: ${errorMessage(e)}\n`);
    return 1;
  } finally {
    await nc?.close();
  }
}

// Run only as the entry point (tests import provision()).
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
