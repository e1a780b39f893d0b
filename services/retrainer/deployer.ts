/**
 * Putting a registered candidate next to the champion with no traffic, then handing it to the
 * rollout service:
 * 1. the champion is pinned by a route (weight 100) when the model has none: without a route,
 *    inference serves the newest version to unrouted requests, so the candidate would take all
 *    traffic the moment it loads;
 * 2. each inference replica reloads the model with its config.json and a version_policy of the
 *    versions it serves plus the candidate (versions already loaded are not reloaded);
 * 3. StartRollout of the candidate against the champion, with the model's plan (config.json
 *    `rollout`), then GetRollout until it ends.
 */
import type * as grpc from '@grpc/grpc-js';
import type { NatsConnection } from 'nats';
import { InferenceClient, RolloutClient } from '../../shared/client/index.js';
import { loadVersions, modelConfigJson } from '../rollout/unloader.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { RouteStore } from '../../shared/routes/index.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';

/** The rollout states that end a rollout. */
export const ROLLOUT_TERMINAL = ['completed', 'rolled_back', 'aborted'] as const;

/** Options of a {@link Deployer}. */
export interface DeployerOptions {
  inferenceAddresses: readonly string[];
  rolloutAddress: string;
  repo: string;
  callTimeoutMs: number;
  logger: Logger;
  credentials?: grpc.ChannelCredentials;
}

/** Loads candidates beside their champion and drives their rollouts. */
export class Deployer {
  private readonly inference: InferenceClient[];
  private readonly rollout: RolloutClient;

  constructor(private readonly o: DeployerOptions) {
    const creds = o.credentials ? { credentials: o.credentials } : {};
    this.inference = o.inferenceAddresses.map((a) => new InferenceClient(a, { timeoutMs: o.callTimeoutMs, ...creds }));
    this.rollout = new RolloutClient(o.rolloutAddress, { timeoutMs: o.callTimeoutMs, ...creds });
  }

  /** The versions the first inference replica serves of `model` (empty when not loaded there). */
  async served(model: string): Promise<string[]> {
    const c = this.inference[0];
    if (!c) return [];
    try {
      return (await c.modelMetadata({ name: model })).versions;
    } catch {
      // Not loaded (NOT_FOUND): none served.
      return [];
    }
  }

  /** Writes a route of the champion alone when the model has no route. Returns whether it wrote one. */
  async pinChampion(nc: NatsConnection, model: string, champion: string, actor: string): Promise<boolean> {
    const routes = await RouteStore.create(nc);
    if (await routes.get(model)) return false;
    await routes.put({ model, versions: [{ version: champion, weight: 100 }], sticky: 'none', written_by: `${actor}: champion pinned before its candidate loads` }, { expectedKvRevision: 0 });
    this.o.logger.info({ model, champion }, 'retrainer: route pins the champion');
    return true;
  }

  /**
   * Loads `candidate` on every replica serving the model, keeping what each serves.
   * @throws Error naming the replicas that refused.
   */
  async loadBeside(model: string, candidate: string): Promise<void> {
    const config = await modelConfigJson(this.o.repo, model);
    const errors: string[] = [];
    let loaded = 0;
    for (const [i, c] of this.inference.entries()) {
      let versions: string[];
      try {
        versions = (await c.modelMetadata({ name: model })).versions;
      } catch (e: unknown) {
        errors.push(`replica ${this.o.inferenceAddresses[i]}: does not serve the model (${errorMessage(e)})`);
        continue;
      }
      if (versions.includes(candidate)) {
        loaded++;
        continue;
      }
      const keep = [...versions, candidate];
      try {
        await loadVersions(c, model, config, keep, Math.max(this.o.callTimeoutMs, 60_000));
        loaded++;
        this.o.logger.info({ model, candidate, versions: keep, replica: this.o.inferenceAddresses[i] }, 'retrainer: candidate loaded beside the champion');
      } catch (e: unknown) {
        errors.push(`replica ${this.o.inferenceAddresses[i]}: ${errorMessage(e)}`);
      }
    }
    if (errors.length > 0 || loaded === 0) throw new Error(`loading version ${candidate} of model '${model}': ${errors.join('; ') || 'no inference replica'}`);
  }

  /**
   * Starts the candidate's rollout, or adopts the model's rollout of this candidate against this
   * baseline that started at `notBeforeMs` or later (a restart after StartRollout answered but
   * before the run recorded it). The model's rollout is looked at first, so one that has already
   * ended is adopted too, not started again. `adopted` says why when it was adopted.
   */
  async startRollout(model: string, candidate: string, baseline: string, notBeforeMs: number): Promise<{ id: string; adopted: string }> {
    const ours = (r: Rollout__Output | undefined): r is Rollout__Output => r !== undefined && r.candidate === candidate && r.baseline === baseline && Number(r.started_unix_ms) >= notBeforeMs;
    const cur = await this.getRollout(model).catch(() => undefined);
    if (ours(cur)) return { id: cur.id, adopted: `the model's rollout ${cur.id} of version ${candidate} over ${baseline} is already there (${cur.state})` };
    try {
      const r = await this.rollout.startRollout({ model, candidate, baseline });
      return { id: r.rollout?.id ?? '', adopted: '' };
    } catch (e: unknown) {
      const now = await this.getRollout(model).catch(() => undefined);
      if (ours(now)) return { id: now.id, adopted: `StartRollout refused (${errorMessage(e)}) and the model's rollout ${now.id} is of version ${candidate} over ${baseline} (${now.state})` };
      throw e;
    }
  }

  /** The model's current or last rollout. */
  async getRollout(model: string): Promise<Rollout__Output | undefined> {
    return (await this.rollout.getRollout({ model })).rollout ?? undefined;
  }

  /** Aborts the model's rollout (a cancelled run). */
  async abortRollout(model: string, reason: string): Promise<void> {
    await this.rollout.abort({ model, reason });
  }

  close(): void {
    for (const c of this.inference) c.close();
    this.rollout.close();
  }
}
