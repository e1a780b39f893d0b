import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { MESH_ENV } from './options.js';
import type { ConfigOf, OptionSpec, OptionSpecs } from './options.js';

/** A former variable name found set in the environment (see OptionSpec.deprecatedEnv). */
export interface DeprecatedVariable {
  /** The former name, as set. */
  variable: string;
  /** The name to use instead. */
  replacement: string;
  /** The option it sets. */
  option: string;
  /** True when the new name is set too, so the former one is ignored. */
  ignored: boolean;
}

/** Where configuration comes from. Later sources win: defaults < file < environment < overrides. */
export interface ConfigSources<S extends OptionSpecs> {
  /**
   * A JSON or YAML file. If it has a key equal to `section`, that object is used; otherwise the
   * whole file is. @default the file named by `MLMESH_CONFIG`, or none
   */
  file?: string | undefined;
  /** Section of the file for this service, e.g. `inference`. */
  section?: string;
  /** Environment to read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Values set in code (tests, CLI flags), validated like the others. */
  overrides?: Partial<{ [K in keyof S]: unknown }>;
  /**
   * Told about each former variable name that is set (once per variable and call), so the
   * caller can log a warning naming the new one. @default ignored
   */
  onDeprecated?: (found: DeprecatedVariable) => void;
}

/** The raw value of an option from the environment and the variable it came from, if any. */
function readEnv(spec: OptionSpec<unknown>, name: string, env: NodeJS.ProcessEnv, onDeprecated: ConfigSources<OptionSpecs>['onDeprecated']): { raw: string; variable: string } | undefined {
  const set = (v: string): boolean => env[v] !== undefined && env[v] !== '';
  const current = set(spec.env) ? { raw: env[spec.env] as string, variable: spec.env } : undefined;
  let found = current;
  for (const old of spec.deprecatedEnv ?? []) {
    if (!set(old)) continue;
    onDeprecated?.({ variable: old, replacement: spec.env, option: name, ignored: found !== undefined });
    found ??= { raw: env[old] as string, variable: old };
  }
  if (!found && spec.fallbackEnv && set(spec.fallbackEnv)) found = { raw: env[spec.fallbackEnv] as string, variable: spec.fallbackEnv };
  return found;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new ConfigError(path, 'cannot read the config file', { cause: e });
  }
  let data: unknown;
  try {
    data = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e: unknown) {
    throw new ConfigError(path, `cannot parse: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(path, 'the top level must be an object');
  return data as Record<string, unknown>;
}

/**
 * Resolves a service's configuration from its option specs: defaults, then the config file,
 * then environment variables, then overrides. Every value is validated. Of the variables, the
 * option's own (`env`) wins over its former names (`deprecatedEnv`, each reported to
 * `onDeprecated`), which win over a mesh-wide fallback (`fallbackEnv`).
 * @throws ConfigError naming the option (and its env variable) when a value is bad, or when the
 *   file holds a key that is not an option (a typo would otherwise be silently ignored).
 */
export function loadConfig<S extends OptionSpecs>(specs: S, sources: ConfigSources<S> = {}): ConfigOf<S> {
  const env = sources.env ?? process.env;
  const path = sources.file ?? env[MESH_ENV.config];
  let fileValues: Record<string, unknown> = {};
  if (path) {
    const data = readConfigFile(path);
    const hasSection = sources.section !== undefined && Object.hasOwn(data, sources.section);
    const section = hasSection ? data[sources.section as string] : undefined;
    if (hasSection && section !== null && (typeof section !== 'object' || Array.isArray(section))) {
      throw new ConfigError(`${path}: ${sources.section}`, 'must be an object');
    }
    // A present but empty section (YAML `inference:` with nothing under it) means "no values".
    fileValues = hasSection ? ((section ?? {}) as Record<string, unknown>) : data;
    const prefix = hasSection ? `${sources.section}.` : '';
    for (const key of Object.keys(fileValues)) {
      if (!Object.hasOwn(specs, key)) {
        throw new ConfigError(`${path}: ${prefix}${key}`, `unknown option (known: ${Object.keys(specs).join(', ')})`);
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    let value: unknown = spec.default;
    if (fileValues[name] !== undefined) value = spec.parse(fileValues[name], `${name} (in ${path}; env ${spec.env})`);
    const fromEnv = readEnv(spec, name, env, sources.onDeprecated);
    if (fromEnv) value = spec.parse(fromEnv.raw, `${name} (env ${fromEnv.variable})`);
    const override = sources.overrides?.[name];
    if (override !== undefined) value = spec.parse(override, `${name} (env ${spec.env})`);
    out[name] = value;
  }
  return out as ConfigOf<S>;
}

/**
 * A Markdown table of the options (name, env, default, meaning), for the README. A mesh-wide
 * fallback and former names are said after the meaning.
 */
export function describeOptions(specs: OptionSpecs): string {
  const notes = (s: OptionSpec<unknown>): string =>
    (s.fallbackEnv ? ` Unset: \`${s.fallbackEnv}\`.` : '') + (s.deprecatedEnv?.length ? ` Formerly ${s.deprecatedEnv.map((v) => `\`${v}\``).join(', ')} (still read, with a warning).` : '');
  const rows = Object.entries(specs).map(
    ([name, s]) => `| \`${name}\` | \`${s.env}\` | \`${JSON.stringify(s.default)}\` | ${s.doc}${notes(s)} |`,
  );
  return ['| option | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
