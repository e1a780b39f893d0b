/**
 * Test helper that runs a JetStream cluster of real `nats-server` processes on this machine:
 * each server has its own free client, route and monitoring ports, its own store dir, a
 * `server_name` (JetStream clustering needs one per server), and routes to every server of the
 * cluster (its own included, as deploy/kubernetes/base/nats/nats.conf does). Servers are
 * {@link NatsServer}s, so `kill()` and `restart()` work per server and keep the store dir.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './mesh.js';
import { NatsServer } from './nats-server.js';

/** What `/jsz` says about the JetStream meta group (the leader lists the replicas). */
export interface MetaCluster {
  name?: string;
  leader?: string;
  cluster_size?: number;
  replicas?: { name: string; current: boolean; offline?: boolean }[];
}

/** One stream as one server stores it (`/jsz?accounts=true&streams=true`). */
export interface LocalStream {
  name: string;
  state: { messages: number; first_seq: number; last_seq: number };
  cluster?: { leader?: string };
}

/** A running cluster; always `dispose()` it. */
export class NatsCluster implements AsyncDisposable {
  private constructor(
    /** The servers, in the order of their names (`<prefix>-0`, `<prefix>-1`, …). */
    readonly servers: readonly NatsServer[],
    /** The cluster's name. */
    readonly name: string,
  ) {}

  /**
   * Starts `size` servers in parallel (a server waits for its peers' routes to elect the
   * JetStream meta leader, so they must come up together) and returns once every one accepts
   * clients. It does not wait for the meta leader: see {@link waitForMetaLeader}.
   * @throws RangeError for a size below 1; the server's start failure (with its log) otherwise.
   */
  static async start(opts: { size?: number; name?: string; startTimeoutMs?: number } = {}): Promise<NatsCluster> {
    const size = opts.size ?? 3;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size: expected an integer >= 1, got ${size}`);
    const name = opts.name ?? 'mlmesh';
    const routePorts: number[] = [];
    while (routePorts.length < size) {
      const p = await freePort();
      if (!routePorts.includes(p)) routePorts.push(p);
    }
    const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`);
    const started = await Promise.allSettled(
      routePorts.map((port, i) =>
        NatsServer.start({
          serverName: `nats-${i}`,
          cluster: { name, port, routes },
          monitoring: true,
          startTimeoutMs: opts.startTimeoutMs ?? 20_000,
        }),
      ),
    );
    const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(servers.map((s) => s.dispose()));
      throw failed.reason;
    }
    return new NatsCluster(servers, name);
  }

  /** Client URLs of the running servers. */
  get urls(): string[] {
    return this.servers.filter((s) => s.running).map((s) => s.url);
  }

  /** The server named `name`. @throws Error when there is none. */
  byName(name: string): NatsServer {
    const s = this.servers.find((x) => x.serverName === name);
    if (s === undefined) throw new Error(`no server named ${JSON.stringify(name)} in cluster ${this.name}`);
    return s;
  }

  /** `/jsz` of one server (with `query`, e.g. `accounts=true&streams=true`). */
  async jsz(server: NatsServer, query = ''): Promise<Record<string, unknown>> {
    const url = server.monitoringUrl;
    if (url === undefined) throw new Error(`${server.serverName}: no monitoring endpoint`);
    const res = await fetch(`${url}/jsz${query === '' ? '' : `?${query}`}`);
    if (!res.ok) throw new Error(`${server.serverName} /jsz: HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  /** The streams of the global account as `server` stores them. */
  async localStreams(server: NatsServer): Promise<LocalStream[]> {
    const jsz = (await this.jsz(server, 'accounts=true&streams=true')) as { account_details?: { stream_detail?: LocalStream[] }[] };
    return (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []);
  }

  /**
   * Waits until every running server names the same meta leader, the group has `size` peers,
   * and the leader sees each of the others as current.
   * @returns the leader's name.
   * @throws Error after `timeoutMs`, with what each server said last.
   */
  async waitForMetaLeader(timeoutMs = 30_000, size = this.servers.length): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    for (;;) {
      const running = this.servers.filter((s) => s.running);
      const metas = await Promise.all(
        running.map(async (s) => {
          try {
            return (await this.jsz(s))['meta_cluster'] as MetaCluster | undefined;
          } catch (e: unknown) {
            return { name: `error: ${String(e)}` };
          }
        }),
      );
      last = running.map((s, i) => `${s.serverName}: ${JSON.stringify(metas[i])}`);
      const leader = metas[0]?.leader;
      if (leader !== undefined && leader !== '' && metas.every((m) => m?.leader === leader && m.cluster_size === size)) {
        const leaderMeta = metas[running.findIndex((s) => s.serverName === leader)];
        const current = (leaderMeta?.replicas ?? []).filter((r) => r.current && r.offline !== true).length;
        if (current >= running.length - 1) return leader;
      }
      if (Date.now() > deadline) throw new Error(`no JetStream meta leader agreed by ${running.length} servers within ${timeoutMs} ms:\n${last.join('\n')}`);
      await sleep(200);
    }
  }

  /** Disposes every server (store dirs removed). Never throws. */
  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
