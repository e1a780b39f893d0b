/**
 * The package a backend installs: `npm pack` the checkout, install the tarball into a project
 * in a temp folder (outside the checkout, offline, without install scripts: a client-only
 * consumer needs none), then a plain Node ESM script there imports `mlmesh/client` and calls a
 * real inference service, and a small TypeScript consumer type-checks against the shipped .d.ts.
 *
 * The install uses a lockfile derived from the checkout's (its non-dev entries), so it needs
 * nothing but npm's cache as `npm ci` left it: `npm install --offline` would also need the
 * registry metadata, which `npm ci` does not cache. It takes about 20–30 s here.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { startInference } from '../helpers/inference.js';

const run = promisify(execFile);
const root = projectRoot();

interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

interface LockEntry {
  dev?: boolean;
  [k: string]: unknown;
}

/** A consumer lockfile: the tarball plus the checkout's locked non-dev dependencies, same paths. */
function consumerLock(tgz: string): object {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const self = lock.packages[''] as { version: string; license?: string; dependencies: Record<string, string>; engines?: object; bin?: Record<string, string> };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { mlmesh: `file:${tgz}` } },
    // npm links node_modules/.bin from the lockfile's `bin` of the package.
    'node_modules/mlmesh': { version: self.version, resolved: `file:${tgz}`, license: self.license, dependencies: self.dependencies, engines: self.engines, bin: self.bin },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && entry.dev !== true) packages[path] = entry;
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

const SCRIPT = `
import { InferenceClient, InferInput, InvalidArgumentError, NotFoundError, PROTOS_DIR } from 'mlmesh/client';
const [address, pixelsJson] = process.argv.slice(2);
const client = new InferenceClient(address);
const out = { resolved: import.meta.resolve('mlmesh/client'), protos: PROTOS_DIR };
out.live = (await client.serverLive()).live;
const result = await client.infer('digits_mlp', [InferInput.from('input', Float32Array.from(JSON.parse(pixelsJson)), [1, 64])]);
out.version = result.modelVersion;
out.shape = result.shape('probabilities');
out.isFloat32Array = result.asArray('probabilities') instanceof Float32Array;
out.probabilities = Array.from(result.asArray('probabilities'));
try {
  await client.infer('digits_mlp', [InferInput.from('input', new Float32Array(3), [1, 3])]);
} catch (e) {
  out.invalid = { typed: e instanceof InvalidArgumentError, code: e.code, field: e.field };
}
try {
  await client.modelMetadata({ name: 'nope' });
} catch (e) {
  out.notFound = { typed: e instanceof NotFoundError, resource: e.resourceInfo?.resourceName };
}
client.close();
console.log(JSON.stringify(out));
`;

const CONSUMER_TS = `
import { InferenceClient, InferInput, InvalidArgumentError, FeaturesClient } from 'mlmesh/client';
import type { CallOptions, GetOnlineFeaturesResponse, Tensor } from 'mlmesh/client';

export async function predict(address: string, pixels: Float32Array): Promise<Float32Array> {
  const client = new InferenceClient(address, { timeoutMs: 5000, retry: { maxAttempts: 2 } });
  const opts: CallOptions = { signal: AbortSignal.timeout(1000), requestId: 'r-1' };
  try {
    const r = await client.infer('digits_mlp', [InferInput.from('input', pixels, [1, 64])], opts);
    const t: Tensor | undefined = r.output('probabilities');
    void t;
    return r.asArray<Float32Array>('probabilities');
  } catch (e) {
    if (e instanceof InvalidArgumentError) console.error(e.code, e.field, e.fieldViolations[0]?.description);
    throw e;
  } finally {
    client.close();
  }
}

export async function read(address: string): Promise<GetOnlineFeaturesResponse> {
  const f = new FeaturesClient(address);
  const res = await f.getOnlineFeatures({ feature_service: 'ranker', entity_ids: ['u1'] });
  for await (const chunk of f.getHistoricalFeatures({ feature_service: 'ranker', rows: [{ entity_id: 'u1', time_ms: 1 }] })) void chunk.rows;
  // @ts-expect-error the model name is a string
  await new InferenceClient(address).infer(42, []);
  // @ts-expect-error entity_ids holds strings
  await f.getOnlineFeatures({ entity_ids: [1] });
  // @ts-expect-error no such option
  new FeaturesClient(address, { timeout: 5 });
  return res;
}
`;

