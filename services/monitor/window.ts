/**
 * The open window of one model version and the durable counters that go with it, serialised as
 * one file (a JSON header line, then the rows as little-endian float64), so a single atomic
 * write covers the rows, the last stream sequence applied and the drift streak together.
 */
import type { Matrix } from './matrix.js';

/** Durable per-version state besides the rows. */
export interface WindowHeader {
  model: string;
  version: string;
  /** Index of the open window (0-based; closed windows are 0 … windowIndex−1). */
  windowIndex: number;
  rows: number;
  inputCols: number;
  outputCols: number;
  /** Prediction-log times of the first and last rows, ms. */
  startMs: number;
  endMs: number;
  /**
   * Where the window starts and ends in MLMESH_PREDICTIONS: message sequence and row within the
   * message (0-based), first and last row inclusive (sequences 0: empty). A multi-row log can be
   * split between two windows.
   */
  firstSeq: number;
  firstRow: number;
  lastSeq: number;
  lastRow: number;
  /**
   * How far this version has applied the stream: message `lastAppliedSeq`, of which the first
   * `lastAppliedRows` rows. A redelivered message before that position is skipped; a partly
   * applied one (after a crash in the middle of a split) resumes at the next row.
   */
  lastAppliedSeq: number;
  lastAppliedRows: number;
  windowsClosed: number;
  /** Drift streak: drifted windows in a row, and the index of the first of them (-1: none). */
  consecutiveDrifted: number;
  streakFirstIndex: number;
  /** Last window index covered by a published RetrainRequest (-1: none). */
  retrainedThroughIndex: number;
  /** The sequential detector (sequential-detector.ts): CUSUM S and its run's first window (-1: S is 0). */
  cusumS: number;
  cusumRunStart: number;
}

const FORMAT = 'mlmesh.monitor.window/v2';
/** The previous format (feedback counters and report ids in the header): read and converted. */
const FORMAT_V1 = 'mlmesh.monitor.window/v1';

