/** The statistics of the drift monitor: two-sample tests, corrections, effect sizes, MMD. */
export { ks2Samp, ksExactSf, ksAsymptoticSf, ksStatistic, KS_EXACT_MAX_N } from './ks.js';
export type { KsResult } from './ks.js';
export { chi2Homogeneity } from './chi2.js';
export type { Chi2Result } from './chi2.js';
export { correct } from './corrections.js';
export type { Correction, Corrected } from './corrections.js';
export { psi, wasserstein, normalizedWasserstein, std, quantileSorted, PSI_FLOOR, WASSERSTEIN_STD_FLOOR } from './effect-sizes.js';
export { mannWhitneyU, mannWhitneyExactSf, MWU_EXACT_MAX_N } from './mann-whitney.js';
export type { Alternative, MannWhitneyResult } from './mann-whitney.js';
export { mmdTest, medianLengthScale, KERNELS } from './mmd.js';
export type { Kernel, MmdInput, MmdResult } from './mmd.js';
export { chi2Sf, studentTTwoSided, normalSf, gammaQ, betaI, lgamma } from './special.js';
export { seededRandom, seedOf } from './rng.js';
export { pca, project } from './pca.js';
export { kolmogorovNSf, kolmogorovCdfDurbin, kolmogorovCdfPelzGood, smirnovSf } from './kolmogorov.js';
