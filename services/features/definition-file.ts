/**
 * Definition files (JSON or YAML): one feature definition, a list of them, or an object
 * `{ features: [...], services: [...] }` that also holds feature services.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../../shared/errors/index.js';

/** The definitions a file holds, still to be validated (by the service, or normalizeDefinition). */
export interface DefinitionFile {
  features: unknown[];
  services: unknown[];
}

/**
 * Reads a definition file.
 * @throws Error naming the file when it cannot be read or parsed, or has an unexpected shape.
 */
export async function loadDefinitionFile(path: string): Promise<DefinitionFile> {
  let data: unknown;
  try {
    const text = await readFile(path, 'utf8');
    data = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e: unknown) {
    throw new Error(`${path}: ${errorMessage(e)}`, { cause: e });
  }
  if (Array.isArray(data)) return { features: data, services: [] };
  if (typeof data !== 'object' || data === null) throw new Error(`${path}: expected a definition, a list of them, or { features, services }`);
  const o = data as Record<string, unknown>;
  if ('features' in o || 'services' in o) {
    const features = o['features'] ?? [];
    const services = o['services'] ?? [];
    if (!Array.isArray(features) || !Array.isArray(services)) throw new Error(`${path}: features and services must be lists`);
    return { features, services };
  }
  return { features: [o], services: [] };
}

/** Extensions of definition files in a folder. */
const DEFINITION_EXTENSIONS = ['.yaml', '.yml', '.json'];

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    // Hidden files and folders (.git, editor swap files) and installed packages are not definitions.
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, out);
    else if (e.isFile() && DEFINITION_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(path);
  }
}

/** One definition file that was read. */
export interface LoadedDefinitionFile {
  path: string;
  content: DefinitionFile;
}

/**
 * Reads definition files and folders: a folder stands for every `.yaml`, `.yml` and `.json` file
 * under it (recursively, by name, hidden entries and node_modules skipped).
 * @throws Error naming the path when it cannot be read, a folder holds no definition file, or a
 *   file cannot be parsed.
 */
export async function loadDefinitionPaths(paths: readonly string[]): Promise<LoadedDefinitionFile[]> {
  const files: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (e: unknown) {
      throw new Error(`${p}: ${errorMessage(e)}`, { cause: e });
    }
    if (!isDir) {
      files.push(p);
      continue;
    }
    const found: string[] = [];
    await walk(p, found);
    if (found.length === 0) throw new Error(`${p}: no definition files (${DEFINITION_EXTENSIONS.join(', ')}) in this folder`);
    files.push(...found);
  }
  const out: LoadedDefinitionFile[] = [];
  for (const path of [...new Set(files)]) out.push({ path, content: await loadDefinitionFile(path) });
  return out;
}
