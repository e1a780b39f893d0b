/**
 * Builds the native open-loop generator (native/open-loop.cc) on first use: g++ against the
 * system's libnghttp2 (Debian: `g++ libnghttp2-dev`), into `dist/tools/loadtest/native/`.
 * Built again when the source is newer than the binary. Nothing is downloaded.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../shared/config/index.js';

const run = promisify(execFile);

/** Where the source is and where its binary goes. */
export function nativeOpenLoopPaths(): { source: string; binary: string } {
  const root = projectRoot();
  return { source: join(root, 'tools/loadtest/native/open-loop.cc'), binary: join(root, 'dist/tools/loadtest/native/open-loop-native') };
}

let building: Promise<string> | undefined;

/**
 * The path of the built generator, building it first when it is missing or older than its source.
 * @throws (rejects) Error naming what to install when g++ or nghttp2's header is missing, or with
 *   the compiler's message when the build fails.
 */
export function nativeOpenLoopBinary(): Promise<string> {
  building ??= build().finally(() => (building = undefined));
  return building;
}

async function build(): Promise<string> {
  const { source, binary } = nativeOpenLoopPaths();
  if (!existsSync(source)) throw new Error(`the native open-loop generator's source is not here (${source}): it comes with a checkout of mlmesh, not with the npm package`);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  if (!existsSync('/usr/include/nghttp2/nghttp2.h')) throw new Error('the native open-loop generator needs nghttp2\'s header to build: apt-get install libnghttp2-dev (or use the node engine)');
  await mkdir(dirname(binary), { recursive: true });
  // Built beside, then renamed: a concurrent caller never runs a half-written binary.
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    await run('g++', ['-O2', '-std=c++17', '-Wall', '-Wextra', '-o', tmp, source, '-lnghttp2'], { timeout: 120_000 });
  } catch (e: unknown) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('the native open-loop generator needs g++ to build: apt-get install g++ (or use the node engine)');
    throw new Error(`building the native open-loop generator failed: ${(err.stderr ?? err.message).trim()}`);
  }
  await rename(tmp, binary);
  return binary;
}
