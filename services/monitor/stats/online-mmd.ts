/**
 * An online MMD detector in the style of alibi-detect's `MMDDriftOnline`: a sliding window of
 * the last W rows is compared with a reference after every row, and the thresholds are set by
 * simulation on the reference so that the expected run time (ERT) between false alarms is the
 * configured number of rows.
 *
 * Statistic at row t (window Y of the last W rows, reference subset R of m rows):
 *
 *   MMD²_u = Σ_{i≠j∈R} k/(m(m−1)) + Σ_{i≠j∈Y} k/(W(W−1)) − 2 Σ_{i∈R, j∈Y} k/(mW)
 *
 * with the Gaussian kernel exp(−d²/(2ℓ²)), ℓ by the median heuristic on the reference (the batch
 * detector's, stats/mmd.ts). The first term is fixed; per row the detector computes the new row's
 * kernel with R (m·d) and with the window (W·d), so a row costs O((m + W)·d), plus O(W²) to
 * re-sum the window's kernel block (kept exactly, no running-sum drift).
 *
 * The detector starts with a window of W held-out reference rows, so it tests from the first
 * row: after s rows the window holds W − s of them and s new rows, and from s = W on only new
 * rows. At every start and reset (after an alarm) it draws a new split of the reference into R
 * (n − 2W rows) and 2W held-out rows, the first W of which form the initial window — the split
 * the thresholds were simulated over, so the guarantee holds run by run whatever one split's
 * luck (a fixed initial window that happens to sit far from R would make every run after a reset
 * start near the threshold). Thresholds (alibi-detect's configuration): B bootstrap streams, each a random split of the
 * reference into R (n − 2W rows) and a stream of 2W rows whose first W form the initial window;
 * at each step s = 1..W the threshold b_s is the (1 − 1/ERT) quantile of the statistic among the
 * streams that have not alarmed before s, so the hazard of a false alarm is 1/ERT at every step;
 * beyond W the last threshold holds (the window then holds only new rows, and its dependence on
 * rows more than W back is through the reference alone). The run length to a false alarm is then
 * about geometric with mean ERT. Everything is seeded: the same reference and seed give the same
 * split, thresholds and alarms.
 */
import { medianLengthScale, squaredDistance } from './mmd.js';
import { seededRandom } from './rng.js';

/** Settings of {@link configureOnlineMmd}. */
export interface OnlineMmdOptions {
  /** Expected run time between false alarms, rows (≥ 2). */
  ert: number;
  /** Rows in the sliding window W (≥ 2). */
  windowSize: number;
  /** Bootstrap streams B; default 100·ERT clamped to [10,000, 200,000]. */
  bootstraps?: number;
  seed: number;
  /** ℓ; when absent, the median heuristic on the reference. */
  lengthScale?: number;
}

/** A configured detector: what {@link OnlineMmd} needs, computed once per reference. */
export interface OnlineMmdConfig {
  dim: number;
  windowSize: number;
  ert: number;
  bootstraps: number;
  lengthScale: number;
  /** The reference, row-major (n rows). */
  reference: Float64Array;
  /** Σ_{j≠i} k(x_i, x_j) per reference row, and their total. */
  rowSum: Float64Array;
  total: number;
  /** b_1 … b_W: the threshold after s rows is thresholds[min(s, W) − 1]. */
  thresholds: Float64Array;
  /** Seeds the splits of the detector's runs. */
  seed: number;
}

/** Default number of bootstrap streams for an ERT. */
export function defaultBootstraps(ert: number): number {
  return Math.min(200_000, Math.max(10_000, Math.ceil(100 * ert)));
}

