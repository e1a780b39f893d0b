/**
 * `mlmesh manifest <version dir>`: writes the version's manifest.json (SHA-256 of every file
 * and provenance), and `mlmesh reference`: completes a version's drift reference.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { onRun } from './action.js';
import { CommandError, UsageError } from './errors.js';
import { jsonOption, nonEmpty } from './options.js';
import { printer } from './output.js';
import type { CliContext } from './program.js';

/** Provenance flags, shared by `manifest` and `model add` (same names). */
export interface ProvenanceFlags {
  source?: string;
  producedBy?: string;
  trainingData?: string;
  trainingDataSha256?: string;
  parent?: string;
  parentVersion?: string;
  metric?: string[];
  metrics?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function sha256Hex(v: string): string {
  if (!/^[0-9a-f]{64}$/.test(v)) throw new InvalidArgumentError('must be a lowercase hex SHA-256 (64 characters)');
  return v;
}

function metricPair(v: string, prev: string[] | undefined): string[] {
  const [k, x] = v.split('=');
  if (!k || x === undefined || x.trim() === '' || !Number.isFinite(Number(x))) throw new InvalidArgumentError(`expected name=number, got '${v}'`);
  return collect(v, prev);
}

/** Registers `manifest`. */
export function registerManifest(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('manifest')
    .description("write a version folder's manifest.json: the SHA-256 of every file (but the manifest and reference/) and provenance; the inference service refuses a version whose files do not match")
    .argument('<version-dir>', 'the version folder, e.g. examples/models/digits_mlp/2')
    .addOption(new Option('--source <text>', "provenance: who or what produced the version (default: 'mlmesh manifest')").argParser(nonEmpty))
    .addOption(new Option('--produced-by <text>', 'old name of --source').hideHelp().argParser(nonEmpty))
    .addOption(new Option('--training-data <file>', 'provenance: the training data, hashed').argParser(nonEmpty))
    .addOption(new Option('--training-data-sha256 <hex>', 'provenance: the training data\'s SHA-256, when the file is not at hand').argParser(sha256Hex))
    .addOption(new Option('--parent <version>', 'provenance: the version this one derives from').argParser(nonEmpty))
    .addOption(new Option('--parent-version <version>', 'old name of --parent').hideHelp().argParser(nonEmpty))
    .addOption(new Option('--metric <name=value>', 'provenance: a metric (repeat for several)').argParser(metricPair))
    .addOption(new Option('--metrics <file.json>', 'provenance: metrics, a JSON object of name: number').argParser(nonEmpty))
    .addOption(jsonOption());
  onRun<ProvenanceFlags>(cmd, ctx, async (args, o) => {
    if (o.trainingData !== undefined && o.trainingDataSha256 !== undefined) throw new UsageError('give --training-data or --training-data-sha256, not both');
    const dir = args[0] as string;
    const { sha256File } = await import('../../services/inference/index.js');
    const { writeManifest, ManifestInputError } = await import('../manifest.js');
    const metrics: Record<string, number> = {};
    if (o.metrics !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(o.metrics, 'utf8'));
      } catch (e: unknown) {
        throw new CommandError(`--metrics ${o.metrics}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CommandError(`--metrics ${o.metrics}: must be a JSON object of name: number`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new CommandError(`--metrics ${o.metrics}: '${k}' must be a finite number`);
        metrics[k] = v;
      }
    }
    for (const m of o.metric ?? []) {
      const [k, v] = m.split('=') as [string, string];
      metrics[k] = Number(v);
    }
    const trainingSha = o.trainingData !== undefined ? await sha256File(o.trainingData).catch((e: unknown) => {
      throw new CommandError(`--training-data ${o.trainingData}: ${e instanceof Error ? e.message : String(e)}`);
    }) : o.trainingDataSha256 ?? null;
    try {
      const { files } = await writeManifest(dir, {
        training_data_sha256: trainingSha,
        parent_version: o.parent ?? o.parentVersion ?? null,
        produced_by: o.source ?? o.producedBy ?? 'mlmesh manifest',
        created_at: new Date().toISOString(),
        metrics,
      });
      printer(o.json).record({ manifest: `${dir}/manifest.json`, files }, () => `wrote ${dir}/manifest.json (${files.length} file(s))`);
    } catch (e: unknown) {
      if (e instanceof ManifestInputError) throw new CommandError(e.message);
      throw e;
    }
  });
}
