/**
 * `mlmesh pipeline …`: fit and run preprocessing pipelines offline, with the same code the
 * preprocess service runs online (so training and serving see the same numbers).
 *
 *   mlmesh pipeline fit --data train.csv --spec spec.yaml [--name N] [--version V] [--out DIR]
 *   mlmesh pipeline transform --artifact REF --data data.csv --out out.csv|out.f32
 *                             [--store DIR] [--strict] [--errors errors.jsonl] [--row-index]
 *   mlmesh pipeline list [--store DIR]
 *
 * `fit` streams the CSV (several passes, never the whole file in memory) and stores the artifact
 * in the content-addressed folder DIR (default var/preprocess/pipelines, the service's default
 * artifactDir), printing its name, version, sha256 and path as JSON. `transform` streams the
 * CSV through the artifact (REF: a path to an artifact .json, or name[@version], or a sha256 in
 * --store) and writes the features: `.csv` (RFC 4180; the header of feature names is written by
 * csv-stringify, so a name holding a comma, quote or newline is quoted) with float32 values in
 * their shortest exact decimal form, or `.f32` raw little-endian float32 [rows, features]. Refused rows — invalid values, and rows with more or fewer fields than the
 * header (MALFORMED_ROW) — are left out (listed in --errors as JSON lines, row = data row
 * index); with --strict any refused row fails the command and no output is written.
 * Exit codes: 0 done, 1 failure (fit error, refused rows with --strict), 2 bad usage.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import { errorMessage } from '../shared/errors/index.js';
import { ArtifactStore, CompiledPipeline, csvBatches, fileSource, fitPipeline, parseArtifact, parseSpec, producerName } from '../services/preprocess/index.js';

/** Where artifacts go without --out / --store: the service's default artifactDir. */
export const DEFAULT_STORE = 'var/preprocess/pipelines';

/** Help for the pipeline commands. */
export const PIPELINE_HELP = `Pipeline commands (offline, the same code as the preprocess service):
  mlmesh pipeline fit --data <train.csv> --spec <spec.yaml|json> [--name N] [--version V] [--out DIR]
  mlmesh pipeline transform --artifact <file.json|name[@version]|sha256> --data <data.csv> --out <out.csv|out.f32>
                            [--store DIR] [--strict] [--errors <errors.jsonl>] [--row-index]
  mlmesh pipeline list [--store DIR]
  DIR defaults to ${DEFAULT_STORE} (the preprocess service's default artifactDir).
`;

/** A bad command line (exit 2). */
export class PipelineUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineUsageError';
  }
}

function parse<const O extends Record<string, { type: 'string' | 'boolean' }>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (e: unknown) {
    throw new PipelineUsageError(errorMessage(e).replace(/\n/g, ' '));
  }
}

function need(v: string | boolean | undefined, flag: string, command: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new PipelineUsageError(`pipeline ${command}: --${flag} is required`);
  return v;
}