/** Linear-interpolation quantile of the first n entries of an ascending array (torch's and numpy's default). */
function quantile(sorted: Float64Array, n: number, q: number): number {
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return (sorted[lo] as number) + (pos - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/**
 * Configures the detector on a reference (row-major, n rows of `dim`): the split, ℓ and the
 * thresholds. Cost O(n²·d) for the kernel matrix plus O(B·W²) for the bootstrap.
 * @throws RangeError when ert < 2, windowSize < 2 or the reference has fewer than 2W + 2 rows.
 */
export function configureOnlineMmd(reference: Float64Array, dim: number, o: OnlineMmdOptions): OnlineMmdConfig {
  const n = reference.length / dim;
  const w = o.windowSize;
  if (!(o.ert >= 2)) throw new RangeError(`online mmd: ert must be >= 2 rows, got ${o.ert}`);
  if (!(Number.isInteger(w) && w >= 2)) throw new RangeError(`online mmd: window_size must be an integer >= 2, got ${w}`);
  if (!(n >= 2 * w + 2)) throw new RangeError(`online mmd: the reference has ${n} rows, needs at least 2 * window_size + 2 = ${2 * w + 2}`);
  const bootstraps = o.bootstraps ?? defaultBootstraps(o.ert);
  const l = o.lengthScale ?? medianLengthScale(reference, dim);
  const inv = 1 / (2 * l * l);
  // The reference's kernel matrix and its off-diagonal row sums.
  const K = new Float64Array(n * n);
  const rowSum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    K[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const v = Math.exp(-squaredDistance(reference, i, reference, j, dim) * inv);
      K[i * n + j] = v;
      K[j * n + i] = v;
      rowSum[i] = (rowSum[i] as number) + v;
      rowSum[j] = (rowSum[j] as number) + v;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += rowSum[i] as number;
  const m = n - 2 * w;
  const rand = seededRandom(o.seed);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  /** A fresh random ordered 2W-subset in idx[0..2W) (partial Fisher–Yates). */
  const draw = (): void => {
    for (let a = 0; a < 2 * w; a++) {
      const b = a + Math.floor(rand() * (n - a));
      const t = idx[a] as number;
      idx[a] = idx[b] as number;
      idx[b] = t;
    }
  };
  const kyy = (a: number, b: number): number => K[(idx[a] as number) * n + (idx[b] as number)] as number;
  // stats[b·W + (s − 1)]: bootstrap b's statistic after s stream rows.
  const stats = new Float64Array(bootstraps * w);
  const colR = new Float64Array(2 * w);
  for (let b = 0; b < bootstraps; b++) {
    draw();
    let yyAll = 0;
    let ySum = 0;
    for (let a = 0; a < 2 * w; a++) {
      let inY = 0;
      for (let c = 0; c < 2 * w; c++) if (c !== a) inY += kyy(a, c);
      yyAll += inY;
      ySum += rowSum[idx[a] as number] as number;
      colR[a] = (rowSum[idx[a] as number] as number) - inY;
    }
    const kxx = (total - 2 * ySum + yyAll) / (m * (m - 1));
    // The window after s rows is stream positions s … s + W − 1.
    let yy = 0;
    let xy = 0;
    for (let a = 0; a < w; a++) {
      xy += colR[a] as number;
      for (let c = a + 1; c < w; c++) yy += 2 * kyy(a, c);
    }
    for (let s = 1; s <= w; s++) {
      const out = s - 1;
      const inn = s + w - 1;
      for (let c = s; c < inn; c++) yy += 2 * (kyy(inn, c) - kyy(out, c));
      xy += (colR[inn] as number) - (colR[out] as number);
      stats[b * w + s - 1] = kxx + yy / (w * (w - 1)) - (2 * xy) / (m * w);
    }
  }
  // Thresholds step by step over the streams still alive.
  const fpr = 1 / o.ert;
  const thresholds = new Float64Array(w);
  let alive = new Int32Array(bootstraps);
  for (let b = 0; b < bootstraps; b++) alive[b] = b;
  let nAlive = bootstraps;
  const buf = new Float64Array(bootstraps);
  for (let s = 0; s < w; s++) {
    for (let a = 0; a < nAlive; a++) buf[a] = stats[(alive[a] as number) * w + s] as number;
    const sorted = buf.subarray(0, nAlive).sort();
    const th = quantile(sorted, nAlive, 1 - fpr);
    thresholds[s] = th;
    const next = new Int32Array(nAlive);
    let k = 0;
    for (let a = 0; a < nAlive; a++) if ((stats[(alive[a] as number) * w + s] as number) <= th) next[k++] = alive[a] as number;
    alive = next;
    nAlive = k;
    if (nAlive < 2) throw new RangeError(`online mmd: only ${nAlive} of ${bootstraps} bootstrap streams left at step ${s + 1}: raise bootstraps`);
  }
  return { dim, windowSize: w, ert: o.ert, bootstraps, lengthScale: l, reference, rowSum, total, thresholds, seed: o.seed };
}

/** What one row gave. */
export interface OnlineStep {
  statistic: number;
  threshold: number;
  alarm: boolean;
  /** Rows since the start or the last reset (this one included). */
  t: number;
}

/** The detector's durable state: resets so far (which split), rows since the last one, and the window's rows, oldest first. */
export interface OnlineMmdSnapshot {
  resets: number;
  t: number;
  window: number[];
}

/** The 2W held-out rows of run `resets` (the first W start the window), drawn from the seed. */
export function heldOutRows(config: OnlineMmdConfig, resets: number): Int32Array {
  const n = config.reference.length / config.dim;
  const k = 2 * config.windowSize;
  const rand = seededRandom((config.seed ^ Math.imul(resets + 1, 0x9e3779b1)) >>> 0);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let a = 0; a < k; a++) {
    const b = a + Math.floor(rand() * (n - a));
    const t = idx[a] as number;
    idx[a] = idx[b] as number;
    idx[b] = t;
  }
  return idx.slice(0, k);
}

/** The running detector of one stream. */
export class OnlineMmd {
  private readonly w: number;
  private readonly n: number;
  private readonly m: number;
  /** Window rows in a ring; slot `head` is the oldest. */
  private readonly rows: Float64Array;
  /** Σ_{i∈R} k(r_i, y) per slot. */
  private readonly colR: Float64Array;
  /** k(y_a, y_b) per pair of slots. */
  private readonly kyy: Float64Array;
  private head = 0;
  private tRows = 0;
  private runs = 0;
  /** The current run's held-out rows (not in R) and Σ_{i≠j∈R} k/(m(m−1)). */
  private held: Int32Array = new Int32Array(0);
  private kxxMean = 0;
  private readonly inv: number;

  constructor(readonly config: OnlineMmdConfig, snapshot?: OnlineMmdSnapshot) {
    this.w = config.windowSize;
    this.n = config.reference.length / config.dim;
    this.m = this.n - 2 * this.w;
    this.rows = new Float64Array(this.w * config.dim);
    this.colR = new Float64Array(this.w);
    this.kyy = new Float64Array(this.w * this.w);
    this.inv = 1 / (2 * config.lengthScale * config.lengthScale);
    const ok = snapshot && snapshot.window.length === this.w * config.dim && Number.isInteger(snapshot.t) && snapshot.t >= 0 && Number.isInteger(snapshot.resets) && snapshot.resets >= 0;
    if (ok) {
      this.split(snapshot.resets);
      this.fill(Float64Array.from(snapshot.window), snapshot.t);
    } else {
      this.start(0);
    }
  }

  /** Rows since the start or the last reset. */
  get t(): number {
    return this.tRows;
  }

  /** Resets so far. */
  get resets(): number {
    return this.runs;
  }

  /** A new run (after an alarm): a fresh split, the window back to held-out reference rows. */
  reset(): void {
    this.start(this.runs + 1);
  }

  private start(run: number): void {
    this.split(run);
    const { reference, dim } = this.config;
    const init = new Float64Array(this.w * dim);
    for (let a = 0; a < this.w; a++) init.set(reference.subarray((this.held[a] as number) * dim, (this.held[a] as number) * dim + dim), a * dim);
    this.fill(init, 0);
  }

  /** Run `run`'s split: its held-out rows and R's kernel mean, from the row sums (O(W²·d)). */
  private split(run: number): void {
    const { reference, dim, rowSum, total } = this.config;
    this.runs = run;
    this.held = heldOutRows(this.config, run);
    let ySum = 0;
    let yy = 0;
    for (let a = 0; a < this.held.length; a++) {
      ySum += rowSum[this.held[a] as number] as number;
      for (let b = a + 1; b < this.held.length; b++) yy += 2 * Math.exp(-squaredDistance(reference, this.held[a] as number, reference, this.held[b] as number, dim) * this.inv);
    }
    this.kxxMean = (total - 2 * ySum + yy) / (this.m * (this.m - 1));
  }

  private fill(window: Float64Array, t: number): void {
    this.rows.set(window);
    this.head = 0;
    this.tRows = t;
    for (let a = 0; a < this.w; a++) this.colR[a] = this.refKernelSum(this.rows, a);
    for (let a = 0; a < this.w; a++) {
      this.kyy[a * this.w + a] = 1;
      for (let b = a + 1; b < this.w; b++) {
        const v = Math.exp(-squaredDistance(this.rows, a, this.rows, b, this.config.dim) * this.inv);
        this.kyy[a * this.w + b] = v;
        this.kyy[b * this.w + a] = v;
      }
    }
  }

  /** Σ over R of k(r, x_i): over the whole reference, less the held-out rows. */
  private refKernelSum(x: Float64Array, i: number): number {
    const { reference, dim } = this.config;
    let s = 0;
    for (let r = 0; r < this.n; r++) s += Math.exp(-squaredDistance(reference, r, x, i, dim) * this.inv);
    for (let a = 0; a < this.held.length; a++) s -= Math.exp(-squaredDistance(reference, this.held[a] as number, x, i, dim) * this.inv);
    return s;
  }

  /** Slides the window by one row (`dim` values) and tests it. */
  update(row: ArrayLike<number>): OnlineStep {
    const { dim } = this.config;
    const w = this.w;
    const slot = this.head;
    for (let k = 0; k < dim; k++) this.rows[slot * dim + k] = row[k] as number;
    this.colR[slot] = this.refKernelSum(this.rows, slot);
    for (let b = 0; b < w; b++) {
      if (b === slot) continue;
      const v = Math.exp(-squaredDistance(this.rows, slot, this.rows, b, dim) * this.inv);
      this.kyy[slot * w + b] = v;
      this.kyy[b * w + slot] = v;
    }
    this.head = (slot + 1) % w;
    this.tRows += 1;
    let yy = 0;
    let xy = 0;
    for (let a = 0; a < w; a++) {
      xy += this.colR[a] as number;
      for (let b = a + 1; b < w; b++) yy += 2 * (this.kyy[a * w + b] as number);
    }
    const statistic = this.kxxMean + yy / (w * (w - 1)) - (2 * xy) / (this.m * w);
    const threshold = this.config.thresholds[Math.min(this.tRows, w) - 1] as number;
    return { statistic, threshold, alarm: statistic > threshold, t: this.tRows };
  }

  /** R of the current run, row-major (for checks). */
  referenceSubset(): Float64Array {
    const { reference, dim } = this.config;
    const held = new Set(this.held);
    const out = new Float64Array(this.m * dim);
    let k = 0;
    for (let r = 0; r < this.n; r++) if (!held.has(r)) out.set(reference.subarray(r * dim, r * dim + dim), dim * k++);
    return out;
  }

  /** The state to store (the split and kernel sums are recomputed from it on restore). */
  snapshot(): OnlineMmdSnapshot {
    const { dim } = this.config;
    const window: number[] = [];
    for (let a = 0; a < this.w; a++) {
      const s = (this.head + a) % this.w;
      for (let k = 0; k < dim; k++) window.push(this.rows[s * dim + k] as number);
    }
    return { resets: this.runs, t: this.tRows, window };
  }
}
