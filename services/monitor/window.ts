/**
 * The open window of one model version and the durable counters that go with it. Rows are kept
 * compact: float32 in memory (prediction-log tensors are FP32, so that is lossless for them;
 * FP64 and integer inputs are rounded to float32) and on disk as an append-only segment of
 * float32 rows (inputs then outputs per row), beside a small JSON header rewritten atomically
 * after every batch (state-store.ts). The header's `rows` is the commit point: segment bytes past
 * it (a crash between the append and the header) are ignored and cut off at load.
 *
 * {@link OpenWindow.serialize} gives the same state as one buffer (the header line, then the
 * segment's rows); files of the older formats (v2: one file with float64 inputs then outputs;
 * v1) are still read.
 */
import type { Matrix } from './matrix.js';
import type { OnlineHeader } from './online-detector.js';

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
  /** The online detector (online-detector.ts), when the model runs one; absent otherwise. */
  online?: OnlineHeader | undefined;
}

/** The header-plus-segment format (float32 rows). */
export const WINDOW_FORMAT = 'mlmesh.monitor.window/v3';
const FORMAT = WINDOW_FORMAT;
/** One file, float64 inputs then outputs after the header line: read and converted. */
const FORMAT_V2 = 'mlmesh.monitor.window/v2';
/** The first format (feedback counters and report ids in the header): read and converted. */
const FORMAT_V1 = 'mlmesh.monitor.window/v1';

/** A growable row-major float32 matrix. */
class Rows {
  data: Float32Array;
  constructor(readonly cols: number, capacity: number, initial?: ArrayLike<number>) {
    this.data = new Float32Array(Math.max(capacity, 1) * Math.max(cols, 1));
    if (initial) this.data.set(initial);
  }
  ensure(rows: number): void {
    if (rows * this.cols <= this.data.length) return;
    const next = new Float32Array(Math.max(rows * this.cols, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

/** Bytes of one row in a segment: float32 inputs then outputs. */
export function rowBytesOf(h: Pick<WindowHeader, 'inputCols' | 'outputCols'>): number {
  return (h.inputCols + h.outputCols) * 4;
}

/** One version's open window. */
export class OpenWindow {
  header: WindowHeader;
  private inputs: Rows | undefined;
  private outputs: Rows | undefined;

  /**
   * How much of this window the store's segment holds (rows of window `persistedIndex`); set by
   * the store, not serialised. -1: nothing stored for this window yet.
   */
  persistedIndex = -1;
  persistedRows = 0;

  constructor(header: WindowHeader, inputs?: ArrayLike<number>, outputs?: ArrayLike<number>) {
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

  /** The window's rows as float64 matrices (copies, for the detectors). */
  matrices(): { inputs: Matrix | undefined; outputs: Matrix | undefined } {
    const h = this.header;
    return {
      inputs: this.inputs ? { rows: h.rows, cols: h.inputCols, data: Float64Array.from(this.inputs.data.subarray(0, h.rows * h.inputCols)) } : undefined,
      outputs: this.outputs ? { rows: h.rows, cols: h.outputCols, data: Float64Array.from(this.outputs.data.subarray(0, h.rows * h.outputCols)) } : undefined,
    };
  }

  /** Bytes the rows take in memory (and in the segment). */
  get rowBytes(): number {
    return this.header.rows * rowBytesOf(this.header);
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

  /** The header line (v3): the state besides the rows. */
  headerLine(): Buffer {
    return Buffer.from(JSON.stringify({ format: FORMAT, ...this.header }) + '\n');
  }

  /** Rows `from` … rows − 1 as segment bytes: per row, float32 inputs then outputs (little-endian). */
  segmentBytes(from = 0): Buffer {
    const h = this.header;
    const n = Math.max(0, h.rows - from);
    const out = new Float32Array(n * (h.inputCols + h.outputCols));
    let k = 0;
    for (let r = from; r < h.rows; r++) {
      if (this.inputs) for (let c = 0; c < h.inputCols; c++) out[k++] = this.inputs.data[r * h.inputCols + c] as number;
      if (this.outputs) for (let c = 0; c < h.outputCols; c++) out[k++] = this.outputs.data[r * h.outputCols + c] as number;
    }
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  /** The whole state as one buffer: the header line, then every row as in a segment. */
  serialize(): Buffer {
    return Buffer.concat([this.headerLine(), this.segmentBytes(0)]);
  }

  /**
   * Parses a header (v3, v2 or v1) and the rows that go with it: for v3 the bytes after the
   * header line, or `segment` (the store's segment file) when given; for v2/v1 the float64 rows
   * after the header line. v3 rows past the header's `rows` are ignored (uncommitted).
   * @throws Error when the file is not a window state or holds fewer rows than its header says.
   */
  /**
   * The header of a window file, its format, and whether rows follow the header line.
   * @throws Error when the file is not a window state.
   */
  static readHeader(buf: Buffer, name: string): { header: WindowHeader; format: string; inlineRows: boolean } {
    const nl = buf.indexOf(0x0a);
    if (nl < 0) throw new Error(`${name}: no header line`);
    const parsed = JSON.parse(buf.subarray(0, nl).toString('utf8')) as WindowHeader & { format: string };
    if (parsed.format !== FORMAT && parsed.format !== FORMAT_V2 && parsed.format !== FORMAT_V1) throw new Error(`${name}: format ${parsed.format}, expected ${FORMAT}`);
    const header = parsed.format === FORMAT_V1 ? fromV1(parsed as unknown as V1Header) : headerOf(parsed);
    return { header, format: parsed.format, inlineRows: buf.length > nl + 1 };
  }

  static deserialize(buf: Buffer, name: string, segment?: Buffer): OpenWindow {
    const nl = buf.indexOf(0x0a);
    const { header: h, format } = OpenWindow.readHeader(buf, name);
    if (format === FORMAT) {
      const data = segment ?? buf.subarray(nl + 1);
      const rowBytes = rowBytesOf(h);
      if (data.length < h.rows * rowBytes) throw new Error(`${name}: ${data.length} data bytes, header says ${h.rows} rows of ${rowBytes} bytes`);
      const copy = new Uint8Array(h.rows * rowBytes);
      copy.set(data.subarray(0, copy.length));
      const all = new Float32Array(copy.buffer);
      const width = h.inputCols + h.outputCols;
      const inputs = new Float32Array(h.rows * h.inputCols);
      const outputs = new Float32Array(h.rows * h.outputCols);
      for (let r = 0; r < h.rows; r++) {
        inputs.set(all.subarray(r * width, r * width + h.inputCols), r * h.inputCols);
        outputs.set(all.subarray(r * width + h.inputCols, (r + 1) * width), r * h.outputCols);
      }
      return new OpenWindow(h, h.inputCols ? inputs : undefined, h.outputCols ? outputs : undefined);
    }
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
    // Absent from files written before the online detector, or for models without one.
    ...(p.online && typeof p.online === 'object' ? { online: p.online } : {}),
  };
}

/** A v1 header: whole messages only, the streak's report ids listed, feedback counted in the file. */
interface V1Header extends Omit<WindowHeader, 'firstRow' | 'lastRow' | 'lastAppliedRows' | 'streakFirstIndex' | 'retrainedThroughIndex' | 'cusumS' | 'cusumRunStart' | 'online'> {
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