test('package - the packed tarball installs offline outside the checkout; its mlmesh bin runs; mlmesh/client calls a running service; its .d.ts type-check a consumer', async (t) => {
  t.timeout(180_000);
  const tmp = await mkdtemp(join(tmpdir(), 'mlmesh-pack-'));
  const fx = await startInference({ models: ['digits_mlp'] });
  try {
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    const info = (JSON.parse(packed.stdout) as PackInfo[])[0] as PackInfo;
    const files = info.files.map((f) => f.path);
    t.log(`${info.filename}: ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024 / 1024).toFixed(1)} MB unpacked, ${files.length} files`);
    for (const f of ['package.json', 'dist/tools/cli/main.js', 'protos/inference/model_config.proto', 'dist/shared/client/index.js', 'dist/shared/client/index.d.ts', 'protos/inference/grpc_service.proto', 'protos/google/rpc/status.proto', 'protos/google/rpc/error_details.proto']) t.true(files.includes(f), `ships ${f}`);
    t.deepEqual(files.filter((f) => /^(test|dist\/test|dist\/bench|examples|dist\/examples|bench)\//.test(f) || /\.(onnx|npy|csv|ts)$/.test(f.replace(/\.d\.ts$/, ''))), [], 'no tests, fixtures, models or sources');

    const app = join(tmp, 'app');
    await mkdir(app);
    const tgz = `../${info.filename}`;
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { mlmesh: `file:${tgz}` } }));
    await writeFile(join(app, 'package-lock.json'), JSON.stringify(consumerLock(tgz)));
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, maxBuffer: 64 * 1024 * 1024 });

    // The package's bin: node_modules/.bin/mlmesh runs from the installed copy, already built.
    const bin = join(app, 'node_modules/.bin/mlmesh');
    t.is((await run(bin, ['--version'], { cwd: app })).stdout.trim(), '0.1.0');
    const added = await run(bin, ['model', 'add', 'digits', join(root, 'examples/models/digits_mlp/1/model.onnx'), '--repo', join(app, 'models'), '--json'], { cwd: app });
    t.like(JSON.parse(added.stdout), { model: 'digits', version: 1, config: 'written', maxBatchSize: 64 });
    const bench = await run(bin, ['bench', 'monitor'], { cwd: app }).catch((e: { code?: number; stderr?: string }) => e);
    t.is((bench as { code?: number }).code, 1, 'benchmarks are not in the package');
    t.regex((bench).stderr ?? '', /benchmarks run from a source checkout/);

    await writeFile(join(app, 'main.mjs'), SCRIPT);
    const pixels = readNpy(join(root, 'test/fixtures/parity/digits_mlp/inputs.npy'));
    const want = readNpy(join(root, 'test/fixtures/parity/digits_mlp/outputs.npy'));
    const row = Array.from(new Float32Array(pixels.data.buffer, pixels.data.byteOffset, 64));
    const { stdout } = await run(process.execPath, ['main.mjs', fx.service.address, JSON.stringify(row)], { cwd: app });
    const out = JSON.parse(stdout) as Record<string, unknown> & { probabilities: number[] };
    t.is(out['resolved'], `file://${join(app, 'node_modules/mlmesh/dist/shared/client/index.js')}`, 'the installed copy, not the checkout');
    t.is(out['protos'], join(app, 'node_modules/mlmesh/protos') + '/', 'protos found beside the installed module');
    t.is(out['live'], true);
    t.is(out['version'], '1');
    t.deepEqual(out['shape'], [1, 10]);
    t.true(out['isFloat32Array']);
    const expected = Array.from(new Float32Array(want.data.buffer, want.data.byteOffset, 10));
    t.true(out.probabilities.every((p, i) => Math.abs(p - (expected[i] as number)) < 1e-5), 'PyTorch’s probabilities');
    t.deepEqual(out['invalid'], { typed: true, code: 3, field: 'input' });
    t.deepEqual(out['notFound'], { typed: true, resource: 'nope' });

    // The deep path is not exported: consumers see only mlmesh/client.
    const deep = await run(process.execPath, ['--input-type=module', '-e', "import('mlmesh/dist/shared/client/index.js').catch((e) => console.log(e.code))"], { cwd: app });
    t.is(deep.stdout.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED');

    await writeFile(join(app, 'consumer.ts'), CONSUMER_TS);
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023'], types: ['node'], typeRoots: [join(root, 'node_modules/@types')], noEmit: true, skipLibCheck: false },
        files: ['consumer.ts'],
      }),
    );
    const tsc = await run(join(root, 'node_modules/.bin/tsc'), ['-p', app]).catch((e: Error & { stdout?: string }) => ({ stdout: `tsc failed: ${e.stdout ?? e.message}` }));
    t.is(tsc.stdout.trim(), '', 'the consumer type-checks (and the @ts-expect-error lines do fail)');
    t.is((JSON.parse(await readFile(join(app, 'node_modules/mlmesh/package.json'), 'utf8')) as { version: string }).version, '0.1.0');
  } finally {
    await fx.stop();
    await rm(tmp, { recursive: true, force: true });
  }
});
