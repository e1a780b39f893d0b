/** The classifier two-sample test's settings, from the monitor options `c2st*`. */
import type { MonitorConfig } from './config.js';
import type { C2stTest } from './stats/index.js';

/** Settings of the classifier two-sample test (options `c2st*`, README). */
export interface C2stSettings {
  folds: number;
  C: number;
  test: C2stTest;
  permutations: number;
  maxRows: number;
  topFeatures: number;
}

/** The C2ST's settings from the monitor options. */
export function c2stSettingsOf(c: Pick<MonitorConfig, 'c2stFolds' | 'c2stC' | 'c2stTest' | 'c2stPermutations' | 'c2stMaxRows' | 'c2stTopFeatures'>): C2stSettings {
  return { folds: c.c2stFolds, C: c.c2stC, test: c.c2stTest, permutations: c.c2stPermutations, maxRows: c.c2stMaxRows, topFeatures: c.c2stTopFeatures };
}

/** The C2ST's defaults (the monitor options' defaults). */
export const DEFAULT_C2ST: C2stSettings = { folds: 5, C: 1, test: 'binomial', permutations: 100, maxRows: 1000, topFeatures: 10 };

/**
 * Work budget of one C2ST, live windows and TwoSampleTest alike: cross-validations × folds × 2m
 * rows × (columns + 1)², where a cross-validation is one (binomial) or permutations + 1; about
 * 10 Newton iterations of that each, so 2e9 is about 5–10 s of one core.
 */
export const C2ST_WORK_BUDGET = 2e9;

/** The C2ST's work on m rows per sample of `cols` columns (see {@link C2ST_WORK_BUDGET}). */
export function c2stWork(m: number, cols: number, c: Pick<C2stSettings, 'folds' | 'test' | 'permutations'>): { work: number; crossValidations: number } {
  const crossValidations = c.test === 'permutation' ? c.permutations + 1 : 1;
  return { work: crossValidations * c.folds * 2 * m * (cols + 1) ** 2, crossValidations };
}
