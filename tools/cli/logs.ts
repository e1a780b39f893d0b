/**
 * `mlmesh logs tail` and `mlmesh feedback`: the prediction logs and ground truth the mesh carries
 * on NATS JetStream (implementation in logs-run.ts, loaded when a command runs).
 */
import { Command, Option } from 'commander';
import { onRun } from './action.js';
import { UsageError } from './errors.js';
import { addressOption, finiteNumber, jsonOption, modelOption, natsOption, nonEmpty, nonNegativeInt, positiveInt, timeoutOption, versionOption, required } from './options.js';
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

/** Options of `feedback import`. */
export interface FeedbackImportOptions {
  model?: string;
  nats: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Options of `feedback export`. */
export interface FeedbackExportOptions {
  model: string;
  version?: string;
  window?: number[];
  unlabelled?: boolean;
  limit?: number;
  out?: string;
  address: string;
  timeoutMs: number;
  json?: boolean;
}

const windowList = (v: string): number[] => v.split(',').map((s) => nonNegativeInt(s.trim()));

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
  const group = program.command('feedback').description('ground truth for earlier predictions: send one label, export the labelling queue as CSV, import a labelled CSV');
  // `send` is the default: `mlmesh feedback --model m --request-id r --label l` still works.
  const fb = group
    .command('send', { isDefault: true })
    .description('publish ground truth for an earlier prediction (a Feedback event, stored once per request id) to stream MLMESH_FEEDBACK, creating it if missing; the default command of `mlmesh feedback`')
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
  const exp = group
    .command('export')
    .description("the monitor's labelling queue as CSV (request_id,row,model,version,window_index,stratum,uncertainty_rank,prediction,confidence,label, then the input features): rows of closed windows sampled for people to label; fill in `label` (or add `value` for a regressor) and send the file back with `mlmesh feedback import`")
    .addOption(modelOption('model whose queue to export'))
    .addOption(versionOption('only this version (default: every version)'))
    .addOption(new Option('--window <indices>', 'only these windows, e.g. 3,4 (default: every window whose queue is kept)').argParser(windowList))
    .option('--unlabelled', 'leave out rows that have received a label since')
    .addOption(new Option('--limit <n>', 'at most n rows, oldest window first (default and most: 10000)').argParser(positiveInt))
    .addOption(new Option('--out <file.csv>', 'write the CSV there (default: stdout)').argParser(nonEmpty))
    .addOption(addressOption('monitor'))
    .addOption(timeoutOption(10_000))
    .addOption(new Option('--json', 'print the rows as JSON objects, one per line, instead of CSV'));
  onRun<FeedbackExportOptions>(exp, ctx, async (_args, o) => (await import('./feedback-run.js')).feedbackExport(o));
  const imp = group
    .command('import')
    .description('send a labelled CSV back as Feedback (one per row, Nats-Msg-Id feedback-<request id>/<row>), joined by the monitor to the predictions by request id and row; a row labelled twice counts once. Columns: request_id, label (or value for a numeric target), optional row and model. Rows without a label are skipped; any bad row refuses the whole file (each problem named by line and column) before anything is sent')
    .argument('<file.csv>', 'the CSV (e.g. from `mlmesh feedback export` with its label column filled in)')
    .addOption(new Option('--model <name>', 'model of every row (needed when the file has no model column)').argParser(nonEmpty))
    .option('--dry-run', 'check the file and print what would be sent, send nothing')
    .addOption(natsOption())
    .addOption(jsonOption());
  onRun<FeedbackImportOptions>(imp, ctx, async (args, o) => (await import('./feedback-run.js')).feedbackImport(args[0] as string, o));
}
