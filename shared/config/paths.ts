import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
