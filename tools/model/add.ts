/**
 * `mlmesh model add NAME FILE.onnx`: a model version in the repository from the ONNX file
 * itself. The file's inputs and outputs (names, datatypes, shapes, the dynamic batch axis) make
 * config.json for a new model (batching defaults: max_batch_size 64, dynamic batching); a new
 * version of an existing model is checked against its config instead (config.json or
 * config.pbtxt, kept as it is). The version folder gets model.onnx, the drift reference when
 * asked (inputs given, outputs computed by running the model) and manifest.json with SHA-256
 * and provenance. The version appears whole or not at all: it is built in a hidden folder and
 * renamed into place.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { NotFoundError } from '../../shared/errors/index.js';
import { DEFAULT_MODEL_CONFIG, ModelRepository, buildSignature, completeModelConfig, sha256File } from '../../services/inference/index.js';
import type { Manifest, Provenance, TensorMeta } from '../../services/inference/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { writeManifest } from '../manifest.js';
import { completeReference } from '../reference.js';
import type { ReferenceResult } from '../reference.js';
import { UnservableModelError, checkServable, readOnnxModel } from './onnx-model.js';

/** Options of {@link addModel}. */
export interface AddModelOptions {
  /** The model repository (created when missing). */
  repo: string;
  name: string;
  /** The ONNX file to add. */
  file: string;
  /** The version number. @default the next free one (1 for a new model) */
  version?: number;
  /** max_batch_size of a new model; 0 serves it without batching. @default 64 */
  maxBatchSize?: number;
  /** dynamic_batching.max_queue_delay_microseconds of a new model. @default 0 */
  maxQueueDelayUs?: number;
  /** instance_group count of a new model. @default 1 */
  instances?: number;
  /** Outputs to serve (a subset; e.g. only the tensor ones). @default every output */
  outputs?: readonly string[];
  /** Provenance: the training data file, hashed. */
  trainingData?: string;
  /** Provenance: the version this one was derived from. */
  parent?: string;
  /** Provenance: a JSON file of metrics, `{"name": number}`. */
  metrics?: string;
  /** Provenance: who or what produced the model (e.g. `train.py@abc123`). @default 'mlmesh model add' */
  source?: string;
  /** A drift reference: .npy of held-out inputs (rows × features) the model is run on. */
  reference?: string;
  /** Output written to the reference. @default the first FP32 output */
  referenceOutput?: string;
  /** Reference progress. */
  onReferenceProgress?: (done: number, total: number) => void;
}

/** What {@link addModel} did. */
export interface AddedModel {
  model: string;
  version: number;
  dir: string;
  /** 'written': a new model's config.json; 'kept': the model's existing config. */
  config: 'written' | 'kept';
  configFile: string;
  maxBatchSize: number;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
  manifest: Manifest;
  reference: ReferenceResult | null;
}

/** A request `model add` refuses before writing anything: the message says why. */
export class AddModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddModelError';
  }
}

