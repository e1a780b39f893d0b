import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { manifestDigest } from './manifest.js';
import type { ModelManager } from './model-manager.js';
import type { ModelRepository } from './repository.js';

/**
 * Watches the repository for the loaded models (Triton's "poll" model control): every
 * `intervalMs` it fingerprints each loaded model (config.json, the version folders on disk, each
 * version's manifest.json) and reloads the model when the fingerprint changed. A reload keeps
 * unchanged versions as they are; a new version with a valid manifest is picked up; an invalid
 * one fails the (atomic) reload, so the served versions keep serving and RepositoryIndex shows
 * the reason. A failed fingerprint is not retried until something changes again.
 */
export class RepositoryPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly repo: ModelRepository,
    private readonly manager: ModelManager,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Records the current fingerprints (so what is loaded now is not reloaded) and starts polling. */
  async start(): Promise<void> {
    for (const name of this.manager.loadedModels()) {
      const fp = await this.fingerprint(name);
      if (fp) this.seen.set(name, fp);
    }
    this.timer = setInterval(() => {
      this.running ??= this.poll().finally(() => {
        this.running = undefined;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the loaded models (exposed for tests). */
  async poll(): Promise<void> {
    for (const name of this.manager.loadedModels()) {
      const fp = await this.fingerprint(name);
      if (!fp || this.seen.get(name) === fp) continue;
      this.seen.set(name, fp);
      try {
        await this.manager.load(name);
        this.logger.info({ model: name, versions: this.manager.servedVersions(name).map((v) => v.version) }, 'repository change picked up');
      } catch (e: unknown) {
        // The served versions keep serving; RepositoryIndex shows why. Not retried until the
        // fingerprint changes again.
        this.logger.warn({ model: name, reason: errorMessage(e) }, 'repository change refused');
      }
    }
  }

  private async fingerprint(name: string): Promise<string | undefined> {
    try {
      const h = createHash('sha256');
      const dir = await this.repo.modelDir(name);
      h.update(await readFile(join(dir, 'config.json')).catch(() => Buffer.from('')));
      h.update('\0config.pbtxt\0');
      h.update(await readFile(join(dir, 'config.pbtxt')).catch(() => Buffer.from('')));
      for (const v of await this.repo.listVersions(name)) {
        h.update(`\n${v}:${(await manifestDigest(join(dir, String(v)))) ?? 'none'}`);
      }
      return h.digest('hex');
    } catch {
      // The model folder vanished or is unreadable: nothing to pick up now.
      return undefined;
    }
  }
}
