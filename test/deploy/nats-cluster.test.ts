/**
 * The Kubernetes NATS deployment's claims, on a real 3-node JetStream cluster on this machine
 * (three nats-server processes with routes, a server name and a store dir each; the shape of
 * deploy/kubernetes/base/nats/nats.conf): the Job `nats-init`, run with the command and args of
 * its manifest, makes every MLMESH_* stream and KV bucket R3 with all 3 peers current; then the
 * inference service (a child process, as in a pod) logs predictions under load while the server
 * it is connected to, the leader of MLMESH_PREDICTIONS, is SIGKILLed. With 2 servers left every
 * answered request's log is in the stream exactly once, every stream and bucket has a leader,
 * and the killed server, restarted on its store, catches up to the same last sequence.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type { ConsumerInfo, JetStreamManager, NatsConnection, StreamInfo } from 'nats';
import { InferenceClient } from '../../services/inference/index.js';
import { projectRoot } from '../../shared/config/index.js';
import { STREAMS, decodePredictionLog } from '../../shared/events/index.js';
import { KV_HISTORY } from '../../tools/nats-init.js';
import { copyRepository, f32, metricValue, waitFor } from '../helpers/inference.js';
import { parseObjects } from '../helpers/kubernetes.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import { runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';

interface Ctx {
  cluster: NatsCluster;
  nc: NatsConnection;
  dirs: string[];
  children: Child[];
}
const base = anyTest as TestFn<Ctx>;
const test = base.serial;

const STREAM_NAMES = ['MLMESH_PREDICTIONS', 'MLMESH_FEEDBACK', 'MLMESH_EVENTS', ...Object.keys(KV_HISTORY).map((b) => `KV_${b}`)];
/** Answers before the SIGKILL, and after it (the load goes on through the kill). */
const BEFORE_KILL = 300;
const AFTER_KILL = 300;
/** After a new leader is elected the load goes on this long, so that logs are also published to it directly. */
const AFTER_ELECTION_MS = 2000;
const CONCURRENCY = 8;

base.before(async (t) => {
  const started = Date.now();
  const cluster = await NatsCluster.start({ size: 3 });
  t.context = { cluster, nc: undefined as unknown as NatsConnection, dirs: [], children: [] };
  const leader = await cluster.waitForMetaLeader(60_000);
  t.log(`3 nats-servers (${cluster.servers.map((s) => `${s.serverName} ${s.url}`).join(', ')}): meta leader ${leader} after ${Date.now() - started} ms`);
  t.context.nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
});
base.after.always(async (t) => {
  for (const c of t.context?.children ?? []) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.all((t.context?.children ?? []).map((c) => c.exited));
  await t.context?.nc?.close();
  await t.context?.cluster?.dispose();
  for (const d of t.context?.dirs ?? []) await rm(d, { recursive: true, force: true });
});

/** The Job nats-init's container command from the manifest. */
async function jobCommand(): Promise<string[]> {
  const file = join(projectRoot(), 'deploy/kubernetes/base/nats/nats.yaml');
  const job = parseObjects(await readFile(file, 'utf8'), file).find((o) => o.kind === 'Job' && o.metadata?.name === 'nats-init');
  const spec = job?.['spec'] as { template?: { spec?: { containers?: { name: string; command?: string[] }[] } } } | undefined;
  const command = spec?.template?.spec?.containers?.find((c) => c.name === 'nats-init')?.command;
  if (command === undefined) throw new Error(`${file}: no Job nats-init with a container nats-init and a command`);
  return command;
}

/** Stream info once the leader sees every peer as current (R3: 2 replicas besides the leader). */
async function waitCurrent(jsm: JetStreamManager, name: string, peers: number, timeoutMs: number): Promise<StreamInfo> {
  let info: StreamInfo | undefined;
  await waitFor(
    async () => {
      info = await jsm.streams.info(name).catch(() => undefined);
      const c = info?.cluster;
      return c?.leader !== undefined && (c.replicas ?? []).filter((r) => r.current && r.offline !== true).length === peers - 1;
    },
    timeoutMs,
    `${name}: a leader and ${peers - 1} current replicas (last: ${JSON.stringify(info?.cluster)})`,
  );
  return info as StreamInfo;
}

