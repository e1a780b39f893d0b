/**
 * A model's `retraining` section of config.json, validated (every message names the field):
 *
 *   "retraining": {
 *     "command": ["/usr/bin/python3", "train.py", "--data", "{dataset}", "--out", "{output}", "--seed", "{seed}"],
 *     "runner": "local",
 *     "timeout_ms": 600000, "seed": 7, "holdout_fraction": 0.25,
 *     "task": "classification", "classes": ["0", "1", ...],
 *     "max_logged_rows": 50000,
 *     "gate": { "min_accuracy": 0.85, "max_log_loss": 1.0, "max_rmse": 2.5, "max_mae": 2.0,
 *               "reference_margin": 0.02, "min_drifted_gain": 0, "min_drifted_rows": 20,
 *               "drifted_alpha": 0.05 }
 *   }
 *
 * The command runs in the model's folder (so `train.py` beside config.json is found), as a child
 * process of the retrainer (`runner` "local", the default) or as a Kubernetes Job (`runner`
 * { "kind": "kubernetes", … }: kubernetes-job.ts lists its fields). The
 * watched input tensor (the rows of a dataset) comes from the model's `monitoring` section.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import { parseRunner } from './kubernetes-job.js';
import { COMMAND_PLACEHOLDERS } from './trainer.js';
import type { GateSettings, RetrainingSettings } from './types.js';


const KNOWN = ['command', 'runner', 'timeout_ms', 'seed', 'holdout_fraction', 'task', 'classes', 'max_logged_rows', 'gate'];
const GATE_KNOWN = ['min_accuracy', 'max_log_loss', 'max_rmse', 'max_mae', 'reference_margin', 'min_drifted_gain', 'min_drifted_rows', 'drifted_alpha'];

/** The model's config, as the retrainer needs it. */
export interface ModelRetraining {
  settings: RetrainingSettings;
  /** Watched input tensor (monitoring.input, else the config's first input). */
  input: string;
  /** Its width (the input's dims without the batch axis, multiplied). */
  featureCount: number;
  /** Output tensor the gate reads (monitoring.output, else the first output), and what it holds. */
  output: string;
  outputKind: 'probabilities' | 'logits' | 'value';
}

type Json = Record<string, unknown>;

function fail(model: string, field: string, msg: string): never {
  throw new InvalidArgumentError(`model '${clip(model, 100)}' config.json retraining.${field}: ${msg}`);
}

function num(model: string, o: Json, field: string, dflt: number | undefined, min: number, max = Infinity, int = false): number | undefined {
  const v = o[field.split('.').pop() as string];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) fail(model, field, `must be ${int ? 'an integer' : 'a number'} in [${min}, ${max}], got ${clip(JSON.stringify(v), 40)}`);
  return v;
}

function gateOf(model: string, raw: unknown): GateSettings {
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(model, 'gate', 'must be an object');
  const o = raw as Json;
  for (const k of Object.keys(o)) if (!GATE_KNOWN.includes(k)) fail(model, `gate.${k}`, `unknown field (known: ${GATE_KNOWN.join(', ')})`);
  const g: GateSettings = {
    referenceMargin: num(model, o, 'gate.reference_margin', 0.02, 0, 1) as number,
    minDriftedGain: num(model, o, 'gate.min_drifted_gain', 0, -1, 1) as number,
    minDriftedRows: num(model, o, 'gate.min_drifted_rows', 20, 0, 1e9, true) as number,
    driftedAlpha: num(model, o, 'gate.drifted_alpha', 0.05, 1e-12, 1) as number,
  };
  const opt = (field: string, key: 'minAccuracy' | 'maxLogLoss' | 'maxRmse' | 'maxMae', max: number): void => {
    const v = num(model, o, `gate.${field}`, undefined, 0, max);
    if (v !== undefined) g[key] = v;
  };
  opt('min_accuracy', 'minAccuracy', 1);
  opt('max_log_loss', 'maxLogLoss', Infinity);
  opt('max_rmse', 'maxRmse', Infinity);
  opt('max_mae', 'maxMae', Infinity);
  return g;
}

/**
 * Validates a `retraining` section. `modelDir` is the model's folder (the command's working directory).
 * @throws InvalidArgumentError naming the field.
 */
