/**
 * Unloads one version of a model from every inference replica: RepositoryModelUnload unloads a
 * whole model, so the rollout reloads the model (RepositoryModelLoad) with its config.json and a
 * `version_policy` of the versions it serves minus the one leaving — Triton's way. The versions
 * kept are not reloaded (same config), so they serve on without a gap. A replica that does not
 * serve the model is skipped.
 */
import type * as grpc from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceClient } from '../../shared/client/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';

/** The model's config.json as an object ({} when it has none: the model runs on defaults, and so does a reload). */
export async function modelConfigJson(repo: string, model: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(repo, model, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Reloads `model` on one replica with `config` and a `version_policy` of exactly `versions`
 * (Triton's way to load or unload single versions; versions kept are not reloaded).
 */
export async function loadVersions(client: InferenceClient, model: string, config: Record<string, unknown>, versions: readonly string[], timeoutMs: number): Promise<void> {
  const specific = [...new Set(versions)].map(Number).filter((v) => Number.isSafeInteger(v)).sort((a, b) => a - b);
  await client.repositoryModelLoad({ model_name: model, parameters: { config: { string_param: JSON.stringify({ ...config, version_policy: { specific: { versions: specific } } }) } } }, { timeoutMs });
}

/** Unloads versions. */
export interface Unloader {
  /** Stops serving `version` of `model` (keeping `keep` at least); resolves once every replica answered. @throws the first replica's error. */
  unload(model: string, version: string, keep: string): Promise<void>;
  /** Whether `version` of `model` is ready on the first replica. */
  ready(model: string, version: string): Promise<boolean>;
  /** The versions the first replica serves of `model` (empty when not loaded). */
  served(model: string): Promise<string[]>;
  close(): void;
}

/** The {@link Unloader} over the inference replicas' gRPC API. */
export class InferenceUnloader implements Unloader {
  private readonly clients: InferenceClient[];

  constructor(
    addresses: readonly string[],
    private readonly repo: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    /** The service's own channel credentials (its TLS client certificate under mutual TLS). */
    credentials?: grpc.ChannelCredentials,
  ) {
    this.clients = addresses.map((a) => new InferenceClient(a, { timeoutMs, ...(credentials ? { credentials } : {}) }));
  }

  async ready(model: string, version: string): Promise<boolean> {
    const c = this.clients[0];
    if (!c) return false;
    return (await c.modelReady({ name: model, version })).ready;
  }

  async served(model: string): Promise<string[]> {
    const c = this.clients[0];
    if (!c) return [];
    try {
      return (await c.modelMetadata({ name: model })).versions;
    } catch {
      // Not loaded (NOT_FOUND): no version served.
      return [];
    }
  }

  async unload(model: string, version: string, keep: string): Promise<void> {
    const config = await modelConfigJson(this.repo, model);
    const errors: string[] = [];
    for (const c of this.clients) {
      let versions: string[];
      try {
        versions = (await c.modelMetadata({ name: model })).versions;
      } catch {
        // This replica does not serve the model: nothing to unload there.
        continue;
      }
      const kept = [...versions.filter((v) => v !== version), keep];
      if (!versions.includes(version)) continue;
      try {
        await loadVersions(c, model, config, kept, Math.max(this.timeoutMs, 30_000));
        this.logger.info({ model, version, kept }, 'rollout: version unloaded');
      } catch (e: unknown) {
        errors.push(errorMessage(e));
      }
    }
    if (errors.length > 0) throw new Error(`unload of version ${version} of model '${model}': ${errors.join('; ')}`);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
