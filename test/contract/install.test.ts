/**
 * The install is offline and future-proof (issue 11, item 22): npm 11 decides which dependency
 * install scripts run from package.json's `allowScripts`, and `.npmrc` holds only settings npm
 * knows. better-sqlite3 must compile (the features store needs it); onnxruntime-node's
 * post-install, which downloads CUDA binaries from outside the npm registry, must not run.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';

const run = promisify(execFile);
const root = projectRoot();

interface LockEntry { hasInstallScript?: boolean }

test('install - every locked package with an install script is approved or denied in allowScripts', (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const allow = pkg.allowScripts ?? {};
  const withScripts = Object.entries(lock.packages)
    .filter(([path, e]) => path !== '' && e.hasInstallScript === true)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  t.true(withScripts.length > 0, 'the lockfile should list the packages that have install scripts');
  for (const name of withScripts) t.true(name in allow, `${name} has an install script but no allowScripts entry`);
  t.is(allow['better-sqlite3'], true, 'better-sqlite3 must build from source');
  t.is(allow['onnxruntime-node'], false, "onnxruntime-node's post-install downloads from outside the npm registry");
});

test('install - npm reads .npmrc without "unknown config" warnings and finds no unreviewed install scripts', async (t) => {
  const config = await run('npm', ['config', 'ls'], { cwd: root });
  t.notRegex(config.stderr, /Unknown (project|user|env) config/i, config.stderr);
  t.true(existsSync(join(root, 'node_modules')), 'node_modules is installed');
  const scripts = await run('npm', ['install-scripts', 'ls'], { cwd: root });
  t.regex(scripts.stdout, /No packages with unreviewed install scripts/, scripts.stdout + scripts.stderr);
});

test('install - prebuild-install is told to build better-sqlite3 from source (no download from GitHub)', (t) => {
  const rc = readFileSync(join(root, '.prebuild-installrc'), 'utf8');
  t.regex(rc, /^buildFromSource=true$/m);
});
