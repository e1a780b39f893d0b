/**
 * `mlmesh predict` and `mlmesh deployments`: the gateway over gRPC with the client package
 * (implementation in gateway-run.ts).
 */
import { Command, Option } from 'commander';
import { onRun } from './action.js';
import { addressOption, jsonOption, nonEmpty, required, timeoutOption } from './options.js';
import type { CliContext } from './program.js';

/** Options every gateway command has. */
export interface GatewayCommon {
  address: string;
  timeoutMs: number;
  json?: boolean;
}

/** Options of `predict`. */
export interface PredictOptions extends GatewayCommon {
  rows: string;
  asOf?: string;
  requestId?: string;
}

function common(cmd: Command): Command {
  return cmd.addOption(addressOption('gateway')).addOption(timeoutOption(10_000)).addOption(jsonOption());
}

/** Registers `predict`. */
export function registerPredict(program: Command, ctx: CliContext): void {
  const cmd = common(
    program
      .command('predict')
      .description('predict rows with a deployment of the gateway (features → pipeline → model): one line per row, its prediction or its errors; exit 0 when the call succeeds, whatever the rows say')
      .argument('<deployment>', 'the deployment name')
      .addOption(required(new Option('--rows <file|json>', 'the rows: a JSON array of objects (or {"rows": [...]}) inline or in a file, or a .jsonl/.ndjson file of one object per line').argParser(nonEmpty)))
      .addOption(new Option('--as-of <time>', 'read features as of this time: ISO 8601 with its offset, or epoch ms (default: now)').argParser(nonEmpty))
      .addOption(new Option('--request-id <id>', 'the request id sent as x-request-id (default: a new UUID)').argParser(nonEmpty)),
  );
  onRun<PredictOptions>(cmd, ctx, async (args, o) => (await import('./gateway-run.js')).predict(args[0] as string, o));
}

/** Registers `deployments`. */
export function registerDeployments(program: Command, ctx: CliContext): void {
  const cmd = common(
    program
      .command('deployments')
      .description('the deployments the gateway serves (and the files it refused, with why); with a name, that deployment and its spec')
      .argument('[name]', 'one deployment'),
  );
  onRun<GatewayCommon>(cmd, ctx, async (args, o) => (await import('./gateway-run.js')).deployments(args[0], o));
}