export function parseRetraining(model: string, raw: unknown, modelDir: string): RetrainingSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(model, '', 'must be an object');
  const o = raw as Json;
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) fail(model, k, `unknown field (known: ${KNOWN.join(', ')})`);
  const command = o['command'];
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string' && a.length > 0)) fail(model, 'command', 'must be a non-empty array of non-empty strings (argv; no shell)');
  for (const a of command as string[]) {
    for (const m of a.matchAll(/\{([^}]*)\}/g)) {
      if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(m[1] as string)) fail(model, 'command', `unknown placeholder {${clip(m[1], 40)}} (known: ${COMMAND_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
    }
  }
  if (!(command as string[]).some((a) => a.includes('{dataset}')) || !(command as string[]).some((a) => a.includes('{output}'))) fail(model, 'command', 'must pass {dataset} and {output} to the job');
  const task = o['task'] ?? 'classification';
  if (task !== 'classification' && task !== 'regression') fail(model, 'task', `must be "classification" or "regression", got ${clip(JSON.stringify(task), 40)}`);
  let classes: string[] | null = null;
  if (o['classes'] !== undefined) {
    const c = o['classes'];
    if (task !== 'classification') fail(model, 'classes', 'only for task "classification"');
    if (!Array.isArray(c) || c.length < 2 || !c.every((x) => typeof x === 'string' && x.length > 0)) fail(model, 'classes', 'must list at least two non-empty class labels, in class-index order');
    if (new Set(c).size !== c.length) fail(model, 'classes', 'lists a label twice');
    classes = c as string[];
  }
  return {
    command: command as string[],
    cwd: modelDir,
    runner: parseRunner(model, o['runner']),
    timeoutMs: num(model, o, 'timeout_ms', 3_600_000, 1000, 7 * 86_400_000, true) as number,
    seed: num(model, o, 'seed', 0, 0, 2 ** 31 - 1, true) as number,
    holdoutFraction: num(model, o, 'holdout_fraction', 0.2, 0.01, 0.9) as number,
    task,
    classes,
    maxLoggedRows: num(model, o, 'max_logged_rows', 100_000, 1, 1e8, true) as number,
    gate: gateOf(model, o['gate']),
  };
}

function first(list: unknown): { name: string; dims: number[] } | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const t = list[0] as { name?: unknown; dims?: unknown };
  return typeof t.name === 'string' ? { name: t.name, dims: Array.isArray(t.dims) ? (t.dims as number[]) : [] } : undefined;
}

/**
 * Reads `<repo>/<model>/config.json` for its `retraining` section and the tensors the dataset
 * and the gate use.
 * @throws NotFoundError (no such model folder / config.json), FailedPreconditionError (no
 *   retraining section, or no way to tell the input width), InvalidArgumentError (a bad field).
 */
export async function loadModelRetraining(repo: string, model: string): Promise<ModelRetraining> {
  if (!/^[A-Za-z0-9_.-]+$/.test(model) || model.startsWith('.')) throw new InvalidArgumentError(`model: ${clip(JSON.stringify(model), 100)} is not a model folder name`, { field: 'model' });
  const dir = join(repo, model);
  let text: string;
  try {
    text = await readFile(join(dir, 'config.json'), 'utf8');
  } catch {
    throw new NotFoundError(`model '${model}': no ${join(dir, 'config.json')}`, { resource: { type: 'model', name: model } });
  }
  let cfg: Json;
  try {
    cfg = JSON.parse(text) as Json;
  } catch (e: unknown) {
    throw new InvalidArgumentError(`model '${model}': config.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (cfg['retraining'] === undefined) throw new FailedPreconditionError(`model '${model}' has no "retraining" section in config.json: it names the training command (docs/retrainer.md)`);
  const settings = parseRetraining(model, cfg['retraining'], dir);
  const mon = (cfg['monitoring'] ?? {}) as Json;
  const inputs = cfg['input'];
  const declared = Array.isArray(inputs) ? (inputs as { name?: unknown; dims?: unknown }[]) : [];
  const inputName = typeof mon['input'] === 'string' ? (mon['input']) : first(inputs)?.name;
  const inCfg = declared.find((t) => t.name === inputName);
  const dims = Array.isArray(inCfg?.dims) ? (inCfg?.dims as number[]) : [];
  const featureCount = dims.length > 0 && dims.every((d) => Number.isInteger(d) && d > 0) ? dims.reduce((a, b) => a * b, 1) : 0;
  if (!inputName || featureCount === 0) throw new FailedPreconditionError(`model '${model}': config.json must declare the watched input tensor (monitoring.input, else the first input) with fixed dims: the retrainer's datasets are its rows`);
  const outputName = typeof mon['output'] === 'string' ? (mon['output']) : first(cfg['output'])?.name;
  if (!outputName) throw new FailedPreconditionError(`model '${model}': config.json must declare an output (monitoring.output, else the first output) for the gate to read`);
  const kind = mon['output_kind'];
  const outputKind = kind === 'logits' ? 'logits' : settings.task === 'regression' || kind === 'value' ? 'value' : 'probabilities';
  return { settings, input: inputName, featureCount, output: outputName, outputKind };
}
