/**
 * Retrainer test data: blurred digits (the drift the retraining tests and the e2e test use), the
 * held-out digits of digits_mlp with their labels, the other 1,597 digits labelled (labels from
 * scikit-learn through /usr/bin/python3), and a writer of dataset snapshots in the format of
 * services/retrainer/types.ts (independent of the retrainer's own dataset.ts, on purpose: the
 * tests check the format, not one implementation against itself).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../shared/config/index.js';
import { encodeNpy, readNpy } from '../../shared/tensors/index.js';
import type { Datatype } from '../../shared/tensors/index.js';
import { DATASET_FORMAT, SOURCE_BASE, SOURCE_LOGGED } from '../../services/retrainer/types.js';
import type { DatasetArray, DatasetFile, DatasetManifest, DatasetPart } from '../../services/retrainer/types.js';

/** The Python that has torch, numpy and scikit-learn (Debian's). */
export const PYTHON = '/usr/bin/python3';

/**
 * A 3×3 box blur of each row, an 8×8 image: every pixel becomes the mean of itself and its
 * neighbours inside the image (normalised by how many there are, so borders do not darken).
 * digits_mlp's accuracy on the held-out digits falls from 0.975 to 0.79 with it.
 */
export function blurDigits(x: Float32Array, rows: number): Float32Array {
  if (x.length !== rows * 64) throw new Error(`blurDigits: ${x.length} values are not ${rows} rows of 64`);
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * 64;
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        let s = 0;
        let n = 0;
        for (let a = Math.max(0, i - 1); a <= Math.min(7, i + 1); a++) {
          for (let b = Math.max(0, j - 1); b <= Math.min(7, j + 1); b++) {
            s += x[o + a * 8 + b] as number;
            n++;
          }
        }
        out[o + i * 8 + j] = s / n;
      }
    }
  }
  return out;
}

/** Rows of 64 pixels in 0..1 with class indices. */
export interface Digits {
  rows: number;
  x: Float32Array;
  y: Float64Array;
}

/** digits_mlp's 200 held-out digits (never trained on) and their labels: test/fixtures/parity/digits_mlp. */
export function heldOutDigits(): Digits {
  const dir = join(projectRoot(), 'test/fixtures/parity/digits_mlp');
  const x = new Float32Array(readNpy(join(dir, 'inputs.npy')).data.slice().buffer);
  const y = Float64Array.from(new BigInt64Array(readNpy(join(dir, 'labels.npy')).data.slice().buffer), Number);
  return { rows: y.length, x, y };
}

/**
 * The 1,797 scikit-learn digits minus the 200 held-out ones: the champion's training data. The
 * pixels are test/fixtures/drift/digits_all.npy; the labels come from scikit-learn, which must
 * agree on the pixels (their SHA-256 is compared).
 */
export async function trainingDigits(): Promise<Digits> {
  const all = readNpy(join(projectRoot(), 'test/fixtures/drift/digits_all.npy'));
  const script = 'import hashlib, json; import numpy as np; from sklearn.datasets import load_digits; d = load_digits(); print(json.dumps({"sha": hashlib.sha256(d.data.astype(np.uint8).tobytes()).hexdigest(), "y": d.target.tolist()}))';
  const { stdout } = await promisify(execFile)(PYTHON, ['-c', script], { maxBuffer: 1 << 20 });
  const { sha, y } = JSON.parse(stdout) as { sha: string; y: number[] };
  if (sha !== createHash('sha256').update(all.data).digest('hex')) throw new Error('trainingDigits: scikit-learn digits differ from digits_all.npy');
  const held = heldOutDigits();
  const key = (x: Float32Array, r: number): string => Array.from(x.subarray(r * 64, (r + 1) * 64), (v) => Math.round(v * 16)).join(',');
  const heldKeys = new Set(Array.from({ length: held.rows }, (_, r) => key(held.x, r)));
  const px = Float32Array.from(all.data, (v) => v / 16);
  const keep = y.map((_, r) => r).filter((r) => !heldKeys.has(key(px, r)));
  const x = new Float32Array(keep.length * 64);
  keep.forEach((r, i) => x.set(px.subarray(r * 64, (r + 1) * 64), i * 64));
  return { rows: keep.length, x, y: Float64Array.from(keep, (r) => y[r] as number) };
}

/** Parts joined in order. */
export function concatParts(...parts: DatasetPart[]): DatasetPart {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const first = parts.find((p) => p.rows > 0);
  const width = first ? first.x.length / first.rows : 0;
  const out: DatasetPart = { rows, x: new Float32Array(rows * width), y: new Float64Array(rows), source: new Uint8Array(rows) };
  let at = 0;
  for (const p of parts) {
    out.x.set(p.x, at * width);
    out.y.set(p.y, at);
    out.source.set(p.source, at);
    at += p.rows;
  }
  return out;
}

/** Digits as a part, every row from `source`. */
export function part(d: Digits, source: typeof SOURCE_BASE | typeof SOURCE_LOGGED): DatasetPart {
  return { rows: d.rows, x: d.x, y: d.y, source: new Uint8Array(d.rows).fill(source) };
}

/**
 * Writes a classification snapshot (dataset.json + the six .npy files) into `dir`.
 * @returns the path of dataset.json
 */
export async function writeTestDataset(dir: string, o: { model: string; train: DatasetPart; holdout: DatasetPart; classes: string[]; featureCount: number; input?: string; parentVersion?: string | null }): Promise<string> {
  await mkdir(dir, { recursive: true });
  const files = {} as Record<DatasetArray, DatasetFile>;
  const put = async (name: DatasetArray, datatype: Datatype, dtype: string, shape: number[], data: ArrayBufferView): Promise<void> => {
    const bytes = encodeNpy(datatype, shape, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    await writeFile(join(dir, `${name}.npy`), bytes);
    files[name] = { path: `${name}.npy`, sha256: createHash('sha256').update(bytes).digest('hex'), dtype, shape };
  };
  for (const [which, p] of [['train', o.train], ['holdout', o.holdout]] as const) {
    await put(`${which}_x`, 'FP32', '<f4', [p.rows, o.featureCount], p.x);
    await put(`${which}_y`, 'INT64', '<i8', [p.rows], BigInt64Array.from(p.y, (v) => BigInt(v)));
    await put(`${which}_source`, 'UINT8', '|u1', [p.rows], p.source);
  }
  const count = (p: DatasetPart, s: number): number => p.source.reduce((n, v) => n + (v === s ? 1 : 0), 0);
  const logged = count(o.train, SOURCE_LOGGED) + count(o.holdout, SOURCE_LOGGED);
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    model: o.model,
    parent_version: o.parentVersion ?? '1',
    task: 'classification',
    classes: o.classes,
    feature_count: o.featureCount,
    input: o.input ?? 'input',
    files,
    sources: {
      base: { dataset_sha256: null, train_rows: count(o.train, SOURCE_BASE), holdout_rows: count(o.holdout, SOURCE_BASE) },
      logged: { train_rows: count(o.train, SOURCE_LOGGED), holdout_rows: count(o.holdout, SOURCE_LOGGED), ranges: [] },
    },
    label_join: { logged_rows: logged, labelled_rows: logged, coverage: logged > 0 ? 1 : 0, feedback_messages: logged, feedback_unmatched: 0 },
    split: { seed: 7, holdout_fraction: 0.25 },
    created_at: new Date().toISOString(),
    produced_by: 'test/helpers/retrainer.ts',
  };
  const path = join(dir, 'dataset.json');
  await writeFile(path, JSON.stringify(manifest, null, 2) + '\n');
  return path;
}
