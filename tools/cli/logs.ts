/**
 * `mlmesh logs tail` and `mlmesh feedback`: the prediction logs and ground truth the mesh carries
 * on NATS JetStream (implementation in logs-run.ts, loaded when a command runs).
 */
import { Command, Option } from 'commander';
import { onRun } from './action.js';
import { UsageError } from './errors.js';
import { finiteNumber, jsonOption, modelOption, natsOption, nonEmpty, positiveInt, versionOption, required } from './options.js';
import type { CliContext } from './program.js';

/** Options of `logs tail`. */
export interface TailOptions {
  model: string;
  version?: string;
  all?: boolean;
  limit?: number;
  timeoutMs?: number;
  nats: string;
  json?: boolean;
}

/** Options of `feedback`. */
export interface FeedbackOptions {
  model: string;
  requestId: string;
  label?: string;
  value?: number;
  nats: string;
  json?: boolean;
}

/** Registers `logs tail`. */
export function registerLogs(program: Command, ctx: CliContext): void {
  const logs = program.command('logs').description('prediction logs on NATS (stream MLMESH_PREDICTIONS)');
  const tail = logs
    .command('tail')
    .description("follow a model's prediction logs: one line per log (time, request id, version, latency, route, tensors with their first 8 values); stops after --limit logs, after --timeout-ms without one, or on SIGINT/SIGTERM (exit 0)")
    .addOption(modelOption('model whose logs to follow'))
    .addOption(versionOption('only this version (default: every version)'))
    .option('--all', 'start at the oldest log in the stream (default: new logs only)')
    .addOption(new Option('--limit <n>', 'stop after n logs').argParser(positiveInt))
    .addOption(new Option('--timeout-ms <ms>', 'stop after this many ms without a log (default: run until SIGINT/SIGTERM)').argParser(positiveInt))
    .addOption(natsOption())
    .addOption(jsonOption());
  onRun<TailOptions>(tail, ctx, async (_args, o) => (await import('./logs-run.js')).logsTail(o, ctx.signal));
}

/** Registers `feedback`. */
export function registerFeedback(program: Command, ctx: CliContext): void {
  const fb = program
    .command('feedback')
    .description('publish ground truth for an earlier prediction (a Feedback event, stored once per request id) to stream MLMESH_FEEDBACK, creating it if missing')
    .addOption(modelOption('model that made the prediction'))
    .addOption(required(new Option('--request-id <id>', 'request id of the prediction')).argParser(nonEmpty))
    .addOption(new Option('--label <string>', 'a class label (or --value)'))
    .addOption(new Option('--value <number>', 'a numeric target (write a negative one as --value=-1)').argParser(finiteNumber))
    .addOption(natsOption())
    .addOption(jsonOption());
  onRun<FeedbackOptions>(fb, ctx, async (_args, o) => {
    if (o.label !== undefined && o.value !== undefined) throw new UsageError('give either --label or --value, not both');
    if (o.label === undefined && o.value === undefined) throw new UsageError('one of --label or --value is required');
    return (await import('./logs-run.js')).feedback(o);
  });
}
