/** CLI of the load test: `npm run loadtest -- --help` lists the options (see load-test.ts). */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadTest } from './load-test.js';
import { formatResult } from './stats.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: '127.0.0.1:8001' },
      model: { type: 'string', default: 'digits_mlp' },
      version: { type: 'string', default: '' },
      rows: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '16' },
      duration: { type: 'string', default: '10' },
      requests: { type: 'string', default: '0' },
      rate: { type: 'string', default: '0' },
      engine: { type: 'string', default: 'node' },
      processes: { type: 'string', default: '4' },
      connections: { type: 'string', default: '1' },
      json: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (values.engine !== 'node' && values.engine !== 'h2load') throw new Error(`--engine must be node or h2load, got ${values.engine}`);
  const result = await loadTest({
    target: values.target,
    model: values.model,
    version: values.version,
    rows: Number(values.rows),
    concurrency: Number(values.concurrency),
    durationS: Number(values.duration),
    requests: Number(values.requests),
    rate: Number(values.rate),
    engine: values.engine,
    processes: Number(values.processes),
    connections: Number(values.connections),
    onProgress: values.quiet
      ? undefined
      : (ok, errors, ms) => process.stderr.write(`[${(ms / 1000).toFixed(0)}s] ${ok} ok, ${errors} errors, ${(ok / (ms / 1000)).toFixed(0)} req/s\n`),
  });
  process.stdout.write(`${formatResult(result)}\n`);
  if (values.json) await writeFile(values.json, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`loadtest: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
