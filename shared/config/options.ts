import { ConfigError } from './errors.js';

/**
 * One configuration option: where it comes from, its default and how a raw value (a JSON/YAML
 * value from the file, or a string from the environment) becomes a typed one.
 */
export interface OptionSpec<T> {
  /**
   * Environment variable that sets this option (wins over the file):
   * `MLMESH_<SERVICE>_<OPTION>` for a service's own options ({@link serviceEnvName}), or one of
   * the mesh-wide names ({@link MESH_ENV}).
   */
  readonly env: string;
  /**
   * Former names of {@link env}, still read (after it) with a warning naming the new one.
   * @default none
   */
  readonly deprecatedEnv?: readonly string[];
  /** A mesh-wide variable read when neither `env` nor a former name is set (e.g. MLMESH_LOG_LEVEL). */
  readonly fallbackEnv?: string;
  /** Value used when neither the file nor the environment sets it. */
  readonly default: T;
  /** One line for the README table: meaning and unit. */
  readonly doc: string;
  /**
   * Turns a raw value into the typed value.
   * @throws ConfigError naming `label` when the value is malformed or out of range.
   */
  parse(raw: unknown, label: string): T;
}

/** A set of options, keyed by their name in the config file. */
export type OptionSpecs = Record<string, OptionSpec<unknown>>;

/** The resolved configuration for a set of options: every field set. */
export type ConfigOf<S extends OptionSpecs> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

interface Common<T> {
  env: string;
  deprecatedEnv?: readonly string[];
  fallbackEnv?: string;
  default: T;
  doc: string;
}

/**
 * The variables every service reads under one name: the NATS servers, the default log level
 * (a service's own `MLMESH_<SERVICE>_LOG_LEVEL` wins over it), the config file, and the
 * mesh-wide defaults of the TLS and authorization options (a service's own
 * `MLMESH_<SERVICE>_TLS_CERT_FILE`… wins over them) and of the NATS credentials
 * (`MLMESH_<SERVICE>_NATS_USER`… wins over `MLMESH_NATS_USER`…).
 */
export const MESH_ENV = {
  natsUrl: 'NATS_URL',
  logLevel: 'MLMESH_LOG_LEVEL',
  config: 'MLMESH_CONFIG',
  tlsCertFile: 'MLMESH_TLS_CERT_FILE',
  tlsKeyFile: 'MLMESH_TLS_KEY_FILE',
  tlsCaFile: 'MLMESH_TLS_CA_FILE',
  tlsClientCerts: 'MLMESH_TLS_CLIENT_CERTS',
  tlsReloadMs: 'MLMESH_TLS_RELOAD_MS',
  authRequired: 'MLMESH_AUTH_REQUIRED',
  authTokens: 'MLMESH_AUTH_TOKENS',
  authCertRoles: 'MLMESH_AUTH_CERT_ROLES',
  natsUser: 'MLMESH_NATS_USER',
  natsPassword: 'MLMESH_NATS_PASSWORD',
  natsPasswordFile: 'MLMESH_NATS_PASSWORD_FILE',
  natsToken: 'MLMESH_NATS_TOKEN',
  natsTokenFile: 'MLMESH_NATS_TOKEN_FILE',
  natsNkeySeedFile: 'MLMESH_NATS_NKEY_SEED_FILE',
  natsCredsFile: 'MLMESH_NATS_CREDS_FILE',
  natsTlsCaFile: 'MLMESH_NATS_TLS_CA_FILE',
  natsTlsCertFile: 'MLMESH_NATS_TLS_CERT_FILE',
  natsTlsKeyFile: 'MLMESH_NATS_TLS_KEY_FILE',
} as const;

/**
 * The environment variable of a service's own option: `MLMESH_<SERVICE>_<OPTION>`, the option
 * name in upper snake case (`inference`, `spoolFsyncIntervalMs` →
 * `MLMESH_INFERENCE_SPOOL_FSYNC_INTERVAL_MS`).
 */
export function serviceEnvName(service: string, option: string): string {
  const snake = option.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `MLMESH_${service.toUpperCase()}_${snake}`;
}

