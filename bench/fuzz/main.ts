/**
 * The fuzz suite (docs/security.md, "Fuzz suite"): starts every service of the mesh for real
 * (bench/fuzz/mesh.ts) and fuzzes every RPC of each (bench/fuzz/runner.ts).
 *
 *   npm run fuzz -- [--runs 100] [--seed N] [--services inference,gateway] [--time-budget-s 600]
 *
 * Prints counts by status per service, the findings, the slowest call and memory before/after;
 * writes bench/results/<date>-fuzz.json. Exits 1 when there is a finding (or the mesh did not
 * start), 0 otherwise.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../shared/config/index.js';
import { fuzzMesh } from './suite.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string' },
    services: { type: 'string' },
    'time-budget-s': { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    quiet: { type: 'boolean', default: false },
  },
});

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`fuzz: --${name} must be a non-negative integer, got '${text}'`);
  return n;
}

// Servers log their own failures at error level: that is the detail a finding needs.
process.env['LOG_LEVEL'] ??= 'error';
const budget = positive('time-budget-s', values['time-budget-s']);
const seed = positive('seed', values.seed);
const report = await fuzzMesh({
  runs: positive('runs', values.runs) ?? 100,
  concurrency: positive('concurrency', values.concurrency) ?? 4,
  ...(seed !== undefined ? { seed } : {}),
  ...(budget !== undefined ? { timeBudgetMs: budget * 1000 } : {}),
  ...(values.services ? { services: values.services.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  ...(values.quiet ? {} : { onBatch: (svc: string, method: string, calls: number, ms: number) => console.error(`  ${svc}/${method}: ${calls} calls in ${ms} ms`) }),
});
console.log(report.text);
const dir = join(projectRoot(), 'bench/results');
await mkdir(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().slice(0, 10)}-fuzz.json`);
await writeFile(file, `${JSON.stringify(report.report, null, 2)}\n`);
console.log(`wrote ${file}`);
process.exitCode = report.report.findings.length > 0 ? 1 : 0;
