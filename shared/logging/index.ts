/** Logging: pino JSON logs; request-scoped children carry `requestId` on every line. */
export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
