/** The `pipeline` commands at work (definitions in pipeline.ts). */
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { ArtifactStore, CompiledPipeline, csvBatches, fileSource, fitPipeline, parseArtifact, parseSpec, producerName } from '../../services/preprocess/index.js';
import type { CsvSource } from '../../services/preprocess/index.js';
import { CommandError, UsageError } from './errors.js';
import { printer } from './output.js';
import type { FitCliOptions, TransformCliOptions } from './pipeline.js';
import { startProgress } from './progress.js';
import type { Progress } from './progress.js';

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

/**
 * A file source that moves a progress bar: bytes read of the current pass (each `open()` is a
 * pass; the fit makes one per group of steps that needs data).
 */
function countedSource(path: string, bar: Progress): CsvSource {
  const inner = fileSource(path);
  let pass = 0;
  return {
    description: inner.description,
    async *open() {
      pass++;
      let read = 0;
      bar.update(0, `pass ${pass}`);
      for await (const chunk of inner.open()) {
        read += chunk.byteLength;
        bar.update(read);
        yield chunk;
      }
    },
  };
}

/** `pipeline fit`. */
export async function fit(o: FitCliOptions, signal: AbortSignal): Promise<void> {
  const spec = parseSpec(await readFile(o.spec, 'utf8'));
  // --out is the old name of --store: it counts when --store was left at its default.
  const store = new ArtifactStore(resolve(o.out ?? o.store));
  const name = o.name ?? spec.name;
  if (name === undefined) throw new UsageError('--name is required (the spec has none)');
  const version = o.version ?? spec.version ?? (await store.nextVersion(name));
  const size = (await stat(o.data).catch(() => undefined))?.size;
  if (size === undefined) throw new CommandError(`cannot read --data ${o.data}`);
  const bar = startProgress('pass 1', { unit: 'bytes', total: size });
  let result;
  try {
    result = await fitPipeline({ spec, source: countedSource(resolve(o.data), bar), name, version, producedBy: `${producerName()} (cli)`, signal });
  } finally {
    bar.stop();
  }
  const { artifact, passes } = result;
  await store.put(artifact);
  const summary = { name, version, sha256: artifact.sha256, path: resolve(store.dir, 'objects', `${artifact.sha256}.json`), feature_names: artifact.feature_names, training_rows: artifact.provenance.training_rows, passes };
  printer(o.json).record(summary, (r) => `fitted ${String(r['name'])}@${String(r['version'])}: ${String(r['training_rows'])} rows, ${passes} passes, ${artifact.feature_names.length} features, sha256 ${String(r['sha256'])}\n  ${String(r['path'])}`);
}

/** The artifact REF names: a .json file, or name[@version] / sha256 in the store. */
async function loadPipeline(ref: string, storeDir: string): Promise<CompiledPipeline> {
  if (ref.endsWith('.json')) return new CompiledPipeline(parseArtifact(await readFile(ref, 'utf8'), ref));
  const store = new ArtifactStore(resolve(storeDir));
  if (/^[0-9a-f]{64}$/.test(ref)) return store.get({ sha256: ref });
  const [name = '', version = ''] = ref.split('@');
  return store.get({ name, version });
}

/** `pipeline transform`: returns 1 when --strict found refused rows. */
export async function transform(o: TransformCliOptions, signal: AbortSignal): Promise<number> {
  const out = printer(o.json);
  const raw = o.out.endsWith('.f32');
  if (!raw && !o.out.endsWith('.csv')) throw new UsageError('--out must end in .csv or .f32');
  if (raw && o.rowIndex) throw new UsageError('--row-index needs a .csv output');
  const pipeline = await loadPipeline(o.artifact, o.store);
  const size = (await stat(o.data).catch(() => undefined))?.size;
  if (size === undefined) throw new CommandError(`cannot read --data ${o.data}`);
  const tmp = `${o.out}.tmp-${process.pid}`;
  const file = createWriteStream(tmp);
  const errOut = o.errors ? createWriteStream(o.errors) : undefined;
  const bar = startProgress('transform', { unit: 'bytes', total: size });
  let rowsIn = 0;
  let rowsOut = 0;
  let refused = 0;
  const shown: string[] = [];
  try {
    if (!raw) await write(file, stringify([[...(o.rowIndex ? ['row'] : []), ...pipeline.featureNames]]));
    // A ragged row is one refused row (MALFORMED_ROW), not the end of the run.
    for await (const b of csvBatches(countedSource(resolve(o.data), bar), { ragged: 'keep', signal })) {
      const r = pipeline.transformCsv(b.header, b.rows);
      rowsIn += b.rows.length;
      rowsOut += r.rows;
      refused += b.rows.length - r.rows;
      for (const e of r.errors) {
        const line = JSON.stringify({ ...e, row: b.firstRow + e.row });
        if (errOut) await write(errOut, `${line}\n`);
        else if (shown.length < 10) shown.push(line);
      }
      if (o.strict && refused > 0) continue;
      if (raw) await write(file, new Uint8Array(r.tensor.buffer, r.tensor.byteOffset, r.tensor.byteLength));
      else {
        // The values are numbers (digits, '.', '-', 'e', '+'): no field can need quoting, so the
        // rows are joined as they are. csv-stringify writes what can (the header of names); it
        // would cost 13× the join here (2.7 s vs 0.2 s for 200,000 rows of 51 features).
        const lines: string[] = [];
        for (let i = 0; i < r.rows; i++) {
          const vals = Array.from(r.tensor.subarray(i * r.features, (i + 1) * r.features), float32Text);
          lines.push((o.rowIndex ? [String(b.firstRow + (r.rowIndex[i] as number)), ...vals] : vals).join(','));
        }
        if (lines.length > 0) await write(file, `${lines.join('\n')}\n`);
      }
    }
    bar.stop();
    file.end();
    await once(file, 'close');
    if (o.strict && refused > 0) {
      await rm(tmp, { force: true });
      for (const l of shown) out.note(l);
      out.note(`mlmesh pipeline transform: --strict: ${refused} of ${rowsIn} rows refused; nothing written`);
      return 1;
    }
    await rename(tmp, o.out);
  } catch (e: unknown) {
    file.destroy();
    await rm(tmp, { force: true });
    throw e;
  } finally {
    bar.stop();
    errOut?.end();
    if (errOut) await once(errOut, 'close');
  }
  for (const l of shown) out.note(`refused: ${l}`);
  const a = pipeline.artifact;
  out.record({ pipeline: `${a.name}@${a.version}`, sha256: a.sha256, rows_in: rowsIn, rows_out: rowsOut, refused, features: a.feature_names.length, out: resolve(o.out) });
  return 0;
}

/** `pipeline list`. */
export async function list(o: { store: string; json?: boolean }): Promise<void> {
  const out = printer(o.json);
  for (const a of await new ArtifactStore(resolve(o.store)).list()) {
    out.record({ name: a.name, version: a.version, sha256: a.sha256, fitted_at: a.provenance.fitted_at, features: a.feature_names.length });
  }
}
