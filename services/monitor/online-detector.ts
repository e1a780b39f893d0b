/**
 * The online detector of a version (stats/online-mmd.ts, alibi-detect's MMDDriftOnline): fed
 * with every logged row as it is applied, it tests the last `window_size` rows against the
 * version's reference after each row, with thresholds simulated on the reference so that the
 * expected run time between false alarms is `ert` rows. An alarm is logged and counted at once
 * (mlmesh_monitor_online_alarms_total) and resets the detector (its window back to held-out
 * reference rows), so the next alarm needs new evidence; the window's DriftReport carries an
 * `online_mmd` entry with the alarms among its rows (drifted when there was one), never changing
 * the window's own verdict. `retrain_trigger: "online"` makes such a window publish the
 * RetrainRequest.
 *
 * State: the detector's window rows and its row count since the last reset live in the
 * version's window header (saved with the window after every batch, so they survive a restart
 * and a redelivered batch is applied once); the kernel sums are recomputed from them. The
 * configuration (split, ℓ, thresholds) is recomputed from the reference and a seed per version,
 * deterministically, once per process.
 */
import type { DetectorResult } from '../../shared/events/index.js';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { Matrix } from './matrix.js';
import type { Reference } from './reference.js';
import { OnlineMmd, configureOnlineMmd, seedOf, seededRandom } from './stats/index.js';
import type { OnlineMmdConfig, OnlineMmdOptions } from './stats/index.js';

/** Computes a detector's configuration (in the service: in a worker thread, online-config-worker.ts). */
export type OnlineConfigurer = (reference: Float64Array, dim: number, options: OnlineMmdOptions) => Promise<OnlineMmdConfig>;

/** In-process configuration (tests, the NATS-free engine). */
export const configureInProcess: OnlineConfigurer = (reference, dim, options) => Promise.resolve(configureOnlineMmd(reference, dim, options));
import type { WindowHeader } from './window.js';

/** `monitoring.online`: the per-row detector's settings. */
export interface OnlineSettings {
  detector: 'mmd';
  /** Expected rows between false alarms. */
  ert: number;
  windowSize: number;
  /** Input columns watched (feature names, or f<index> without feature_names); undefined: all. */
  features: string[] | undefined;
  /** Most reference rows used (a seeded sample of them when the reference has more). */
  referenceRows: number;
  /** Bootstrap streams for the thresholds (undefined: 100·ert within [10,000, 200,000]). */
  bootstraps: number | undefined;
}

/** Bounds: the configuration's kernel matrix is reference_rows² doubles; the stored window is window_size × features values. */
export const ONLINE_MAX_REFERENCE_ROWS = 2000;
export const ONLINE_MAX_WINDOW_SIZE = 200;
export const ONLINE_MAX_WINDOW_VALUES = 16_384;
const KEYS = ['detector', 'ert', 'window_size', 'features', 'reference_rows', 'bootstraps'];

/**
 * Parses `monitoring.online` (undefined: off).
 * @throws InvalidArgumentError naming the field.
 */
