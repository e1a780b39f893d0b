/**
 * The deployments folder: every `*.yaml` / `*.yml` file (names starting with `.` or `_` are
 * skipped) parsed, checked and bound. A file that fails is refused with its reason, and the
 * last good deployment of that name keeps serving. A swap is one Map write: a Predict holds
 * the binding it started with, so a reload drops no request. `name@version` is immutable for
 * the registry's lifetime (a changed file needs a new version).
 */
import type { Dirent } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import type { Backends } from './backends.js';
import { bindDeployment } from './binding.js';
import type { Binding } from './binding.js';
import { SpecError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import { parseDeployment } from './spec.js';

/** A deployment file that was refused. */
export interface Refusal {
  readonly file: string;
  readonly name: string;
  readonly version: string;
  readonly reason: string;
  readonly at: Date;
}

/** What one reload did. */
export interface ReloadReport {
  readonly loaded: readonly string[];
  readonly refused: readonly Refusal[];
  readonly removed: readonly string[];
}

/** The deployments serving, and the files refused. */
export class DeploymentRegistry {
  private readonly live = new Map<string, Binding>();
  private readonly refusals = new Map<string, Refusal>();
  /** name@version → sha256 of every version ever loaded. */
  private readonly seen = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private missingWarned = false;
  private readOnce = false;

  constructor(
    readonly dir: string,
    private readonly backends: Backends,
    private readonly bindTimeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** The binding serving `name`, if any. */
  get(name: string): Binding | undefined {
    return this.live.get(name);
  }

  /** Every binding serving, by name. */
  list(): Binding[] {
    return [...this.live.values()].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1));
  }

  /** Every refused file, by file name. */
  refused(): Refusal[] {
    return [...this.refusals.values()].sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  /**
   * False until the first reload (the gateway's start-up read of the folder) has settled: a
   * deployment not served yet may be one it is about to bind (see `lookup` in server.ts).
   */
  get loaded(): boolean {
    return this.readOnce;
  }

  /** Re-reads the folder (one reload at a time; a call during one runs after it). */
  reload(): Promise<ReloadReport> {
    const run = this.queue.then(() => this.reloadNow()).finally(() => {
      this.readOnce = true;
    });
    // The queue only orders reloads; each caller sees its own reload's failure.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadReport> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
      this.missingWarned = false;
    } catch (e: unknown) {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
      // A mesh without deployments yet: serve none, and look again at the next reload.
      if (!this.missingWarned) this.logger.warn({ deploymentsDir: this.dir }, 'the deployments folder does not exist: no deployment is served until it does');
      this.missingWarned = true;
      entries = [];
    }
    const files = entries
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !e.name.startsWith('.') && !e.name.startsWith('_'))
      .map((e) => e.name)
      .sort();
    const loaded: string[] = [];
    const refused: Refusal[] = [];
    const names = new Map<string, string>();
    for (const file of files) {
      const stem = basename(file, extname(file));
      let name = stem;
      let version = '';
      try {
        const spec = parseDeployment(await readFile(join(this.dir, file), 'utf8'), stem);
        name = spec.name;
        version = spec.version;
        const other = names.get(name);
        if (other !== undefined) throw new SpecError('name', `deployment '${name}' is also in ${other}`);
        names.set(name, file);
        const current = this.live.get(name);
        if (current && current.spec.sha256 === spec.sha256) {
          this.refusals.delete(file);
          continue;
        }
        const id = `${name}@${version}`;
        const before = this.seen.get(id);
        if (before !== undefined && before !== spec.sha256) {
          throw new SpecError('version', `${id} was loaded with sha256 ${before}, the file now hashes to ${spec.sha256}: a changed deployment needs a new version`);
        }
        const binding = await bindDeployment(spec, file, this.backends, this.bindTimeoutMs);
        this.live.set(name, binding);
        this.seen.set(id, spec.sha256);
        this.refusals.delete(file);
        loaded.push(id);
        this.metrics.loads.inc({ outcome: 'loaded' });
        this.logger.info({ deployment: name, version, sha256: spec.sha256, file, replaced: current ? `${current.spec.name}@${current.spec.version}` : undefined }, 'deployment loaded');
      } catch (e: unknown) {
        const reason = `${file}: ${errorMessage(e)}`;
        const prev = this.refusals.get(file);
        const r: Refusal = { file, name, version, reason, at: prev?.reason === reason ? prev.at : new Date() };
        this.refusals.set(file, r);
        refused.push(r);
        this.metrics.loads.inc({ outcome: 'refused' });
        const serving = this.live.get(name);
        if (prev?.reason !== reason) this.logger.error({ deployment: name, file, still_serving: serving ? `${serving.spec.name}@${serving.spec.version}` : null }, `deployment refused: ${reason}`);
      }
    }
    const removed: string[] = [];
    for (const [name, b] of this.live) {
      if (!files.includes(b.file)) {
        this.live.delete(name);
        removed.push(name);
        this.logger.warn({ deployment: name, file: b.file }, 'deployment file removed: no longer served');
      }
    }
    for (const file of this.refusals.keys()) if (!files.includes(file)) this.refusals.delete(file);
    this.metrics.deployments.set(this.live.size);
    return { loaded, refused, removed };
  }
}
