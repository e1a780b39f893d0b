/** A configuration value is missing, malformed or out of range. `option` names it. */
export class ConfigError extends Error {
  /** The option at fault, as `name` (env `ENV_VAR`) or a file path. */
  readonly option: string;
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(`invalid configuration: ${option}: ${message}`, options);
    this.name = 'ConfigError';
    this.option = option;
  }
}
