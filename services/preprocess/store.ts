/**
 * The artifact store: content-addressed, immutable files under one folder.
 *
 *   <dir>/objects/<sha256>.json     the artifact (read-only file), named by its content hash
 *   <dir>/refs/<name>/<version>     a one-line file holding the sha256 name@version points at
 *
 * Both are written to a temporary file first and then renamed (object) or hard-linked (ref)
 * into place, so a reader never sees a partial file, and a ref, once there, is never replaced:
 * linking fails when it exists, which is how a second Fit of the same name@version gets
 * ALREADY_EXISTS even from another process. Every load checks the content against its hash.
 */
import { link, mkdir, readFile, readdir, rename, unlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import { parseArtifact, serializeArtifact } from './artifact.js';
import type { PipelineArtifact } from './artifact.js';
import { CompiledPipeline } from './pipeline.js';

/** Names and versions: a letter or digit, then letters, digits, `.`, `_`, `-` (128 at most). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/** How long "the newest version of a name" is cached (other replicas may add versions). */
const LATEST_TTL_MS = 1000;

/** How a caller names a pipeline: `sha256`, or `name` with an optional `version`. */
export interface PipelineRefInput {
  readonly name?: string;
  readonly version?: string;
  readonly sha256?: string;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** Orders versions: numerically when both are numbers, else as text. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Checks a name or version.
 * @throws InvalidArgumentError naming `field`.
 */
export function checkName(value: string, field: string): string {
  if (!NAME_PATTERN.test(value)) throw new InvalidArgumentError(`${field}: ${clip(JSON.stringify(value))} must match ${NAME_PATTERN}`, { field });
  return value;
}

/** Content-addressed artifact store with a cache of compiled pipelines. */
export class ArtifactStore {
  private readonly compiled = new Map<string, CompiledPipeline>();
  private readonly refs = new Map<string, string>();
  private readonly latest = new Map<string, { version: string; at: number }>();

  /** @param cacheSize compiled pipelines kept in memory (least recently used dropped first). */
  constructor(
    readonly dir: string,
    private readonly cacheSize = 64,
  ) {}

  private objectPath(sha: string): string {
    return join(this.dir, 'objects', `${sha}.json`);
  }

  private refPath(name: string, version: string): string {
    return join(this.dir, 'refs', name, version);
  }

  /**
   * Stores a sealed artifact under its name@version.
   * @throws AlreadyExistsError when name@version exists (artifacts are immutable).
   */
  async put(a: PipelineArtifact): Promise<void> {
    checkName(a.name, 'name');
    checkName(a.version, 'version');
    await mkdir(join(this.dir, 'objects'), { recursive: true });
    await mkdir(join(this.dir, 'refs', a.name), { recursive: true });
    const obj = this.objectPath(a.sha256);
    const tmp = join(this.dir, 'objects', `.tmp-${randomUUID()}`);
    await writeFile(tmp, serializeArtifact(a), { flag: 'wx' });
    await chmod(tmp, 0o444);
    await rename(tmp, obj); // the same content under the same name: replacing it changes nothing
    const refTmp = join(this.dir, 'refs', a.name, `.tmp-${randomUUID()}`);
    await writeFile(refTmp, `${a.sha256}\n`, { flag: 'wx' });
    try {
      await link(refTmp, this.refPath(a.name, a.version));
    } catch (e: unknown) {
      if (isErrno(e, 'EEXIST')) throw new AlreadyExistsError(`pipeline ${a.name}@${a.version} exists already (artifacts are immutable: fit a new version)`, { cause: e });
      throw e;
    } finally {
      await unlink(refTmp);
    }
    this.refs.set(`${a.name}@${a.version}`, a.sha256);
    this.latest.delete(a.name);
  }

  /** Versions of `name`, ascending (none when the name is unknown). */
  async versions(name: string): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, 'refs', name))).filter((v) => NAME_PATTERN.test(v)).sort(compareVersions);
    } catch (e: unknown) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
  }

  /** Names with at least one version, sorted. */
  async names(): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, 'refs'))).filter((n) => NAME_PATTERN.test(n)).sort();
    } catch (e: unknown) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
  }

  /** The version after the highest integer version of `name` ("1" for a new name). */
  async nextVersion(name: string): Promise<string> {
    const ints = (await this.versions(checkName(name, 'name'))).filter((v) => /^\d+$/.test(v)).map(Number);
    return String(ints.length === 0 ? 1 : Math.max(...ints) + 1);
  }

  /**
   * The sha256 a ref points at.
   * @throws InvalidArgumentError for a malformed ref; NotFoundError for an unknown one.
   */
  async resolveSha(ref: PipelineRefInput): Promise<string> {
    const { name = '', version = '', sha256 = '' } = ref;
    if (sha256 !== '') {
      if (!SHA256_PATTERN.test(sha256)) throw new InvalidArgumentError('pipeline.sha256: must be 64 lower-case hex digits', { field: 'pipeline.sha256' });
      if (name !== '' || version !== '') throw new InvalidArgumentError('pipeline: give either sha256 or name (and version), not both', { field: 'pipeline' });
      return sha256;
    }
    if (name === '') throw new InvalidArgumentError('pipeline.name: required (or pipeline.sha256)', { field: 'pipeline.name' });
    checkName(name, 'pipeline.name');
    let v = version;
    if (v === '') {
      const cached = this.latest.get(name);
      if (cached && Date.now() - cached.at < LATEST_TTL_MS) v = cached.version;
      else {
        const all = await this.versions(name);
        const newest = all[all.length - 1];
        if (newest === undefined) throw new NotFoundError(`pipeline ${name} not found`);
        this.latest.set(name, { version: newest, at: Date.now() });
        v = newest;
      }
    } else checkName(v, 'pipeline.version');
    const key = `${name}@${v}`;
    const known = this.refs.get(key);
    if (known) return known;
    let sha: string;
    try {
      sha = (await readFile(this.refPath(name, v), 'utf8')).trim();
    } catch (e: unknown) {
      if (isErrno(e, 'ENOENT')) throw new NotFoundError(`pipeline ${key} not found`, { cause: e });
      throw e;
    }
    this.refs.set(key, sha);
    return sha;
  }

  /**
   * The compiled pipeline a ref names (cached; artifacts never change).
   * @throws NotFoundError, InvalidArgumentError, ArtifactIntegrityError (DATA_LOSS).
   */
  async get(ref: PipelineRefInput): Promise<CompiledPipeline> {
    const sha = await this.resolveSha(ref);
    const hit = this.compiled.get(sha);
    if (hit) {
      // Re-insert: Map order is the LRU order.
      this.compiled.delete(sha);
      this.compiled.set(sha, hit);
      return hit;
    }
    let text: string;
    try {
      text = await readFile(this.objectPath(sha), 'utf8');
    } catch (e: unknown) {
      if (isErrno(e, 'ENOENT')) throw new NotFoundError(`pipeline with sha256 ${clip(sha)} not found`, { cause: e });
      throw e;
    }
    const p = new CompiledPipeline(parseArtifact(text, `artifact ${sha}`, sha));
    this.compiled.set(sha, p);
    if (this.compiled.size > this.cacheSize) this.compiled.delete(this.compiled.keys().next().value as string);
    return p;
  }

  /** Every stored pipeline (of `name`, or of every name), by name then version. */
  async list(name = ''): Promise<PipelineArtifact[]> {
    const names = name === '' ? await this.names() : [checkName(name, 'name')];
    const out: PipelineArtifact[] = [];
    for (const n of names) for (const v of await this.versions(n)) out.push((await this.get({ name: n, version: v })).artifact);
    return out;
  }
}
