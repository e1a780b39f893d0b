/**
 * The steps of the credit example that talk to the mesh, shared by the build
 * (examples/credit/build.ts), the demo (examples/demo.ts) and the tests. Each step runs the
 * `mlmesh` command (dist/tools/cli/main.js) as a user would, so the commands in
 * examples/credit/README.md are the ones that run here.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FeaturesClient } from '../../shared/client/index.js';
import { projectRoot } from '../../shared/config/index.js';

/** The example's folder, relative to the repository root (the features service's dataDir in the mesh). */
export const CREDIT_DIR = 'examples/credit';
/** The feature definitions (one file: features, the bug-fixed v2, the feature service). */
export const DEFINITIONS = `${CREDIT_DIR}/features`;
/** The feature service the model reads. */
export const FEATURE_SERVICE = 'credit_risk_v1';
/** Every feature version the definitions hold, materialized by {@link loadCreditFeatures}. */
export const FEATURE_REFS = ['avg_bank_bal@1', 'avg_bank_bal@2', 'last_balance@1', 'txn_count_30d@1', 'overdrafts_90d@1', 'num_referrals@1', 'read_faq@1'] as const;
/** The range the generated events cover: [2026-01-01, 2026-07-01) UTC. */
export const EVENTS_FROM = '2026-01-01T00:00:00Z';
export const EVENTS_TO = '2026-07-01T00:00:00Z';
/** The model, its pipeline, the pipeline store and the deployment. */
export const MODEL = 'credit_risk';
export const PIPELINE = 'credit_risk';
export const PIPELINE_VERSION = '1';
export const PIPELINE_STORE = 'examples/pipelines';
export const MODEL_REPOSITORY = 'examples/models';
export const DEPLOYMENT = 'credit';

/** What a command printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Thrown when a command exits non-zero: its words, and what it was. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    message: string,
    readonly result?: CliResult,
  ) {
    super(message);
  }
}

/**
 * Runs `mlmesh <args>` (the built CLI) in the repository root; resolves with its output.
 * @throws StepError when it exits non-zero, with its stderr.
 */
export async function mlmesh(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return run(process.execPath, [join(projectRoot(), 'dist/tools/cli/main.js'), ...args], env, `mlmesh ${args.join(' ')}`);
}

/**
 * Runs a program in the repository root and collects its output.
 * @throws StepError when it exits non-zero or cannot start.
 */
export async function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, what: string): Promise<CliResult> {
  const child = spawn(file, args, { cwd: projectRoot(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new StepError(`${what}: cannot start: ${e.message}`)));
    child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  const result = { code, stdout, stderr };
  if (code !== 0) throw new StepError(`${what} exited ${code}: ${stderr.trim() || stdout.trim()}`, result);
  return result;
}

/** JSON lines of a `--json` command's stdout. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What {@link loadCreditFeatures} did per feature version. */
export interface Materialized {
  feature: string;
  rows_read: number;
  values_written: number;
  entities: number;
  ms: number;
}

/**
 * Makes a features service serve the example: `mlmesh features apply examples/credit/features`
 * (registers what is not registered yet; definitions already there with the same content are
 * unchanged), then a Materialize of every feature version over the events' range (a Materialize
 * replaces its range, so running it again gives the same values): by `mlmesh features
 * materialize`, or with `via: 'client'` by the client in this process (the same RPC without a
 * process start per feature, which the demo takes on a loaded machine).
 * @throws StepError naming the command that failed.
 */
export async function loadCreditFeatures(address: string, onStep: (line: string) => void = () => {}, via: 'cli' | 'client' = 'cli'): Promise<Materialized[]> {
  const applied = jsonLines((await mlmesh(['features', 'apply', DEFINITIONS, '--address', address, '--json'])).stdout);
  const summary = applied.find((r) => 'summary' in r)?.['summary'];
  onStep(`mlmesh features apply ${DEFINITIONS}: ${JSON.stringify(summary)}`);
  const client = via === 'client' ? new FeaturesClient(address) : undefined;
  const done: Materialized[] = [];
  try {
    for (const ref of FEATURE_REFS) {
      const t0 = Date.now();
      const res = client
        ? await client.materialize({ feature: ref, start_ms: Date.parse(EVENTS_FROM), end_ms: Date.parse(EVENTS_TO) }, { timeoutMs: 600_000 })
        : jsonLines((await mlmesh(['features', 'materialize', '--feature', ref, '--start', EVENTS_FROM, '--end', EVENTS_TO, '--address', address, '--json'])).stdout)[0];
      const m = { feature: ref, rows_read: Number(res?.['rows_read']), values_written: Number(res?.['values_written']), entities: Number(res?.['entities']), ms: Date.now() - t0 };
      onStep(`${client ? 'Materialize' : 'mlmesh features materialize --feature'} ${ref}: ${m.rows_read} rows read, ${m.values_written} values for ${m.entities} users (${m.ms} ms)`);
      done.push(m);
    }
  } finally {
    client?.close();
  }
  return done;
}
