/**
 * The chaos run (docs/security.md, "Fault injection"): the whole mesh under steady load through
 * the gateway while faults are injected in turn; per fault, requests failed and hidden by retry,
 * prediction logs lost or stored twice, monitor window rows lost or double-counted, time to
 * recover.
 *
 *   npm run chaos -- [--faults kill-inference,nats-down] [--rate 20] [--nats-down-ms 30000]
 *                    [--settle-ms 15000] [--quick] [--inference-env K=V]… [--out DIR]
 *
 * Prints the table; writes <out>/<date>-chaos.json and .md (default bench/results). Exits 1 when
 * the mesh was not whole at the end (a service not ready), a fault could not be injected, or the
 * tool's own accounting does not add up; 2 on a bad option.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../shared/config/index.js';
import { markdownTable, textTable } from './accounting.js';
import { FAULTS, pickFaults } from './faults.js';
import { runChaos } from './run.js';

/** A bad option, said in one line (exit 2), not as a stack trace. */
function usage(e: unknown): never {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
}

function orUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e: unknown) {
    return usage(e);
  }
}

const { values } = orUsage(() =>
  parseArgs({
    options: {
      faults: { type: 'string' },
      rate: { type: 'string' },
      'nats-down-ms': { type: 'string' },
      'settle-ms': { type: 'string' },
      'spool-max-bytes': { type: 'string' },
      'window-rows': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'inference-env': { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }),
);

if (values.help) {
  console.log(`npm run chaos -- [--faults a,b] [--rate N] [--nats-down-ms N] [--settle-ms N] [--spool-max-bytes N] [--window-rows N] [--quick] [--inference-env K=V]… [--out DIR]\nfaults: ${FAULTS.map((f) => f.name).join(', ')}`);
  process.exit(0);
}

function num(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`chaos: --${name} must be a positive number, got '${text}'`);
  return n;
}

const inferenceEnv: Record<string, string> = {};
for (const kv of values['inference-env']) {
  const eq = kv.indexOf('=');
  if (eq <= 0) usage(new Error(`chaos: --inference-env takes K=V, got '${kv}'`));
  inferenceEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
}

let options: Parameters<typeof runChaos>[0];
try {
  pickFaults(values.faults);
  options = {
    faults: values.faults,
    rate: num('rate', values.rate),
    natsDownMs: num('nats-down-ms', values['nats-down-ms']),
    settleMs: num('settle-ms', values['settle-ms']),
    spoolMaxBytes: num('spool-max-bytes', values['spool-max-bytes']),
    windowRows: num('window-rows', values['window-rows']),
    quick: values.quick,
    inferenceEnv,
  };
} catch (e: unknown) {
  usage(e);
}
const result = await runChaos(options);
const { account: a } = result;
console.log(textTable(a));
console.log(`\ntotals: ${JSON.stringify(a.totals)}${result.notReady.length ? `\nNOT READY at the end: ${result.notReady.join(', ')}` : ''}${result.faultErrors.map((e) => `\nFAULT FAILED: ${e}`).join('')}`);
const dir = values.out ?? join(projectRoot(), 'bench/results');
await mkdir(dir, { recursive: true });
const stem = join(dir, `${new Date().toISOString().slice(0, 10)}-chaos`);
const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim();
await writeFile(`${stem}.json`, `${JSON.stringify({ command, ...result }, null, 2)}\n`);
await writeFile(`${stem}.md`, `# Chaos run\n\n\`${command}\`\n\nSettings: ${JSON.stringify(result.settings)}\n\n${markdownTable(a)}\nTotals: ${JSON.stringify(a.totals)}\n`);
console.log(`wrote ${stem}.json and ${stem}.md`);
const adds = a.periods.every((f) => f.ok + f.hiddenByRetry + f.failed === f.sent) && a.totals.pending === 0;
process.exitCode = result.notReady.length > 0 || result.faultErrors.length > 0 || !adds ? 1 : 0;