async function readMetrics(path: string): Promise<Record<string, number>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e: unknown) {
    throw new AddModelError(`--metrics ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AddModelError(`--metrics ${path}: must be a JSON object of name: number`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new AddModelError(`--metrics ${path}: '${k}' must be a finite number, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

/** config.json of a new model, from the file's signature (dims without the batch dimension when batching). */
function newConfig(name: string, inputs: readonly TensorMeta[], served: readonly TensorMeta[], o: AddModelOptions, maxBatchSize: number): Record<string, unknown> {
  const tensor = (m: TensorMeta) => ({ name: m.name, data_type: `TYPE_${m.datatype as string}`, dims: maxBatchSize > 0 ? m.shape.slice(1) : m.shape });
  return {
    name,
    platform: 'onnxruntime_onnx',
    max_batch_size: maxBatchSize,
    input: inputs.map(tensor),
    output: served.map(tensor),
    dynamic_batching: {
      max_queue_delay_microseconds: o.maxQueueDelayUs ?? DEFAULT_MODEL_CONFIG.maxQueueDelayUs,
      preferred_batch_size: [],
      max_queue_size: DEFAULT_MODEL_CONFIG.maxQueueSize,
      default_queue_timeout_microseconds: DEFAULT_MODEL_CONFIG.defaultQueueTimeoutUs,
    },
    instance_group: [{ count: o.instances ?? DEFAULT_MODEL_CONFIG.instanceCount, kind: 'KIND_CPU' }],
  };
}

/**
 * Adds the file as a version of `name` in the repository.
 * @throws AddModelError / UnservableModelError (nothing written) naming what to change;
 *   InvalidArgumentError for a name that is not a model name.
 */
export async function addModel(o: AddModelOptions): Promise<AddedModel> {
  const repo = new ModelRepository(resolve(o.repo));
  await mkdir(repo.root, { recursive: true });
  let exists = true;
  try {
    await repo.modelDir(o.name);
  } catch (e: unknown) {
    if (!(e instanceof NotFoundError)) throw e;
    exists = false;
  }
  const model = await readOnnxModel(o.file);
  for (const name of o.outputs ?? []) {
    if (!model.outputs.some((m) => m.name === name)) throw new AddModelError(`--output ${name}: the model's outputs are ${model.outputs.map((m) => m.name).join(', ')}`);
  }
  const served = o.outputs && o.outputs.length > 0 ? model.outputs.filter((m) => o.outputs?.includes(m.name)) : model.outputs;
  const dir = join(repo.root, o.name);
  const versions = exists ? await repo.listVersions(o.name) : [];
  const version = o.version ?? (versions.length > 0 ? Math.max(...versions) + 1 : 1);
  if (versions.includes(version)) throw new AddModelError(`${o.name} already has version ${version} (${join(dir, String(version))}); give another --version or leave it out for the next free one (${Math.max(...versions) + 1})`);
  if (o.parent !== undefined && /^\d+$/.test(o.parent) && !versions.includes(Number(o.parent))) {
    throw new AddModelError(`--parent ${o.parent}: ${o.name} has no version ${o.parent}${versions.length > 0 ? ` (it has ${versions.join(', ')})` : ''}`);
  }

  // The config the version will be served with: the existing one, or a new config.json.
  const existing = exists ? await repo.readModelConfig(o.name) : undefined;
  let configJson: Record<string, unknown> | undefined;
  let maxBatchSize: number;
  if (existing && existing.file !== 'none') {
    const { config } = completeModelConfig(existing.config, model.inputs, model.outputs, DEFAULT_MODEL_CONFIG.autoMaxBatchSize);
    try {
      buildSignature(`${o.name}/${existing.file}`, config, model.inputs, model.outputs);
    } catch (e: unknown) {
      throw new AddModelError(`${o.file} does not fit the model's ${existing.file}: ${e instanceof Error ? e.message : String(e)} (add it under a new model name, or change ${existing.file})`);
    }
    maxBatchSize = config.maxBatchSize;
  } else {
    maxBatchSize = o.maxBatchSize ?? DEFAULT_MODEL_CONFIG.autoMaxBatchSize;
    checkServable(model, served, maxBatchSize);
    configJson = newConfig(o.name, model.inputs, served, o, maxBatchSize);
  }
  if (o.reference !== undefined) {
    let npy;
    try {
      npy = readNpy(o.reference);
    } catch (e: unknown) {
      throw new AddModelError(`--reference ${o.reference}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const input = model.inputs[0] as TensorMeta;
    const want = input.shape.slice(1);
    const got = npy.shape.slice(1);
    if (model.inputs.length !== 1) throw new AddModelError(`--reference: the model has ${model.inputs.length} inputs; a reference feeds one`);
    if (got.length !== want.length || want.some((d, i) => d !== -1 && d !== got[i])) {
      throw new AddModelError(`--reference ${o.reference}: rows of shape [${got.join(', ')}] do not fit input '${input.name}' [${input.shape.map((d) => (d === -1 ? '?' : d)).join(', ')}]`);
    }
    if (npy.datatype !== input.datatype) throw new AddModelError(`--reference ${o.reference}: is ${npy.datatype}, input '${input.name}' is ${input.datatype}`);
  }
  const provenance: Provenance = {
    training_data_sha256: o.trainingData === undefined ? null : await sha256File(o.trainingData).catch((e: unknown) => {
      throw new AddModelError(`--training-data ${o.trainingData}: ${e instanceof Error ? e.message : String(e)}`);
    }),
    parent_version: o.parent ?? null,
    produced_by: o.source ?? 'mlmesh model add',
    created_at: new Date().toISOString(),
    metrics: o.metrics === undefined ? {} : await readMetrics(o.metrics),
    onnx_file: basename(o.file),
    ...(o.trainingData !== undefined ? { training_data_file: basename(o.trainingData) } : {}),
  };

  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.add-${randomBytes(6).toString('hex')}`);
  const final = join(dir, String(version));
  try {
    await mkdir(tmp);
    await writeFile(join(tmp, 'model.onnx'), model.bytes);
    let reference: ReferenceResult | null = null;
    if (o.reference !== undefined) {
      await mkdir(join(tmp, 'reference'));
      await copyFile(o.reference, join(tmp, 'reference', 'inputs.npy'));
      reference = await completeReference({
        versionDir: tmp,
        ...(o.referenceOutput !== undefined ? { output: o.referenceOutput } : {}),
        producedBy: provenance.produced_by,
        sourceDataSha256: provenance.training_data_sha256,
        ...(o.onReferenceProgress ? { onProgress: o.onReferenceProgress } : {}),
      });
      reference = { ...reference, dir: join(final, 'reference') };
    }
    const { manifest } = await writeManifest(tmp, provenance);
    await rename(tmp, final);
    if (configJson) {
      const part = join(dir, `.config-${randomBytes(6).toString('hex')}.json`);
      await writeFile(part, JSON.stringify(configJson, null, 2) + '\n');
      await rename(part, join(dir, 'config.json'));
    }
    const full = (m: TensorMeta) => ({ name: m.name, datatype: m.datatype as string, shape: m.shape });
    return {
      model: o.name,
      version,
      dir: final,
      config: configJson ? 'written' : 'kept',
      configFile: join(dir, configJson ? 'config.json' : (existing?.file as string)),
      maxBatchSize,
      inputs: model.inputs.map(full),
      outputs: served.map(full),
      manifest,
      reference,
    };
  } catch (e: unknown) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export { UnservableModelError };
