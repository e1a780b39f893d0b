import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../shared/errors/index.js';
import { ModelLoadError } from './errors.js';
import { parseModelConfig } from './model-config.js';
import type { ModelConfig } from './model-config.js';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A model repository on disk, in Triton's layout: `<root>/<model>/config.json` and
 * `<root>/<model>/<version>/model.onnx` + `manifest.json`, versions being positive integers.
 * Every path it hands out is checked to stay inside the root.
 */
export class ModelRepository {
  /** Absolute root folder. */
  readonly root: string;
  /** Name clients may give as `repository_name` ('' is accepted too). */
  readonly name: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.name = basename(this.root);
  }

  /**
   * @throws NotFoundError when `repositoryName` is neither '' nor this repository's name.
   */
  checkRepositoryName(repositoryName: string): void {
    if (repositoryName !== '' && repositoryName !== this.name) {
      throw new NotFoundError(`repository_name '${repositoryName}' is unknown (this server serves '${this.name}')`);
    }
  }

  /**
   * The folder of a model, checked: the name is a plain folder name (no `/`, `..`, absolute
   * paths) and, after resolving symlinks, the folder lies inside the repository.
   * @throws InvalidArgumentError for a name that tries to leave the repository;
   *   NotFoundError when there is no such model folder.
   */
  async modelDir(model: string): Promise<string> {
    if (!MODEL_NAME.test(model) || model === '.' || model === '..' || model.includes('..')) {
      throw new InvalidArgumentError(`model_name '${model}' is not a valid model name (letters, digits, '_', '.', '-'; no path separators or '..')`, { field: 'model_name' });
    }
    const dir = join(this.root, model);
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new NotFoundError(`model '${model}' is not in the repository`);
    const real = await realpath(dir);
    const realRoot = await realpath(this.root);
    if (!real.startsWith(realRoot + sep)) {
      throw new InvalidArgumentError(`model_name '${model}' resolves outside the repository`, { field: 'model_name' });
    }
    return dir;
  }

  /** Names of every model folder (a folder holding config.json), sorted. */
  async listModels(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const names: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || !MODEL_NAME.test(e.name)) continue;
      const st = await stat(join(this.root, e.name, 'config.json')).catch(() => undefined);
      if (st?.isFile()) names.push(e.name);
    }
    return names.sort();
  }

  /** Version numbers present on disk for a model (folders named by a positive integer). */
  async listVersions(model: string): Promise<number[]> {
    const dir = await this.modelDir(model);
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && /^[1-9][0-9]{0,9}$/.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => a - b);
  }

  /** The folder of one version. */
  async versionDir(model: string, version: number): Promise<string> {
    return join(await this.modelDir(model), String(version));
  }

  /**
   * Reads and validates a model's config: `override` (a JSON string, as the load RPC's `config`
   * parameter carries) replaces config.json when given.
   * @throws ModelLoadError for a missing or invalid config.json; InvalidArgumentError for an
   *   invalid override.
   */
  async readConfig(model: string, override?: string): Promise<ModelConfig> {
    const dir = await this.modelDir(model);
    if (override !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(override);
      } catch (e: unknown) {
        throw new InvalidArgumentError(`parameters.config is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { field: 'parameters.config' });
      }
      try {
        return parseModelConfig(raw, model);
      } catch (e: unknown) {
        throw new InvalidArgumentError(`parameters.config: ${e instanceof Error ? e.message : String(e)}`, { field: 'parameters.config', cause: e });
      }
    }
    let text: string;
    try {
      text = await readFile(join(dir, 'config.json'), 'utf8');
    } catch (e: unknown) {
      throw new ModelLoadError(`model '${model}': cannot read config.json`, { cause: e });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e: unknown) {
      throw new ModelLoadError(`model '${model}': config.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    return parseModelConfig(raw, model);
  }
}