/** The shortest decimal that reads back as the same float32 (at most 9 significant digits). */
export function float32Text(x: number): string {
  if (Number.isInteger(x)) return String(x);
  for (let p = 1; p < 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(Number(x.toPrecision(9)));
}

async function write(out: Writable, chunk: string | Uint8Array): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

async function fit(args: readonly string[]): Promise<number> {
  const v = parse(args, { data: { type: 'string' }, spec: { type: 'string' }, name: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' } });
  const data = need(v.data, 'data', 'fit');
  const spec = parseSpec(await readFile(need(v.spec, 'spec', 'fit'), 'utf8'));
  const store = new ArtifactStore(resolve(v.out ?? DEFAULT_STORE));
  const name = v.name ?? spec.name;
  if (name === undefined) throw new PipelineUsageError('pipeline fit: --name is required (the spec has none)');
  const version = v.version ?? spec.version ?? (await store.nextVersion(name));
  const { artifact, passes } = await fitPipeline({ spec, source: fileSource(resolve(data)), name, version, producedBy: `${producerName()} (cli)` });
  await store.put(artifact);
  const summary = { name, version, sha256: artifact.sha256, path: resolve(store.dir, 'objects', `${artifact.sha256}.json`), feature_names: artifact.feature_names, training_rows: artifact.provenance.training_rows, passes };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

/** The artifact REF names: a .json file, or name[@version] / sha256 in the store. */
async function loadPipeline(ref: string, storeDir: string): Promise<CompiledPipeline> {
  if (ref.endsWith('.json')) return new CompiledPipeline(parseArtifact(await readFile(ref, 'utf8'), ref));
  const store = new ArtifactStore(resolve(storeDir));
  if (/^[0-9a-f]{64}$/.test(ref)) return store.get({ sha256: ref });
  const [name = '', version = ''] = ref.split('@');
  return store.get({ name, version });
}

async function transform(args: readonly string[]): Promise<number> {
  const v = parse(args, { artifact: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, store: { type: 'string' }, strict: { type: 'boolean' }, errors: { type: 'string' }, 'row-index': { type: 'boolean' } });
  const outPath = need(v.out, 'out', 'transform');
  const raw = outPath.endsWith('.f32');
  if (!raw && !outPath.endsWith('.csv')) throw new PipelineUsageError('pipeline transform: --out must end in .csv or .f32');
  if (raw && v['row-index']) throw new PipelineUsageError('pipeline transform: --row-index needs a .csv output');
  const pipeline = await loadPipeline(need(v.artifact, 'artifact', 'transform'), v.store ?? DEFAULT_STORE);
  const tmp = `${outPath}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const errOut = v.errors ? createWriteStream(v.errors) : undefined;
  let rowsIn = 0;
  let rowsOut = 0;
  let refused = 0;
  const shown: string[] = [];
  try {
    if (!raw) await write(out, stringify([[...(v['row-index'] ? ['row'] : []), ...pipeline.featureNames]]));
    // A ragged row is one refused row (MALFORMED_ROW), not the end of the run.
    for await (const b of csvBatches(fileSource(resolve(need(v.data, 'data', 'transform'))), { ragged: 'keep' })) {
      const r = pipeline.transformCsv(b.header, b.rows);
      rowsIn += b.rows.length;
      rowsOut += r.rows;
      refused += b.rows.length - r.rows;
      for (const e of r.errors) {
        const line = JSON.stringify({ ...e, row: b.firstRow + e.row });
        if (errOut) await write(errOut, `${line}\n`);
        else if (shown.length < 10) shown.push(line);
      }
      if (v.strict && refused > 0) continue;
      if (raw) await write(out, new Uint8Array(r.tensor.buffer, r.tensor.byteOffset, r.tensor.byteLength));
      else {
        // The values are numbers (digits, '.', '-', 'e', '+'): no field can need quoting, so the
        // rows are joined as they are. csv-stringify writes what can (the header of names); it
        // would cost 13× the join here (2.7 s vs 0.2 s for 200,000 rows of 51 features).
        const lines: string[] = [];
        for (let i = 0; i < r.rows; i++) {
          const vals = Array.from(r.tensor.subarray(i * r.features, (i + 1) * r.features), float32Text);
          lines.push((v['row-index'] ? [String(b.firstRow + (r.rowIndex[i] as number)), ...vals] : vals).join(','));
        }
        if (lines.length > 0) await write(out, `${lines.join('\n')}\n`);
      }
    }
    out.end();
    await once(out, 'close');
    if (v.strict && refused > 0) {
      await rm(tmp, { force: true });
      for (const l of shown) process.stderr.write(`${l}\n`);
      process.stderr.write(`mlmesh: pipeline transform: --strict: ${refused} of ${rowsIn} rows refused; nothing written\n`);
      return 1;
    }
    await rename(tmp, outPath);
  } catch (e: unknown) {
    out.destroy();
    await rm(tmp, { force: true });
    throw e;
  } finally {
    errOut?.end();
    if (errOut) await once(errOut, 'close');
  }
  for (const l of shown) process.stderr.write(`refused: ${l}\n`);
  const a = pipeline.artifact;
  process.stdout.write(`${JSON.stringify({ pipeline: `${a.name}@${a.version}`, sha256: a.sha256, rows_in: rowsIn, rows_out: rowsOut, refused, features: a.feature_names.length, out: resolve(outPath) })}\n`);
  return 0;
}

async function list(args: readonly string[]): Promise<number> {
  const v = parse(args, { store: { type: 'string' } });
  for (const a of await new ArtifactStore(resolve(v.store ?? DEFAULT_STORE)).list()) {
    process.stdout.write(`${JSON.stringify({ name: a.name, version: a.version, sha256: a.sha256, fitted_at: a.provenance.fitted_at, features: a.feature_names.length })}\n`);
  }
  return 0;
}

/**
 * Runs `mlmesh pipeline <sub> …` (argv after `pipeline`); returns the exit code.
 * @throws PipelineUsageError for a bad command line (exit 2); other errors mean failure (exit 1).
 */
export async function runPipelineCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'fit':
      return fit(rest);
    case 'transform':
      return transform(rest);
    case 'list':
      return list(rest);
    default:
      throw new PipelineUsageError(sub === undefined ? 'pipeline: missing subcommand (fit, transform, list)' : `pipeline: unknown subcommand '${sub}' (fit, transform, list)`);
  }
}

/** `mlmesh pipeline …` with its errors reported on stderr: the exit code. */
export async function pipelineMain(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(PIPELINE_HELP);
    return 0;
  }
  try {
    return await runPipelineCommand(argv);
  } catch (e: unknown) {
    process.stderr.write(`mlmesh: ${errorMessage(e)}\n`);
    if (e instanceof PipelineUsageError) {
      process.stderr.write("Run 'mlmesh pipeline --help' for usage.\n");
      return 2;
    }
    return 1;
  }
}