export function parseOnline(raw: unknown, where: string): OnlineSettings | undefined {
  if (raw === undefined) return undefined;
  const fail = (field: string, msg: string): never => {
    throw new InvalidArgumentError(`${where}: monitoring.online${field ? `.${field}` : ''}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('', 'must be an object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(k, `unknown field (known: ${KEYS.join(', ')})`);
  const int = (k: string, min: number, max: number, dflt: number | undefined): number | undefined => {
    const v = o[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(k, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v as number;
  };
  if (o.detector !== undefined && o.detector !== 'mmd') fail('detector', `must be "mmd", got ${JSON.stringify(o.detector)}`);
  if (o.ert === undefined) fail('ert', 'is required: the expected rows between false alarms (>= 2)');
  const f = o.features;
  if (f !== undefined && (!Array.isArray(f) || f.length === 0 || f.some((x) => typeof x !== 'string' || x === ''))) fail('features', 'must be a non-empty list of feature names');
  return {
    detector: 'mmd',
    ert: int('ert', 2, 10_000_000, undefined) as number,
    windowSize: int('window_size', 2, ONLINE_MAX_WINDOW_SIZE, 20) as number,
    features: f as string[] | undefined,
    referenceRows: int('reference_rows', 10, ONLINE_MAX_REFERENCE_ROWS, 500) as number,
    bootstraps: int('bootstraps', 1000, 1_000_000, undefined),
  };
}

/** The online detector's part of a window header. */
export interface OnlineHeader {
  /** Identifies the configuration the state belongs to (reference and settings): another one resets it. */
  configKey: string;
  /** The detector's resets so far (each run has its own split of the reference), and rows since the last one. */
  resets: number;
  t: number;
  /** The detector's window rows, oldest first (window_size × features values). */
  window: number[];
  /** Over the open window's rows: alarms, the first one's position, and the last row's statistic. */
  alarms: number;
  firstAlarm?: { seq: number; row: number; t: number; statistic: number; threshold: number } | undefined;
  lastStatistic: number;
  lastThreshold: number;
  /** Rows the detector saw in the open window. */
  rows: number;
}

/** One alarm, for the log. */
export interface OnlineAlarm {
  seq: number;
  row: number;
  t: number;
  statistic: number;
  threshold: number;
}

interface Configured {
  key: string;
  config: OnlineMmdConfig;
  cols: number[];
}

/** A configurer that failed for another reason than the settings (not recorded: retried). */
class ConfigurerFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ConfigurerFailed';
  }
}

/** Columns of the watched features. @throws Error naming an unknown feature. */
function columnsOf(settings: OnlineSettings, featureNames: readonly string[], cols: number): number[] {
  if (!settings.features) return Array.from({ length: cols }, (_, j) => j);
  const out: number[] = [];
  for (const f of settings.features) {
    let j = featureNames.indexOf(f);
    if (j < 0 && /^f\d+$/.test(f)) j = Number(f.slice(1));
    if (!(j >= 0 && j < cols)) throw new Error(`monitoring.online.features: ${JSON.stringify(f)} is not an input column (${cols} columns)`);
    out.push(j);
  }
  return out;
}

/** The online detectors of every version (configurations cached per reference, detectors per version). */
export class OnlineDetectors {
  private readonly configured = new Map<string, Configured | { key: string; error: string }>();
  private readonly running = new Map<string, OnlineMmd>();

  constructor(private readonly configurer: OnlineConfigurer = configureInProcess) {}

  /** Forgets the running detectors (after the state was reloaded from disk: they are rebuilt from the headers). */
  clear(): void {
    this.running.clear();
  }

  /**
   * The configuration for a version's reference, computed once (an unusable one records why).
   * @throws Error when the configurer failed other than by refusing the settings (a worker that
   *   died): nothing is recorded, the batch fails and is redelivered.
   */
  private async configure(h: WindowHeader, settings: OnlineSettings, ref: Reference | null): Promise<Configured | { key: string; error: string }> {
    const key = `${ref?.sha256 ?? 'none'}/${settings.ert}/${settings.windowSize}/${settings.referenceRows}/${settings.bootstraps ?? ''}/${(settings.features ?? []).join(',')}`;
    const vk = `${h.model}\u0000${h.version}`;
    const known = this.configured.get(vk);
    if (known?.key === key) return known;
    let c: Configured | { key: string; error: string };
    try {
      if (!ref?.inputs) throw new Error(ref ? 'the reference has no inputs' : 'the version has no reference');
      const cols = columnsOf(settings, ref.featureNames, ref.inputs.cols);
      if (settings.windowSize * cols.length > ONLINE_MAX_WINDOW_VALUES) throw new Error(`window_size ${settings.windowSize} × ${cols.length} features = ${settings.windowSize * cols.length} values, over the bound of ${ONLINE_MAX_WINDOW_VALUES}: lower window_size or list fewer features`);
      const x = sample(ref.inputs, cols, settings.referenceRows, seedOf(`${h.model}/${h.version}/online/sample`));
      let config: OnlineMmdConfig;
      try {
        config = await this.configurer(x, cols.length, { ert: settings.ert, windowSize: settings.windowSize, bootstraps: settings.bootstraps, seed: seedOf(`${h.model}/${h.version}/online`) });
      } catch (e: unknown) {
        if (e instanceof RangeError) throw e;
        throw new ConfigurerFailed(e);
      }
      c = { key, config, cols };
    } catch (e: unknown) {
      if (e instanceof ConfigurerFailed) throw e.cause as Error;
      c = { key, error: e instanceof Error ? e.message : String(e) };
    }
    this.configured.set(vk, c);
    return c;
  }

  /**
   * Feeds rows `from` … `from + count − 1` of a log (message `seq`) to the version's detector and
   * updates the header's state.
   * @returns the alarms these rows raised, and an error when the detector cannot run.
   */
  async feed(h: WindowHeader, settings: OnlineSettings, ref: Reference | null, inputs: Matrix | undefined, from: number, count: number, seq: number): Promise<{ alarms: OnlineAlarm[]; error?: string }> {
    const c = await this.configure(h, settings, ref);
    if ('error' in c) return { alarms: [], error: c.error };
    if (!inputs) return { alarms: [], error: 'the prediction logs carry no inputs' };
    const vk = `${h.model}\u0000${h.version}`;
    let det = this.running.get(vk);
    if (!det || det.config !== c.config) {
      const stored = h.online?.configKey === c.key ? h.online : undefined;
      det = new OnlineMmd(c.config, stored);
      this.running.set(vk, det);
      if (!stored) h.online = { configKey: c.key, resets: 0, t: 0, window: [], alarms: 0, lastStatistic: 0, lastThreshold: 0, rows: 0 };
    }
    const state = h.online as OnlineHeader;
    const row = new Float64Array(c.cols.length);
    const alarms: OnlineAlarm[] = [];
    for (let i = from; i < from + count; i++) {
      for (let k = 0; k < c.cols.length; k++) row[k] = inputs.data[i * inputs.cols + (c.cols[k] as number)] as number;
      const s = det.update(row);
      state.rows += 1;
      state.lastStatistic = s.statistic;
      state.lastThreshold = s.threshold;
      if (s.alarm) {
        const a = { seq, row: i, t: s.t, statistic: s.statistic, threshold: s.threshold };
        alarms.push(a);
        state.alarms += 1;
        state.firstAlarm ??= a;
        det.reset();
      }
    }
    const snap = det.snapshot();
    state.resets = snap.resets;
    state.t = snap.t;
    state.window = snap.window;
    return { alarms };
  }

  /** The report entry of a closing window. */
  async entry(h: WindowHeader, settings: OnlineSettings, ref: Reference | null): Promise<DetectorResult> {
    const c = await this.configure(h, settings, ref);
    const base = { detector: 'online_mmd', statistic_name: `MMD²_u of the last ${settings.windowSize} rows vs the reference after each row (alarm above the threshold simulated for ERT ${settings.ert} rows)`, correction: 'none', has_p_value: false, p_value: 1 };
    const o = h.online;
    if ('error' in c || !o || o.configKey !== c.key || o.rows === 0) {
      const reason = 'error' in c ? c.error : 'the online detector saw no row of this window';
      return { ...base, features: [], statistic: 0, drifted: false, details: { ert: settings.ert, window_size: settings.windowSize }, skipped_reason: reason };
    }
    const details: Record<string, number> = {
      ert: settings.ert, window_size: settings.windowSize, features: c.cols.length, alarms: o.alarms, rows_seen: o.rows, rows_since_reset: o.t, threshold: o.lastThreshold,
      reference_rows: c.config.reference.length / c.config.dim, bootstraps: c.config.bootstraps, length_scale: c.config.lengthScale,
    };
    if (o.firstAlarm) Object.assign(details, { first_alarm_sequence: o.firstAlarm.seq, first_alarm_row: o.firstAlarm.row, first_alarm_statistic: o.firstAlarm.statistic, first_alarm_threshold: o.firstAlarm.threshold, first_alarm_rows_since_reset: o.firstAlarm.t });
    return { ...base, features: [], statistic: o.lastStatistic, drifted: o.alarms > 0, details, skipped_reason: '' };
  }
}

/** The window-level counters start again with the next window (the detector's own state goes on). */
export function onlineAfterClose(h: WindowHeader): void {
  if (!h.online) return;
  h.online.alarms = 0;
  h.online.firstAlarm = undefined;
  h.online.rows = 0;
}

/** Up to `max` rows of `m` (a seeded sample without replacement when it has more), columns `cols`, row-major. */
function sample(m: Matrix, cols: readonly number[], max: number, seed: number): Float64Array {
  const idx = Array.from({ length: m.rows }, (_, i) => i);
  if (m.rows > max) {
    const rand = seededRandom(seed);
    for (let i = 0; i < max; i++) {
      const r = i + Math.floor(rand() * (m.rows - i));
      [idx[i], idx[r]] = [idx[r] as number, idx[i] as number];
    }
    idx.length = max;
  }
  const out = new Float64Array(idx.length * cols.length);
  idx.forEach((r, i) => {
    for (let k = 0; k < cols.length; k++) out[i * cols.length + k] = m.data[r * m.cols + (cols[k] as number)] as number;
  });
  return out;
}
