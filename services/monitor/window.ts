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
  /** MLMESH_PREDICTIONS sequences of the first and last messages in the window (0: empty). */
  firstSeq: number;
  lastSeq: number;
  /** Last MLMESH_PREDICTIONS sequence applied to this version: redeliveries at or below it are skipped. */
  lastAppliedSeq: number;
  windowsClosed: number;
  /** Drift streak: drifted windows in a row, their report ids and first sequence. */
  consecutiveDrifted: number;
  streakReportIds: string[];
  streakFirstSeq: number;
  /** Feedback joined to this version: all time, and within the open window. */
  feedbackRows: number;
  feedbackCorrect: number;
  windowFeedbackRows: number;
  windowFeedbackCorrect: number;
}

const FORMAT = 'mlmesh.monitor.window/v1';

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
      model, version, windowIndex: 0, rows: 0, inputCols: 0, outputCols: 0, startMs: 0, endMs: 0, firstSeq: 0, lastSeq: 0,
      lastAppliedSeq: 0, windowsClosed: 0, consecutiveDrifted: 0, streakReportIds: [], streakFirstSeq: 0,
      feedbackRows: 0, feedbackCorrect: 0, windowFeedbackRows: 0, windowFeedbackCorrect: 0,
    });
  }

  /**
   * Appends the rows of one prediction log. Inputs or outputs may be absent (omitted from the
   * log); a column count that differs from the window's is refused.
   * @returns an error message when the rows cannot be added (the caller skips the log and counts it).
   */
  append(inputs: Matrix | undefined, outputs: Matrix | undefined, seq: number, timeMs: number): string | undefined {
    const h = this.header;
    const rows = inputs?.rows ?? outputs?.rows ?? 0;
    if (rows === 0) return 'the log has no rows';
    if (inputs && outputs && inputs.rows !== outputs.rows) return `inputs have ${inputs.rows} rows, outputs ${outputs.rows}`;
    if (h.rows > 0) {
      if ((inputs?.cols ?? 0) !== h.inputCols) return `inputs have ${inputs?.cols ?? 0} columns, the window ${h.inputCols}`;
      if ((outputs?.cols ?? 0) !== h.outputCols) return `outputs have ${outputs?.cols ?? 0} columns, the window ${h.outputCols}`;
    } else {
      h.inputCols = inputs?.cols ?? 0;
      h.outputCols = outputs?.cols ?? 0;
      this.inputs = inputs ? new Rows(h.inputCols, 64) : undefined;
      this.outputs = outputs ? new Rows(h.outputCols, 64) : undefined;
      h.startMs = timeMs;
      h.firstSeq = seq;
    }
    if (inputs && this.inputs) {
      this.inputs.ensure(h.rows + rows);
      this.inputs.data.set(inputs.data, h.rows * h.inputCols);
    }
    if (outputs && this.outputs) {
      this.outputs.ensure(h.rows + rows);
      this.outputs.data.set(outputs.data, h.rows * h.outputCols);
    }
    h.rows += rows;
    h.endMs = Math.max(h.endMs, timeMs);
    h.lastSeq = seq;
    return undefined;
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
    h.lastSeq = 0;
    h.windowFeedbackRows = 0;
    h.windowFeedbackCorrect = 0;
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
    if (parsed.format !== FORMAT) throw new Error(`${name}: format ${parsed.format}, expected ${FORMAT}`);
    const { format: _format, ...h } = parsed;
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
