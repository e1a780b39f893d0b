/**
 * Progress bars of long jobs (materialize, historical export, pipeline fit, reference, load
 * test), drawn with cli-progress on stderr: done/total, percentage, rate and ETA. Only when
 * stderr is a terminal: in a pipe, a file or CI nothing is drawn (stdout is never touched).
 */
import cliProgress from 'cli-progress';

/** A progress bar (or nothing, when stderr is not a terminal). */
export interface Progress {
  /** Sets the total (it may be refined later, e.g. a pass count found on the way). */
  setTotal(total: number): void;
  /** Sets how much is done; `label` replaces the bar's label (e.g. "pass 2"). */
  update(done: number, label?: string): void;
  /** Adds to what is done. */
  increment(n?: number): void;
  /** Removes the bar (call it before printing the result). */
  stop(): void;
  /** Whether a bar is drawn. */
  readonly visible: boolean;
}

/** A number of units as people read it: 1234567 → 1.23M. */
export function humanCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Options of {@link startProgress}. */
export interface ProgressOptions {
  /** What is counted, for the rate (`rows`, `bytes`, `requests`, `s`). */
  unit: string;
  /** The total to reach. */
  total: number;
  /** Draw even when stderr is not a terminal (tests). @default false */
  force?: boolean;
  /** Where to draw. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
  /** The rate as shown. @default done per second, in `unit`/s */
  rate?: (done: number, elapsedS: number) => string;
}

/** Starts a bar labelled `label`. */
export function startProgress(label: string, o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  const visible = o.force === true || stream.isTTY === true;
  const now = o.now ?? Date.now;
  const started = now();
  let done = 0;
  let total = Math.max(o.total, 0);
  let name = label;
  if (!visible) {
    return {
      visible: false,
      setTotal: (t) => void (total = t),
      update: (d) => void (done = d),
      increment: (n = 1) => void (done += n),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{label} [{bar}] {percentage}% | {done}/{all} {unit} | {rate} | ETA {eta_formatted}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
      // Redraw at most 10 times a second; in a terminal only (noTTYOutput stays false).
      fps: 10,
      forceRedraw: o.force === true,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (): Record<string, string> => {
    const s = Math.max((now() - started) / 1000, 1e-3);
    return { label: name, unit: o.unit, done: humanCount(done), all: humanCount(total), rate: o.rate ? o.rate(done, s) : `${humanCount(done / s)} ${o.unit}/s` };
  };
  bar.start(total, 0, payload());
  return {
    visible: true,
    setTotal(t) {
      total = t;
      bar.setTotal(t);
      bar.update(done, payload());
    },
    update(d, l) {
      done = d;
      if (l !== undefined) name = l;
      bar.update(Math.min(d, total), payload());
    },
    increment(n = 1) {
      done += n;
      bar.update(Math.min(done, total), payload());
    },
    stop() {
      bar.stop();
    },
  };
}
