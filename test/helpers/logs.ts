/** A logger for tests whose JSON lines are kept in memory, to assert on warnings and errors. */
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logging/index.js';
import type { Logger } from '../../shared/logging/index.js';

/** A pino logger at `level` and the records it has written so far. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ service: 'test', level, destination: sink }), lines };
}
