/** Building blocks of detector results shared by the detector modules. */
import type { DetectorResult, FeatureDrift } from '../../shared/events/index.js';
import { selectRows } from './matrix.js';
import type { Matrix } from './matrix.js';
import { correct, seededRandom, seedOf } from './stats/index.js';
import type { Correction } from './stats/index.js';

/** What {@link familyResult} needs of the settings. */
export interface FamilySettings {
  alpha: number;
  correction: Correction;
}

/** The result of a detector that could not run on a window, with the reason. */
export function skipped(detector: string, reason: string): DetectorResult {
  return { detector, statistic_name: '', statistic: 0, p_value: 1, has_p_value: false, drifted: false, correction: 'none', features: [], details: {}, skipped_reason: reason };
}

/**
 * Whether a result is shown only (`details.shown_only` 1: MMD with a kernel of `mmd_kernels`
 * other than `kernel`): reported beside the detectors, never part of the window's decision.
 */
export function isShownOnly(r: DetectorResult): boolean {
  return Number(r.details?.['shown_only'] ?? 0) === 1;
}

/** Whether a result counts in the window's family-wise decision: a p-value, not skipped, not shown only. */
export function inFamily(r: DetectorResult): boolean {
  return Boolean(r.has_p_value) && !r.skipped_reason && !isShownOnly(r);
}

/**
 * Marks a result shown only: `details.shown_only` 1 and `details.alone_drifted` its own decision
 * at alpha (1/0); `drifted` false, so it never flags the window.
 */
export function markShownOnly(r: DetectorResult, alpha: number): DetectorResult {
  const alone = Boolean(r.has_p_value) && !r.skipped_reason && (r.p_value as number) < alpha;
  r.details = { ...r.details, shown_only: 1, ...(r.has_p_value && !r.skipped_reason ? { alone_drifted: alone ? 1 : 0 } : {}) };
  r.drifted = false;
  return r;
}

/**
 * Corrects a family of per-feature p-values (NaN: untestable) and builds the detector's result:
 * each feature's corrected p-value and decision, the family's p-value (the smallest corrected
 * one), its decision (any feature rejected) and `features_drifted` in the details.
 */
export function familyResult(
  detector: string,
  statisticName: string,
  statistic: number,
  features: FeatureDrift[],
  ps: readonly number[],
  s: FamilySettings,
  details: Record<string, number>,
): DetectorResult {
  const c = correct(ps, s.alpha, s.correction);
  features.forEach((f, k) => {
    f.p_value_corrected = Number.isNaN(c.adjusted[k]) ? 1 : c.adjusted[k];
    f.drifted = c.rejected[k];
  });
  return {
    detector,
    statistic_name: statisticName,
    statistic,
    p_value: Number.isNaN(c.pValue) ? 1 : c.pValue,
    has_p_value: !Number.isNaN(c.pValue),
    drifted: c.rejected.some(Boolean),
    correction: s.correction,
    features,
    details: { ...details, features_drifted: c.rejected.filter(Boolean).length },
    skipped_reason: '',
  };
}

/** The rows of `m` whose values are all finite. */
export function finiteRows(m: Matrix): Matrix {
  const keep: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    let ok = true;
    for (let j = 0; j < m.cols && ok; j++) ok = Number.isFinite(m.data[i * m.cols + j]);
    if (ok) keep.push(i);
  }
  return keep.length === m.rows ? m : selectRows(m, keep);
}

/** At most `max` rows of `m`, a subsample seeded by `seed` (rows kept in order). */
export function subsample(m: Matrix, max: number, seed: string): Matrix {
  if (m.rows <= max) return m;
  const rand = seededRandom(seedOf(seed));
  const idx = Array.from({ length: m.rows }, (_, i) => i);
  for (let i = 0; i < max; i++) {
    const r = i + Math.floor(rand() * (idx.length - i));
    [idx[i], idx[r]] = [idx[r] as number, idx[i] as number];
  }
  return selectRows(m, idx.slice(0, max).sort((a, b) => a - b));
}
