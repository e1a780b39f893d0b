import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';

let cached: string | undefined;

/**
 * The package's root folder (the one holding `package.json` and `protos/`), found relative to
 * this module: compiled, it is `dist/shared/config/paths.js`, three levels below the root. It is
 * the checkout when run from one and `node_modules/mlmesh/` in a project that installed the
 * package; nothing walks up the file system.
 * @throws Error when that folder has no `package.json` (code run from somewhere else than `dist/`).
 */
export function projectRoot(): string {
  if (cached) return cached;
  const dir = fileURLToPath(new URL('../../../', import.meta.url));
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`mlmesh: no package.json in ${dir}, three levels above ${fileURLToPath(import.meta.url)}`);
  return (cached = dir.replace(/[\\/]$/, ''));
}

/**
 * Checks that each named file option that is set can be read, at start, so a typo in a
 * certificate or secret path fails with the option's name instead of at first use.
 * @throws ConfigError naming the option and the file.
 */
export function requireReadableFiles<C extends object>(config: C, options: readonly (keyof C & string)[]): void {
  for (const option of options) {
    const file: unknown = config[option];
    if (typeof file !== 'string' || file === '') continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (e: unknown) {
      throw new ConfigError(option, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
