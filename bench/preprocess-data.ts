/**
 * Synthetic data for the preprocess benchmark (seeded, so every run sees the same rows): 14
 * numeric columns (log-normal and normal, some with missing values) and 6 categorical ones
 * (3 to 40 skewed levels, some missing), and the 20-column pipeline spec run over them.
 */
import { seededRandom } from '../services/monitor/stats/index.js';

/** The benchmark's spec: every step family over 20 input columns. */
export const BENCH_SPEC = JSON.stringify({
  name: 'bench20',
  steps: [
    { type: 'impute', columns: ['n00', 'n01', 'n02', 'n03', 'n04'], strategy: 'mean', add_indicator: true },
    { type: 'impute', columns: ['n05', 'n06', 'n07', 'n08', 'n09'], strategy: 'median' },
    { type: 'impute', columns: ['c00', 'c01', 'c02'], strategy: 'most_frequent' },
    { type: 'impute', columns: ['c03', 'c04', 'c05'], strategy: 'constant', fill_value: 'missing' },
    { type: 'rare_label', columns: ['c04', 'c05'], tol: 0.02, n_categories: 5 },
    { type: 'one_hot', columns: ['c00', 'c01', 'c02', 'c03'], min_frequency: 0.01, handle_unknown: 'infrequent_if_exist' },
    { type: 'ordinal', columns: ['c04', 'c05'], handle_unknown: 'use_encoded_value', unknown_value: -1 },
    { type: 'derive', name: 'n00_minus_n01', op: 'difference', left: 'n00', right: 'n01' },
    { type: 'log1p', columns: ['n10'] },
    { type: 'power', columns: ['n11'] },
    { type: 'cap_outliers', columns: ['n12', 'n13'], method: 'iqr' },
    { type: 'standard_scale', columns: ['n00', 'n01', 'n02', 'n03', 'n04', 'n00_minus_n01'] },
    { type: 'robust_scale', columns: ['n05', 'n06', 'n07', 'n08', 'n09'] },
    { type: 'min_max_scale', columns: ['n10', 'n11', 'n12', 'n13'] },
  ],
});

const NUMERIC = Array.from({ length: 14 }, (_, i) => `n${String(i).padStart(2, '0')}`);
const CATEGORICAL = Array.from({ length: 6 }, (_, i) => `c${String(i).padStart(2, '0')}`);
const LEVELS = [3, 5, 8, 12, 25, 40];

/** A value in proto-loader's output shape (also accepted as input by grpc-js and protobufjs). */
type BenchValue = { kind: 'double_value'; double_value: number } | { kind: 'string_value'; string_value: string };

/**
 * `trainRows` rows as CSV bytes (for the fit) and `requestRows` more as typed records (for
 * Transform, none missing where the pipeline requires a value).
 */
export function benchData(trainRows: number, requestRows: number): { csv: Uint8Array; records: { fields: Record<string, BenchValue> }[] } {
  const rand = seededRandom(20261122);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const row = (): (number | string | null)[] => [
    ...NUMERIC.map((_, i) => {
      if (i < 10 && rand() < 0.05) return null;
      const v = i % 2 === 0 ? Math.exp(normal()) * (i + 1) : 50 + 10 * normal();
      return Math.round(v * 1000) / 1000;
    }),
    ...CATEGORICAL.map((_, i) => {
      if (rand() < 0.03) return null;
      // Skewed levels: level k with weight ~ 1/(k+1).
      const n = LEVELS[i] as number;
      const u = rand() * Math.log(n + 1);
      return `L${Math.min(n - 1, Math.floor(Math.exp(u) - 1))}`;
    }),
  ];
  const header = [...NUMERIC, ...CATEGORICAL];
  const lines = [header.join(',')];
  for (let r = 0; r < trainRows; r++) lines.push(row().map((v) => (v === null ? '' : String(v))).join(','));
  const records = Array.from({ length: requestRows }, () => {
    const fields: Record<string, BenchValue> = {};
    row().forEach((v, i) => {
      const name = header[i] as string;
      // Columns 10–13 and nothing categorical is imputed… except what the spec imputes: fill
      // the required ones so every record is valid.
      const value = v ?? (i < NUMERIC.length ? 1 : 'L0');
      fields[name] = typeof value === 'number' ? { kind: 'double_value', double_value: value } : { kind: 'string_value', string_value: value };
    });
    return { fields };
  });
  return { csv: Buffer.from(`${lines.join('\n')}\n`), records };
}
