/**
 * Definition files (JSON or YAML): one feature definition, a list of them, or an object
 * `{ features: [...], services: [...] }` that also holds feature services.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
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
