/** Configuration: option specs, loading from file + environment, validation errors. */
export { ConfigError } from './errors.js';
export { intOption, numberOption, stringOption, boolOption, enumOption, listOption, serviceEnvName, MESH_ENV } from './options.js';
export type { OptionSpec, OptionSpecs, ConfigOf } from './options.js';
export { loadConfig, describeOptions } from './load.js';
export type { ConfigSources, DeprecatedVariable } from './load.js';
export { projectRoot, requireReadableFiles } from './paths.js';