test('nats-init (the Job\'s command) on a 3-node JetStream cluster: every MLMESH_* stream and KV bucket has 3 replicas, all current', async (t) => {
  t.timeout(120_000);
  const command = await jobCommand();
  // ["node", "--enable-source-maps", "dist/tools/nats-init.js", "--nats", "nats://nats:4222", "--replicas", "3", ...]
  const script = command.findIndex((a) => a.endsWith('nats-init.js'));
  t.is(command[0], 'node');
  t.true(script > 0, JSON.stringify(command));
  t.is(command[command.indexOf('--replicas') + 1], '3', 'the Job asks for 3 replicas');
  // The Service nats:4222 reaches any one server: here the first.
  const args = command.slice(script + 1).map((a) => (a === 'nats://nats:4222' ? t.context.cluster.servers[0]!.url : a));
  t.true(args.includes(t.context.cluster.servers[0]!.url), `the Job names the Service nats://nats:4222: ${JSON.stringify(command)}`);
  const started = Date.now();
  const run = runNode(command[script]!.replace(/^dist\//, ''), args);
  t.context.children.push(run);
  t.is(await run.exited, 0, run.stderr.join('\n'));
  t.log(`nats-init ${args.join(' ')}: exit 0 in ${Date.now() - started} ms\n${[...run.stderr, ...run.stdout].join('\n')}`);
  for (const name of STREAM_NAMES) {
    const line = name.startsWith('KV_') ? `kv ${name.slice(3)}: 3 replica(s)` : `stream ${name}: 3 replica(s)`;
    t.true(run.stdout.includes(line), `${line} printed`);
  }
  const jsm = await t.context.nc.jetstreamManager();
  const names = t.context.cluster.servers.map((s) => s.serverName).sort();
  for (const name of STREAM_NAMES) {
    const info = await waitCurrent(jsm, name, 3, 30_000);
    t.is(info.config.num_replicas, 3, name);
    const peers = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].sort();
    t.deepEqual(peers, names, `${name} is on every server`);
    t.is(info.cluster?.name, t.context.cluster.name, name);
    t.log(`${name}: R${info.config.num_replicas}, leader ${info.cluster?.leader}, replicas ${(info.cluster?.replicas ?? []).map((r) => `${r.name} current=${r.current}`).join(', ')}`);
  }
  // Idempotent on the cluster too: a second run (the Job retried) changes nothing and exits 0.
  const again = runNode(command[script]!.replace(/^dist\//, ''), args);
  t.context.children.push(again);
  t.is(await again.exited, 0, again.stderr.join('\n'));
  t.deepEqual(again.stdout, run.stdout);
});

/** Request ids of the prediction logs in MLMESH_PREDICTIONS, read by an ephemeral consumer. */
async function storedIds(nc: NatsConnection, total: number): Promise<string[]> {
  const jsm = await nc.jetstreamManager();
  // A JetStream API request can time out while a group elects its leader: retry for a bounded time.
  let ci: ConsumerInfo | undefined;
  for (let attempt = 1; ci === undefined; attempt++) {
    try {
      ci = await jsm.consumers.add(STREAMS.predictions.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, inactive_threshold: 60e9 });
    } catch (e: unknown) {
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const consumer = await nc.jetstream().consumers.get(STREAMS.predictions.name, ci.name);
  const out: string[] = [];
  const deadline = Date.now() + 60_000;
  while (out.length < total && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2000 });
    for await (const m of batch) out.push(decodePredictionLog(m.data).request_id);
  }
  await jsm.consumers.delete(STREAMS.predictions.name, ci.name).catch(() => undefined);
  return out;
}

const digits = (id: string) => ({
  model_name: 'digits_mlp',
  id,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [f32(Array.from({ length: 64 }, (_, i) => ((i + id.length) % 17) / 16))],
});

test('prediction logs through inference while the MLMESH_PREDICTIONS leader is SIGKILLed: none answered lost or stored twice on 2 servers; the killed server catches up', async (t) => {
  t.timeout(360_000);
  const { cluster, nc } = t.context;
  const jsm = await nc.jetstreamManager();
  const before = await waitCurrent(jsm, STREAMS.predictions.name, 3, 30_000);
  t.is(before.config.num_replicas, 3, 'run after nats-init: the stream is R3');
  const victim = cluster.byName(before.cluster!.leader!);
  const startSeq = before.state.last_seq;

  const repo = await copyRepository(['digits_mlp']);
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-cluster-spool-'));
  t.context.dirs.push(repo, spool);
  // One URL, the server about to die (a pod's nats://nats:4222 lands on one): the client learns
  // the other servers from the cluster's INFO and must move to one of them.
  const inference = runNode('services/inference/main.js', [], {
    NATS_URL: victim.url,
    MLMESH_INFERENCE_HOST: '127.0.0.1',
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    MLMESH_INFERENCE_SPOOL_DIR: spool,
    MLMESH_INFERENCE_REPOSITORY_POLL_MS: '0',
    MLMESH_INFERENCE_LOG_LEVEL: 'info',
  });
  t.context.children.push(inference);
  const ready = await inference.waitForLog((l) => l['msg'] === 'inference service ready', 60_000);
  await inference.waitForLog((l) => l['msg'] === 'NATS connected', 30_000);
  const http = `http://127.0.0.1:${String(ready['httpPort'])}`;
  const client = new InferenceClient(String(ready['address']));
  t.teardown(() => client.close());

  const answered: string[] = [];
  const failures: string[] = [];
  let killedAt = 0;
  let answeredAtKill = 0;
  let next = 0;
  let kill: Promise<void> | undefined;
  const survivors = cluster.servers.filter((s) => s !== victim).map((s) => s.serverName);
  // Set once a survivor leads MLMESH_PREDICTIONS (polled from the kill on).
  let electedAt = 0;
  const loadDeadline = Date.now() + 90_000;
  const watchElection = async (): Promise<void> => {
    while (electedAt === 0 && Date.now() < loadDeadline) {
      if (killedAt !== 0) {
        const leader = await jsm.streams.info(STREAMS.predictions.name).then((i) => i.cluster?.leader, () => undefined);
        if (leader !== undefined && survivors.includes(leader)) electedAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const election = watchElection();
  const worker = async (): Promise<void> => {
    while (
      Date.now() < loadDeadline &&
      (killedAt === 0 || answered.length < answeredAtKill + AFTER_KILL || electedAt === 0 || Date.now() < electedAt + AFTER_ELECTION_MS)
    ) {
      const id = `cl-${next++}`;
      try {
        await client.infer(digits(id), { deadlineMs: 15_000 });
        answered.push(id);
      } catch (e: unknown) {
        failures.push(`${id}: ${String(e)}`);
      }
      if (killedAt === 0 && answered.length >= BEFORE_KILL) {
        killedAt = Date.now();
        answeredAtKill = answered.length;
        kill = victim.kill();
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await kill;
  const loadEnded = Date.now();
  t.true(electedAt > 0, `a survivor leads ${STREAMS.predictions.name} within the load's 90 s`);
  await Promise.race([election, new Promise((r) => setTimeout(r, 1000))]);
  t.false(victim.running, 'the leader was SIGKILLed');
  t.deepEqual(failures, [], 'inference answers every request while NATS loses a server');

  // Cluster down to 2: the meta group (the killed server may have led it) and each stream and
  // bucket have a leader on a survivor; the dead one is not current.
  const metaLeader = await cluster.waitForMetaLeader(60_000);
  t.true(survivors.includes(metaLeader), `meta leader ${metaLeader} is a survivor`);
  for (const name of STREAM_NAMES) {
    let info: StreamInfo | undefined;
    await waitFor(
      async () => {
        info = await jsm.streams.info(name).catch(() => undefined);
        return info?.cluster?.leader !== undefined && survivors.includes(info.cluster.leader);
      },
      30_000,
      `${name}: a leader among ${survivors.join(', ')} (last: ${JSON.stringify(info?.cluster)})`,
    );
  }
  const afterKill = await jsm.streams.info(STREAMS.predictions.name);
  t.log(`after the SIGKILL of ${victim.serverName}: ${STREAMS.predictions.name} leader ${afterKill.cluster?.leader}, replicas ${JSON.stringify(afterKill.cluster?.replicas?.map((r) => ({ name: r.name, current: r.current, offline: r.offline })))}`);
  t.true(afterKill.cluster?.replicas?.some((r) => r.name === victim.serverName && r.current !== true), 'the killed server is not a current replica');

  // Every answered request's log is published (directly, or spooled while no leader answered and replayed).
  const expected = startSeq + answered.length;
  await waitFor(
    async () =>
      (await metricValue(http, 'mlmesh_publisher_spool_bytes')) === 0 &&
      (await metricValue(http, 'mlmesh_publisher_inflight')) === 0 &&
      (await metricValue(http, 'mlmesh_publisher_queue_depth')) === 0 &&
      (await jsm.streams.info(STREAMS.predictions.name)).state.messages >= expected,
    90_000,
    `${expected} logs in the stream and the publisher idle`,
  );
  const settled = Date.now();
  const stats = {
    acked: await metricValue(http, 'mlmesh_publisher_acked_total'),
    spooled: await metricValue(http, 'mlmesh_publisher_spooled_total'),
    replayed: await metricValue(http, 'mlmesh_publisher_replayed_total'),
    duplicates: await metricValue(http, 'mlmesh_publisher_duplicates_total'),
    dropped: await metricValue(http, 'mlmesh_publisher_dropped_total'),
  };
  const onTwo = await jsm.streams.info(STREAMS.predictions.name);
  const ids = await storedIds(nc, onTwo.state.messages);
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missing = answered.filter((id) => !counts.has(id));
  const twice = [...counts].filter(([, n]) => n > 1);
  t.log(
    `${answered.length} answered (${answeredAtKill} before the SIGKILL; new ${STREAMS.predictions.name} leader ${electedAt - killedAt} ms after it; load ran ${loadEnded - killedAt} ms after it), ${onTwo.state.messages} logs in the stream on 2 servers ` +
      `${settled - killedAt} ms after the kill; publisher acked ${stats.acked}, spooled ${stats.spooled}, replayed ${stats.replayed}, duplicates ${stats.duplicates}, dropped ${stats.dropped}; ` +
      `${missing.length} answered but missing, ${twice.length} stored twice`,
  );
  t.deepEqual(missing.slice(0, 10), [], 'every answered request has its log in the stream');
  t.deepEqual(twice.slice(0, 10), [], 'no log stored twice');
  t.is(onTwo.state.messages, expected, 'the stream holds exactly the answered requests\' logs');
  t.is(stats.dropped, 0);

  // The killed server comes back on its store and catches up with the leader.
  const restartedAt = Date.now();
  await victim.restart();
  const caughtUp = await waitCurrent(jsm, STREAMS.predictions.name, 3, 60_000);
  let local: { messages: number; last_seq: number } | undefined;
  await waitFor(
    async () => {
      local = (await cluster.localStreams(victim)).find((s) => s.name === STREAMS.predictions.name)?.state;
      return local?.last_seq === caughtUp.state.last_seq && local.messages === caughtUp.state.messages;
    },
    60_000,
    `${victim.serverName}'s own copy of ${STREAMS.predictions.name} at last_seq ${caughtUp.state.last_seq} (last: ${JSON.stringify(local)})`,
  );
  t.log(`${victim.serverName} restarted: current again and its own copy at ${local?.messages} messages / last_seq ${local?.last_seq} after ${Date.now() - restartedAt} ms`);
  for (const name of STREAM_NAMES) await waitCurrent(jsm, name, 3, 60_000);
  t.pass();
});
