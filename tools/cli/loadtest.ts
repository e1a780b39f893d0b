/**
 * `mlmesh loadtest`: load test a running inference service (tools/loadtest/): the node engine
 * (several grpc-js client processes, errors by gRPC status) or h2load (a prepared gRPC frame,
 * the cheapest client; HTTP statuses only, so the request is checked with one real call first).
 */
import { connection } from './connection.js';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { onRun, sourceOf } from './action.js';
import { addressOf, addressOption, jsonOption, nonEmpty, nonNegativeInt, positiveInt, targetAlias } from './options.js';
import { printer } from './output.js';
import type { CliContext } from './program.js';
import { startProgress } from './progress.js';

interface LoadtestCliOptions {
  address: string;
  target?: string;
  model: string;
  version: string;
  rows: number;
  concurrency: number;
  duration: number;
  requests: number;
  rate: number;
  engine: 'node' | 'h2load';
  processes: number;
  connections: number;
  out?: string;
  quiet?: boolean;
  json?: boolean;
}

/** Registers `loadtest`. */
export function registerLoadtest(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('loadtest')
    .description('load test a running inference service: a progress bar (requests, rate, ETA), then throughput, p50/p90/p99/max latency and errors by status')
    .addOption(addressOption('inference'))
    .addOption(targetAlias())
    .addOption(new Option('--model <name>', 'model to call').default('digits_mlp').argParser(nonEmpty))
    .addOption(new Option('--version <v>', 'model version (default: the served one)').default(''))
    .addOption(new Option('--rows <n>', 'rows per request').default(1).argParser(positiveInt))
    .addOption(new Option('--concurrency <n>', 'requests in flight').default(16).argParser(positiveInt))
    .addOption(new Option('--duration <s>', 'run this many seconds (with --requests: a safety bound)').default(10).argParser(positiveInt))
    .addOption(new Option('--requests <n>', 'stop after n requests (0: run for --duration)').default(0).argParser(nonNegativeInt))
    .addOption(new Option('--rate <n>', 'requests per second (0: as fast as possible)').default(0).argParser(nonNegativeInt))
    .addOption(new Option('--engine <engine>', 'node or h2load').default('node').choices(['node', 'h2load']))
    .addOption(new Option('--processes <n>', 'client processes (node engine)').default(4).argParser(positiveInt))
    .addOption(new Option('--connections <n>', 'connections (h2load engine)').default(1).argParser(positiveInt))
    .addOption(new Option('--out <file.json>', 'also write the result as JSON to this file').argParser(nonEmpty))
    .option('--quiet', 'no progress bar')
    .addOption(jsonOption());
  onRun<LoadtestCliOptions>(cmd, ctx, async (_a, o, command) => {
    const { formatResult, loadTest } = await import('../loadtest/index.js');
    const byCount = o.requests > 0;
    const bar = o.quiet ? undefined : startProgress(`loadtest ${o.model}`, { unit: byCount ? 'requests' : 's', total: byCount ? o.requests : o.duration, rate: (done, s) => `${(byCount ? done / s : okSoFar / Math.max(done, 1e-3)).toFixed(0)} req/s` });
    let okSoFar = 0;
    let result;
    try {
      result = await loadTest({
        target: addressOf(o, sourceOf(command, 'address')),
        model: o.model,
        version: o.version,
        rows: o.rows,
        concurrency: o.concurrency,
        durationS: o.duration,
        requests: o.requests,
        rate: o.rate,
        engine: o.engine,
        processes: o.processes,
        connections: o.connections,
        connection: connection(),
        onProgress: (ok, errors, ms) => {
          okSoFar = ok;
          bar?.update(byCount ? ok + errors : ms / 1000);
        },
      });
    } finally {
      bar?.stop();
    }
    printer(o.json).record({ ...result }, () => formatResult(result));
    if (o.out) await writeFile(o.out, JSON.stringify(result, null, 2) + '\n');
  });
}