function asNumber(raw: unknown, label: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new ConfigError(label, `expected a number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** An integer option within [min, max]. */
export function intOption(o: Common<number> & { min?: number; max?: number }): OptionSpec<number> {
  return {
    ...o,
    parse(raw, label) {
      const n = asNumber(raw, label);
      if (!Number.isInteger(n)) throw new ConfigError(label, `expected an integer, got ${JSON.stringify(raw)}`);
      if (o.min !== undefined && n < o.min) throw new ConfigError(label, `must be >= ${o.min}, got ${n}`);
      if (o.max !== undefined && n > o.max) throw new ConfigError(label, `must be <= ${o.max}, got ${n}`);
      return n;
    },
  };
}

/** A number option (not necessarily an integer) within [min, max]; `exclusiveMin`/`exclusiveMax` make a bound strict. */
export function numberOption(o: Common<number> & { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }): OptionSpec<number> {
  return {
    ...o,
    parse(raw, label) {
      const n = asNumber(raw, label);
      if (o.min !== undefined && (o.exclusiveMin ? n <= o.min : n < o.min)) throw new ConfigError(label, `must be ${o.exclusiveMin ? '>' : '>='} ${o.min}, got ${n}`);
      if (o.max !== undefined && (o.exclusiveMax ? n >= o.max : n > o.max)) throw new ConfigError(label, `must be ${o.exclusiveMax ? '<' : '<='} ${o.max}, got ${n}`);
      return n;
    },
  };
}

/** A string option; `pattern` restricts its form, `allowEmpty` defaults to true. */
export function stringOption(o: Common<string> & { pattern?: RegExp; allowEmpty?: boolean }): OptionSpec<string> {
  return {
    ...o,
    parse(raw, label) {
      if (typeof raw !== 'string') throw new ConfigError(label, `expected a string, got ${JSON.stringify(raw)}`);
      if (o.allowEmpty === false && raw === '') throw new ConfigError(label, 'must not be empty');
      if (o.pattern && raw !== '' && !o.pattern.test(raw)) {
        throw new ConfigError(label, `${JSON.stringify(raw)} does not match ${o.pattern}`);
      }
      return raw;
    },
  };
}

/** A boolean option: true/false, or in the environment 1/0, yes/no, on/off. */
export function boolOption(o: Common<boolean>): OptionSpec<boolean> {
  return {
    ...o,
    parse(raw, label) {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const v = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return true;
        if (['0', 'false', 'no', 'off'].includes(v)) return false;
      }
      throw new ConfigError(label, `expected a boolean, got ${JSON.stringify(raw)}`);
    },
  };
}

/** One of a fixed set of strings. */
export function enumOption<const V extends string>(o: Common<V> & { values: readonly V[] }): OptionSpec<V> {
  return {
    ...o,
    parse(raw, label) {
      if (typeof raw === 'string' && (o.values as readonly string[]).includes(raw)) return raw as V;
      throw new ConfigError(label, `expected one of ${o.values.join(', ')}, got ${JSON.stringify(raw)}`);
    },
  };
}

/** What is left in an item of a JSON array split on commas (`["a"` and `"b"]`): refused. */
const LIST_DEBRIS = /[[\]"']/;

/**
 * A list of strings: a JSON/YAML array in the file; in the environment (or as a string in the
 * file) a comma-separated list (`a,b`) or a JSON array of strings (`["a","b"]`, the form the
 * README's defaults are shown in). An item holding a bracket or a quote is refused (it is what
 * a JSON-looking value split on commas would give), and so is one not matching `pattern`.
 */
export function listOption(o: Common<readonly string[]> & { pattern?: RegExp }): OptionSpec<readonly string[]> {
  return {
    ...o,
    parse(raw, label) {
      let items: unknown[] | undefined;
      if (typeof raw === 'string' && raw.trim().startsWith('[')) {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (Array.isArray(parsed)) items = parsed;
        } catch {
          // Not JSON: refused below, with the forms that are accepted.
        }
        if (!items) throw new ConfigError(label, `${JSON.stringify(raw)} is neither a JSON array of strings (["a","b"]) nor a comma-separated list (a,b)`);
      } else if (typeof raw === 'string') items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      else if (Array.isArray(raw)) items = raw;
      if (!items) throw new ConfigError(label, `expected a list of strings, got ${JSON.stringify(raw)}`);
      return items.map((item, i) => {
        if (typeof item !== 'string') throw new ConfigError(`${label}[${i}]`, `expected a string, got ${JSON.stringify(item)}`);
        if (LIST_DEBRIS.test(item)) throw new ConfigError(`${label}[${i}]`, `${JSON.stringify(item)} holds a bracket or a quote: give a comma-separated list (a,b) or a JSON array of strings (["a","b"])`);
        if (o.pattern && !o.pattern.test(item)) throw new ConfigError(`${label}[${i}]`, `${JSON.stringify(item)} does not match ${o.pattern}`);
        return item;
      });
    },
  };
}
