import pino from 'pino';
import type { Logger as PinoLogger, DestinationStream } from 'pino';

/** The logger type every module takes: pino's. Children add bound fields (`requestId`, `model`). */
export type Logger = PinoLogger;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Service name, put on every line as `service`. */
  service: string;
  /** pino level. @default process.env.LOG_LEVEL ?? 'info' */
  level?: string;
  /** Where lines go. @default stdout (fd 1), written asynchronously by pino */
  destination?: DestinationStream;
}

/** Creates the JSON logger of a service. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service: opts.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
