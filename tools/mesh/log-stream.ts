/**
 * The mesh's one log stream: every line a service, the local nats-server or the supervisor
 * writes, tagged with who wrote it.
 * - `json`: one JSON object per line. A service's pino line is passed through as it is (it
 *   already carries `service`); any other line (a crash trace on stderr, nats-server's text log)
 *   becomes `{"level","time","service","stream","msg"}`; the supervisor's own lines have
 *   `"service":"mesh"`. Good for `jq`, files and log shippers.
 * - `pretty`: `HH:MM:SS.mmm service   LEVEL message key=value…`, the service name aligned and, on a
 *   colour terminal, coloured. For people.
 */
import { parseNatsLogLine } from './nats.js';
import { NATS } from './catalogue.js';

/** Where the stream writes and how. */
export interface LogStreamOptions {
  /** Destination of every line. */
  readonly out: NodeJS.WritableStream;
  /** Destination of the services' (and nats-server's) lines. @default out */
  readonly servicesOut?: NodeJS.WritableStream;
  readonly format: 'pretty' | 'json';
  /** ANSI colours in pretty mode. @default false */
  readonly color?: boolean;
}

/** A log level name. */
export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const PINO_LEVELS: Record<number, Level> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Fields not repeated as key=value in pretty mode. */
const HIDDEN = new Set(['level', 'time', 'service', 'pid', 'hostname', 'msg', 'v']);
const SERVICE_COLORS = [36, 35, 33, 32, 34, 96, 95, 93];
const LEVEL_COLORS: Record<Level, number> = { trace: 90, debug: 90, info: 32, warn: 33, error: 31, fatal: 41 };
/** Width of the service column in pretty mode. */
const TAG_WIDTH = 10;

function levelOf(v: unknown): Level {
  if (typeof v === 'number') return PINO_LEVELS[v] ?? 'info';
  if (typeof v === 'string' && ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(v)) return v as Level;
  return 'info';
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

function clock(time: unknown): string {
  const d = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  const t = Number.isNaN(d.getTime()) ? new Date() : d;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}.${p(t.getMilliseconds(), 3)}`;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // not JSON after all: shown as a text line
  }
}

/** The tagged log stream of a mesh. */
export class LogStream {
  readonly format: 'pretty' | 'json';
  private readonly out: NodeJS.WritableStream;
  private servicesOut: NodeJS.WritableStream;
  private readonly color: boolean;
  private readonly colors = new Map<string, number>();

  constructor(opts: LogStreamOptions) {
    this.out = opts.out;
    this.servicesOut = opts.servicesOut ?? opts.out;
    this.format = opts.format;
    this.color = opts.color ?? false;
  }

  /** Sends the services' lines somewhere else from now on (the demo: to a file once its folder exists). */
  setServicesOut(out: NodeJS.WritableStream): void {
    this.servicesOut = out;
  }

  /** One line a service (or nats-server) wrote on `stream`. */
  child(service: string, stream: 'stdout' | 'stderr', line: string): void {
    if (line === '') return;
    const rec = parseObject(line);
    if (rec) {
      if (this.format === 'json') {
        this.servicesOut.write(rec['service'] === service ? `${line}\n` : `${JSON.stringify({ ...rec, service })}\n`);
      } else {
        this.servicesOut.write(this.pretty(service, levelOf(rec['level']), rec['time'], typeof rec['msg'] === 'string' ? rec['msg'] : JSON.stringify(rec['msg'] ?? ''), rec));
      }
      return;
    }
    const parsed = service === NATS ? parseNatsLogLine(line) : { level: stream === 'stderr' ? 'error' : 'info', msg: line };
    const level = levelOf(parsed.level);
    if (this.format === 'json') this.servicesOut.write(`${JSON.stringify({ level, time: new Date().toISOString(), service, stream, msg: parsed.msg })}\n`);
    else this.servicesOut.write(this.pretty(service, level, undefined, parsed.msg, {}));
  }

  /** A line of the supervisor itself (`service: mesh`). */
  mesh(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (this.format === 'json') this.out.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'mesh', msg, ...fields })}\n`);
    else this.out.write(this.pretty('mesh', level, undefined, msg, fields));
  }

  /** Text written as it is in pretty mode (the status table, the no-NATS banner); nothing in JSON mode. */
  text(text: string): void {
    if (this.format === 'pretty') this.out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  private paint(code: number, s: string): string {
    return this.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  private tagColor(service: string): number {
    let c = this.colors.get(service);
    if (c === undefined) {
      c = service === 'mesh' ? 1 : (SERVICE_COLORS[this.colors.size % SERVICE_COLORS.length] ?? 36);
      this.colors.set(service, c);
    }
    return c;
  }

  private pretty(service: string, level: Level, time: unknown, msg: string, fields: Record<string, unknown>): string {
    const extra = Object.entries(fields)
      .filter(([k]) => !HIDDEN.has(k))
      .map(([k, v]) => `${k}=${valueText(v)}`)
      .join(' ');
    const tag = this.paint(this.tagColor(service), service.padEnd(TAG_WIDTH));
    const lvl = this.paint(LEVEL_COLORS[level], level.toUpperCase().padEnd(5));
    return `${this.paint(90, clock(time))} ${tag} ${lvl} ${msg}${extra ? `  ${this.paint(90, extra)}` : ''}\n`;
  }
}

/** Splits a byte stream into lines, calling `onLine` for each complete one (and the rest at the end). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let buf = '';
  return {
    push(chunk) {
      buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
    },
    end() {
      if (buf !== '') onLine(buf);
      buf = '';
    },
  };
}
