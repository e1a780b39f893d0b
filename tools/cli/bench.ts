/**
 * `mlmesh bench <name>`: runs a benchmark (bench/<name>.ts, compiled) as its own process, with
 * the options of the table in bench-specs.ts; from a checkout only (the package ships no
 * benchmarks).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { onRun } from './action.js';
import { BENCHMARKS, addBenchOptions } from './bench-specs.js';
import type { BenchSpec } from './bench-specs.js';
import { CommandError } from './errors.js';
import type { CliContext } from './program.js';

/** Registers the `bench` group: one command per benchmark. */
export function registerBench(program: Command, ctx: CliContext): void {
  const g = program.command('bench').description('benchmarks (not tests): figures printed and written to bench/results/; from a source checkout');
  for (const [name, spec] of Object.entries(BENCHMARKS) as [string, BenchSpec][]) {
    const cmd = addBenchOptions(g.command(name).description(spec.description), spec, ctx.env);
    onRun<Record<string, string>>(cmd, ctx, async (_a, o) => {
      const script = fileURLToPath(new URL(`../../bench/${spec.file}.js`, import.meta.url));
      if (!existsSync(script)) throw new CommandError(`${script} is missing: benchmarks run from a source checkout after npm run build (the package ships none)`);
      const args = spec.options.flatMap((x) => [`--${x.flag}`, String(o[x.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())])]);
      const child = spawn(process.execPath, ['--enable-source-maps', script, ...args], { stdio: 'inherit', env: ctx.env });
      const stop = (): void => void child.kill('SIGTERM');
      ctx.signal.addEventListener('abort', stop, { once: true });
      try {
        const code = await new Promise<number>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
        });
        if (code !== 0) throw new CommandError(`benchmark ${name} exited with code ${code}`);
      } finally {
        ctx.signal.removeEventListener('abort', stop);
      }
    });
  }
}
