/**
 * The mesh's own entry point (what `npm start` runs; `mlmesh up` / `mlmesh status` route to the
 * same runUp/runStatus through tools/cli/mesh.ts):
 *
 *   node dist/tools/mesh/main.js [up] [--only a,b] [--config mlmesh.yaml] [--log-format json]   (npm start)
 *   node dist/tools/mesh/main.js status [--json]
 *
 * `up` is the default command. The exit code is the entry point's (see up.ts, status.ts).
 */
import { runStatus } from './status.js';
import { UP_HELP, runUp } from './up.js';

const HELP = `${UP_HELP}
Also: mlmesh status [--json]   health, versions and addresses of the running mesh (mlmesh status --help)
`;

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'status') return runStatus(rest);
  if (first === 'up') return runUp(rest);
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    process.stderr.write(`mlmesh: unknown command ${JSON.stringify(first)} (up, status)\n`);
    return 2;
  }
  return runUp(argv);
}

// exitCode rather than exit(): stdout may still be flushing into a pipe.
process.exitCode = await main(process.argv.slice(2));