/** A growable row-major matrix. */
class Rows {
  data: Float64Array;
  constructor(readonly cols: number, capacity: number, initial?: Float64Array) {
    this.data = new Float64Array(Math.max(capacity, 1) * Math.max(cols, 1));
    if (initial) this.data.set(initial);
  }
  ensure(rows: number): void {
    if (rows * this.cols <= this.data.length) return;
    const next = new Float64Array(Math.max(rows * this.cols, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

/** One version's open window. */
export class OpenWindow {
  header: WindowHeader;
  private inputs: Rows | undefined;
  private outputs: Rows | undefined;

  constructor(header: WindowHeader, inputs?: Float64Array, outputs?: Float64Array) {
    this.header = header;
    if (header.inputCols > 0) this.inputs = new Rows(header.inputCols, header.rows, inputs);
    if (header.outputCols > 0) this.outputs = new Rows(header.outputCols, header.rows, outputs);
  }

  /** A fresh state for a version never seen before. */
  static empty(model: string, version: string): OpenWindow {
    return new OpenWindow({
      model, version, windowIndex: 0, rows: 0, inputCols: 0, outputCols: 0, startMs: 0, endMs: 0, firstSeq: 0, firstRow: 0, lastSeq: 0, lastRow: 0,
      lastAppliedSeq: 0, lastAppliedRows: 0, windowsClosed: 0, consecutiveDrifted: 0, streakFirstIndex: -1, retrainedThroughIndex: -1, cusumS: 0, cusumRunStart: -1,
    });
  }

  /**
   * Whether the rows of one prediction log fit this window. Inputs or outputs may be absent
   * (omitted from the log); a column count that differs from the window's is refused.
   * @returns an error message when they do not (the caller skips the log and counts it).
   */
  check(inputs: Matrix | undefined, outputs: Matrix | undefined): string | undefined {
    const h = this.header;
    const rows = inputs?.rows ?? outputs?.rows ?? 0;
    if (rows === 0) return 'the log has no rows';
    if (inputs && outputs && inputs.rows !== outputs.rows) return `inputs have ${inputs.rows} rows, outputs ${outputs.rows}`;
    if (h.rows > 0) {
      if ((inputs?.cols ?? 0) !== h.inputCols) return `inputs have ${inputs?.cols ?? 0} columns, the window ${h.inputCols}`;
      if ((outputs?.cols ?? 0) !== h.outputCols) return `outputs have ${outputs?.cols ?? 0} columns, the window ${h.outputCols}`;
    }
    return undefined;
  }

  /**
   * Appends rows `from` … `from + count − 1` of one prediction log (message `seq`, logged at
   * `timeMs`). The caller has checked them with {@link check}.
   */
  append(inputs: Matrix | undefined, outputs: Matrix | undefined, seq: number, from: number, count: number, timeMs: number): void {
    const h = this.header;
    if (h.rows === 0) {
      h.inputCols = inputs?.cols ?? 0;
      h.outputCols = outputs?.cols ?? 0;
      this.inputs = inputs ? new Rows(h.inputCols, 64) : undefined;
      this.outputs = outputs ? new Rows(h.outputCols, 64) : undefined;
      h.startMs = timeMs;
      h.firstSeq = seq;
      h.firstRow = from;
    }
    if (inputs && this.inputs) {
      this.inputs.ensure(h.rows + count);
      this.inputs.data.set(inputs.data.subarray(from * h.inputCols, (from + count) * h.inputCols), h.rows * h.inputCols);
    }
    if (outputs && this.outputs) {
      this.outputs.ensure(h.rows + count);
      this.outputs.data.set(outputs.data.subarray(from * h.outputCols, (from + count) * h.outputCols), h.rows * h.outputCols);
    }
    h.rows += count;
    h.endMs = Math.max(h.endMs, timeMs);
    h.lastSeq = seq;
    h.lastRow = from + count - 1;
  }

  /** The window's rows as matrices (copies). */
  matrices(): { inputs: Matrix | undefined; outputs: Matrix | undefined } {
    const h = this.header;
    return {
      inputs: this.inputs ? { rows: h.rows, cols: h.inputCols, data: this.inputs.data.slice(0, h.rows * h.inputCols) } : undefined,
      outputs: this.outputs ? { rows: h.rows, cols: h.outputCols, data: this.outputs.data.slice(0, h.rows * h.outputCols) } : undefined,
    };
  }

  /** Starts the next window (the durable counters carry over). */
  reset(): void {
    const h = this.header;
    h.windowIndex += 1;
    h.windowsClosed += 1;
    h.rows = 0;
    h.startMs = 0;
    h.endMs = 0;
    h.firstSeq = 0;
    h.firstRow = 0;
    h.lastSeq = 0;
    h.lastRow = 0;
    this.inputs = undefined;
    this.outputs = undefined;
    h.inputCols = 0;
    h.outputCols = 0;
  }

  /** The file bytes: a JSON header line, then inputs and outputs as float64. */
  serialize(): Buffer {
    const h = this.header;
    const head = Buffer.from(JSON.stringify({ format: FORMAT, ...h }) + '\n');
    const inBytes = this.inputs ? Buffer.from(this.inputs.data.buffer, 0, h.rows * h.inputCols * 8) : Buffer.alloc(0);
    const outBytes = this.outputs ? Buffer.from(this.outputs.data.buffer, 0, h.rows * h.outputCols * 8) : Buffer.alloc(0);
    return Buffer.concat([head, inBytes, outBytes]);
  }

  /** Parses {@link serialize}'s bytes. @throws Error when the file is not a window state. */
  static deserialize(buf: Buffer, name: string): OpenWindow {
    const nl = buf.indexOf(0x0a);
    if (nl < 0) throw new Error(`${name}: no header line`);
    const parsed = JSON.parse(buf.subarray(0, nl).toString('utf8')) as WindowHeader & { format: string };
    if (parsed.format !== FORMAT && parsed.format !== FORMAT_V1) throw new Error(`${name}: format ${parsed.format}, expected ${FORMAT}`);
    const h = parsed.format === FORMAT ? headerOf(parsed) : fromV1(parsed as unknown as V1Header);
    const inLen = h.rows * h.inputCols * 8;
    const outLen = h.rows * h.outputCols * 8;
    if (buf.length - nl - 1 !== inLen + outLen) throw new Error(`${name}: ${buf.length - nl - 1} data bytes, header says ${inLen + outLen}`);
    const copy = (off: number, len: number): Float64Array => {
      const b = new Uint8Array(len);
      b.set(buf.subarray(off, off + len));
      return new Float64Array(b.buffer);
    };
    return new OpenWindow(h, h.inputCols ? copy(nl + 1, inLen) : undefined, h.outputCols ? copy(nl + 1 + inLen, outLen) : undefined);
  }
}

/** The header fields of a parsed v2 header (anything else in the line is dropped). */
function headerOf(p: WindowHeader): WindowHeader {
  return {
    model: p.model, version: p.version, windowIndex: p.windowIndex, rows: p.rows, inputCols: p.inputCols, outputCols: p.outputCols,
    startMs: p.startMs, endMs: p.endMs, firstSeq: p.firstSeq, firstRow: p.firstRow, lastSeq: p.lastSeq, lastRow: p.lastRow,
    lastAppliedSeq: p.lastAppliedSeq, lastAppliedRows: p.lastAppliedRows, windowsClosed: p.windowsClosed,
    consecutiveDrifted: p.consecutiveDrifted, streakFirstIndex: p.streakFirstIndex, retrainedThroughIndex: p.retrainedThroughIndex,
    // Absent from files written before the sequential detector: a CUSUM at rest.
    cusumS: typeof p.cusumS === 'number' ? p.cusumS : 0,
    cusumRunStart: typeof p.cusumRunStart === 'number' ? p.cusumRunStart : -1,
  };
}

/** A v1 header: whole messages only, the streak's report ids listed, feedback counted in the file. */
interface V1Header extends Omit<WindowHeader, 'firstRow' | 'lastRow' | 'lastAppliedRows' | 'streakFirstIndex' | 'retrainedThroughIndex' | 'cusumS' | 'cusumRunStart'> {
  streakReportIds: string[];
}

/**
 * Converts a v1 header. Its messages were applied whole (lastAppliedRows: all of them), its
 * streak ran up to the open window, and which windows an earlier RetrainRequest covered was not
 * recorded (-1: the next request covers the whole streak, as v1 did). Its feedback counters are
 * dropped: feedback now lives in the join store.
 */
function fromV1(p: V1Header): WindowHeader {
  return headerOf({
    ...p,
    firstRow: 0,
    lastRow: 0,
    lastAppliedRows: Number.MAX_SAFE_INTEGER,
    streakFirstIndex: p.consecutiveDrifted > 0 ? p.windowIndex - p.consecutiveDrifted : -1,
    retrainedThroughIndex: -1,
    cusumS: 0,
    cusumRunStart: -1,
  });
}
