/**
 * The preprocess parity fixtures (test/fixtures/preprocess, made by
 * tools/make_preprocess_fixtures.py) and helpers to fit and read them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import { csvBatches, fileSource, fitPipeline, parseSpec } from '../../services/preprocess/index.js';
import type { FitResult } from '../../services/preprocess/index.js';

/** Folder of the fixtures. */
export const FIXTURES = join(projectRoot(), 'test/fixtures/preprocess');

/** What the reference implementation computed (sklearn.json / engine.json). */
export interface Expected {
  sklearn_version: string;
  train_rows: number;
  test_rows: number;
  feature_names: string[];
  fitted: Record<string, unknown>;
  train: number[][];
  test: number[][];
}

/** The expected outputs of `which`. */
export function expected(which: 'sklearn' | 'engine'): Expected {
  return JSON.parse(readFileSync(join(FIXTURES, `${which}.json`), 'utf8')) as Expected;
}

/** The spec text of `which`. */
export function specText(which: 'sklearn' | 'engine'): string {
  return readFileSync(join(FIXTURES, `spec_${which}.yaml`), 'utf8');
}

/** Fits spec `which` on train.csv. */
export async function fitFixture(which: 'sklearn' | 'engine', batchRows?: number): Promise<FitResult> {
  return fitPipeline({
    spec: parseSpec(specText(which)),
    source: fileSource(join(FIXTURES, 'train.csv')),
    name: which,
    version: '1',
    producedBy: 'test',
    ...(batchRows !== undefined ? { batchRows } : {}),
  });
}

/** Every row (and the header) of a fixture CSV. */
export async function readCsv(file: string): Promise<{ header: string[]; rows: string[][] }> {
  let header: string[] = [];
  const rows: string[][] = [];
  for await (const b of csvBatches(fileSource(join(FIXTURES, file)))) {
    header = [...b.header];
    rows.push(...b.rows.map((r) => [...r]));
  }
  return { header, rows };
}

/** The first element where |a − b| > tol (absolute), or undefined when all are within. */
export function firstMismatch(actual: ArrayLike<number>, wanted: ArrayLike<number>, tol = 1e-6): string | undefined {
  if (actual.length !== wanted.length) return `length ${actual.length} != ${wanted.length}`;
  for (let i = 0; i < wanted.length; i++) {
    const a = actual[i] as number;
    const b = wanted[i] as number;
    if (!(Math.abs(a - b) <= tol)) return `element ${i}: ${a} != ${b} (|diff| ${Math.abs(a - b)})`;
  }
  return undefined;
}

/**
 * The first float32 element that differs from the float64 reference by more than rounding to
 * float32 can explain (1e-6 absolute, or one float32 ulp of the reference for large values).
 */
export function firstFloat32Mismatch(actual: Float32Array, wanted: ArrayLike<number>): string | undefined {
  if (actual.length !== wanted.length) return `length ${actual.length} != ${wanted.length}`;
  for (let i = 0; i < wanted.length; i++) {
    const b = wanted[i] as number;
    const ulp = Math.abs(b) * 2 ** -23;
    if (!(Math.abs((actual[i] as number) - b) <= Math.max(1e-6, ulp))) return `element ${i}: ${actual[i]} != ${b}`;
  }
  return undefined;
}
