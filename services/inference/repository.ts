import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { InvalidArgumentError, NotFoundError, clip, errorMessage } from '../../shared/errors/index.js';
import { ModelLoadError, RepositoryError } from './errors.js';
import { parseModelConfig } from './model-config.js';
import { readTritonConfig } from './triton-config.js';
import type { ParsedModelConfig } from './model-config.js';

/** A model's folder name: letters, digits, '_', '.', '-', at most 128 characters. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION_NAME = /^[1-9][0-9]{0,9}$/;

/** A folder at the top of the repository that is not served as a model, and why. */
export interface SkippedFolder {
  name: string;
  reason: string;
}

/** What {@link ModelRepository.scan} finds. */
export interface RepositoryScan {
  /** Model folders, sorted. */
  models: string[];
  /** Folders that are not model folders, each with the reason, sorted by name. */
  skipped: SkippedFolder[];
}

/**
 * A model repository on disk, in Triton's layout: `<root>/<model>/[config.json]` and
 * `<root>/<model>/<version>/model.onnx` + `manifest.json`, versions being positive integers.
 * config.json (or Triton's config.pbtxt) is optional (every field has a default). Every path it hands out is checked to
 * stay inside the root.
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
   * Checks that the root is a readable folder (as Triton refuses to start on a repository path
   * that does not exist, rather than serving nothing).
   * @throws RepositoryError naming the path and what is wrong with it.
   */
  async checkRoot(): Promise<void> {
    let st;
    try {
      st = await stat(this.root);
    } catch (e: unknown) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new RepositoryError(this.root, code === 'ENOENT' ? 'does not exist' : `cannot be read (${errorMessage(e)})`, { cause: e });
    }
    if (!st.isDirectory()) throw new RepositoryError(this.root, 'is not a folder');
    try {
      await readdir(this.root);
    } catch (e: unknown) {
      throw new RepositoryError(this.root, `cannot be listed (${errorMessage(e)})`, { cause: e });
    }
  }

  /**
   * @throws NotFoundError when `repositoryName` is neither '' nor this repository's name.
   */
  checkRepositoryName(repositoryName: string): void {
    if (repositoryName !== '' && repositoryName !== this.name) {
      throw new NotFoundError(`repository_name '${clip(repositoryName)}' is unknown (this server serves '${this.name}')`);
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
      throw new InvalidArgumentError(`model_name '${clip(model)}' is not a valid model name (letters, digits, '_', '.', '-', at most 128 characters; no path separators or '..')`, { field: 'model_name' });
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

  /**
   * Sorts the folders at the top of the repository into model folders and skipped ones. A model
   * folder has a servable name and holds config.json or at least one version folder. Plain files
   * (a README) are neither; folders that fail are listed with the reason, so the caller can log
   * every one. A root that cannot be listed yields nothing (see {@link checkRoot}).
   */
  async scan(): Promise<RepositoryScan> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const models: string[] = [];
    const skipped: SkippedFolder[] = [];
    for (const e of entries) {
      const path = join(this.root, e.name);
      // Follow symlinks: a linked model folder is a model folder (modelDir checks where it leads).
      const st = e.isSymbolicLink() ? await stat(path).catch(() => undefined) : e;
      if (!st) {
        skipped.push({ name: e.name, reason: 'a symlink whose target cannot be read' });
        continue;
      }
      if (!st.isDirectory()) continue;
      const reason = await this.whyNotAModel(e.name);
      if (reason) skipped.push({ name: e.name, reason });
      else models.push(e.name);
    }
    return { models: models.sort(), skipped: skipped.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  }

  private async whyNotAModel(name: string): Promise<string | undefined> {
    if (!MODEL_NAME.test(name) || name.includes('..')) {
      return `'${clip(name)}' is not a name a model can have (letters, digits, '_', '.', '-', starting with a letter or digit, at most 128 characters)`;
    }
    try {
      await this.modelDir(name);
    } catch (e: unknown) {
      return errorMessage(e);
    }
    const dir = join(this.root, name);
    for (const file of ['config.json', 'config.pbtxt']) {
      const config = await stat(join(dir, file)).catch(() => undefined);
      if (config && !config.isFile()) return `${file} is not a file`;
      if (config) return undefined;
    }
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((v) => VERSION_NAME.test(v.name) && (v.isDirectory() || v.isSymbolicLink()))) return undefined;
    return 'no config.json and no version folder (a positive integer, e.g. 1/model.onnx), nor a config.pbtxt';
  }

  /** Names of every model folder (see {@link scan}), sorted. */
  async listModels(): Promise<string[]> {
    return (await this.scan()).models;
  }

  /** Version numbers present on disk for a model (folders named by a positive integer). */
  async listVersions(model: string): Promise<number[]> {
    const dir = await this.modelDir(model);
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && VERSION_NAME.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => a - b);
  }

  /** The folder of one version. */
  async versionDir(model: string, version: number): Promise<string> {
    return join(await this.modelDir(model), String(version));
  }

  /**
   * Reads and validates a model's config: `override` (a JSON string, as the load RPC's `config`
   * parameter carries) replaces the config file when given. Otherwise the model folder's
   * config.json, or Triton's config.pbtxt (protobuf text format, read with the fields mlmesh
   * supports: see triton-config.ts); a folder holding both is refused, since they could
   * disagree. A model with neither gets every default (as `{}`), inputs and outputs coming from
   * the ONNX file.
   * @throws ModelLoadError for an unreadable or invalid config file, or both files;
   *   TextFormatError (a ModelLoadError) naming the line and column of a bad config.pbtxt;
   *   InvalidArgumentError for an invalid override.
   */
  async readConfig(model: string, override?: string): Promise<ParsedModelConfig> {
    return (await this.readModelConfig(model, override)).config;
  }

  /**
   * {@link readConfig}, with where the config came from and the config.pbtxt fields mlmesh
   * ignores (paths such as `output[0].label_filename`; empty for config.json, which has none).
   */
  async readModelConfig(model: string, override?: string): Promise<ModelConfigSource> {
    const dir = await this.modelDir(model);
    if (override !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(override);
      } catch (e: unknown) {
        throw new InvalidArgumentError(`parameters.config is not valid JSON: ${clip(errorMessage(e))}`, { field: 'parameters.config' });
      }
      try {
        return { config: parseModelConfig(raw, model), file: 'override', ignored: [] };
      } catch (e: unknown) {
        throw new InvalidArgumentError(`parameters.config: ${errorMessage(e)}`, { field: 'parameters.config', cause: e });
      }
    }
    const [json, pbtxt] = await Promise.all([readOptional(join(dir, 'config.json'), model), readOptional(join(dir, 'config.pbtxt'), model)]);
    if (json !== undefined && pbtxt !== undefined) {
      throw new ModelLoadError(`model '${model}' has both config.json and config.pbtxt: keep one (mlmesh writes config.json; Triton reads config.pbtxt)`);
    }
    if (pbtxt !== undefined) {
      const { config, ignored } = readTritonConfig(pbtxt, `model '${model}': config.pbtxt`);
      return { config: parseModelConfig(config, model), file: 'config.pbtxt', ignored };
    }
    // No config file: every field has a default (Triton's auto-completed config).
    if (json === undefined) return { config: parseModelConfig({}, model), file: 'none', ignored: [] };
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (e: unknown) {
      throw new ModelLoadError(`model '${model}': config.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { config: parseModelConfig(raw, model), file: 'config.json', ignored: [] };
  }
}

/** What {@link ModelRepository.readModelConfig} read. */
export interface ModelConfigSource {
  config: ParsedModelConfig;
  /** The file the config came from: 'none' when the folder has neither. */
  file: 'config.json' | 'config.pbtxt' | 'override' | 'none';
  /** Fields of config.pbtxt that mlmesh does not act on. */
  ignored: string[];
}

/** A config file's text, or undefined when it does not exist. */
async function readOptional(path: string, model: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelLoadError(`model '${model}': cannot read ${basename(path)}: ${errorMessage(e)}`, { cause: e });
  }
}
