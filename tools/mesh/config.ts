/**
 * The mesh config: one file (`mlmesh.yaml`) with a `mesh:` section for the supervisor and a
 * section per service (`inference:`, `preprocess:`, `features:`, `monitor:`) holding that
 * service's options exactly as the service reads them from `MLMESH_CONFIG`. This module finds
 * the file, validates every section with the service's own option specs (environment variables
 * win over the file, as for a service started alone), and turns it into a {@link MeshPlan}: what
 * runs, with which options, where its state lives, and where NATS comes from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, enumOption, intOption, listOption, loadConfig, projectRoot, stringOption } from '../../shared/config/index.js';
import type { ConfigOf, OptionSpecs } from '../../shared/config/index.js';
import { CATALOGUE, NATS, loadServiceOptions, serviceExists } from './catalogue.js';
import type { ServiceEntry } from './catalogue.js';
import { MeshConfigError, MeshUsageError } from './errors.js';
import { resolveNatsBinary } from './nats.js';

/** The supervisor's options: section `mesh:` of the config file, or the variables. */
export const MESH_OPTIONS = {
  services: listOption({ env: 'MLMESH_MESH_SERVICES', default: ['*'], pattern: /^(\*|[a-z]+)$/, doc: 'Services `mlmesh up` starts: `*` for every service that is built (features, preprocess, inference, monitor, gateway, rollout, retrainer), or a list; `--only` overrides it.' }),
  natsUrl: stringOption({ env: 'NATS_URL', default: '', doc: 'NATS server(s) of the whole mesh, e.g. nats://10.0.0.5:4222 (comma-separated for a cluster); empty: the supervisor starts a local nats-server, or runs without NATS when there is no binary.' }),
  natsPort: intOption({ env: 'MLMESH_MESH_NATS_PORT', default: 4222, min: 0, max: 65535, doc: 'Client port of the local nats-server (on 127.0.0.1); when it is taken another free port is chosen and said; 0: any free port.' }),
  natsServerBin: stringOption({ env: 'NATS_SERVER_BIN', default: '', doc: 'The nats-server binary of the local NATS (a path, or a name looked up on PATH); empty: `nats-server` on PATH, else /usr/sbin/nats-server.' }),
  varDir: stringOption({ env: 'MLMESH_MESH_VAR_DIR', default: 'var', allowEmpty: false, doc: "Folder of the mesh's state, relative to the config file's folder: nats/ (config, JetStream store), mesh/ (state.json, the services' resolved config), and the services' data unless their section sets it." }),
  readyTimeoutMs: intOption({ env: 'MLMESH_MESH_READY_TIMEOUT_MS', default: 120_000, min: 100, doc: 'How long a service (or the local nats-server) may take to become healthy after a start or restart, in ms.' }),
  restartDelayMs: intOption({ env: 'MLMESH_MESH_RESTART_DELAY_MS', default: 500, min: 0, doc: 'Wait before restarting a service that crashed, in ms; doubled for each further crash in a row.' }),
  restartMaxDelayMs: intOption({ env: 'MLMESH_MESH_RESTART_MAX_DELAY_MS', default: 30_000, min: 0, doc: 'Longest wait between restarts, in ms.' }),
  restartResetMs: intOption({ env: 'MLMESH_MESH_RESTART_RESET_MS', default: 60_000, min: 0, doc: 'A service healthy for this long before it crashes is restarted after restartDelayMs again (its crashes in a row start over), in ms.' }),
  stopTimeoutMs: intOption({ env: 'MLMESH_MESH_STOP_TIMEOUT_MS', default: 5000, min: 0, doc: "On Ctrl-C or SIGTERM each service gets its own drainDelayMs + shutdownGraceMs, plus this many ms, to exit before it is killed (SIGKILL)." }),
  signalRepeatMs: intOption({ env: 'MLMESH_MESH_SIGNAL_REPEAT_MS', default: 1000, min: 0, doc: "A second Ctrl-C or SIGTERM within this many ms of the first is taken for the same one delivered twice (under `npm start` a terminal's Ctrl-C reaches the supervisor directly and through npm) and ignored; a later one forces the stop; 0: every second one forces." }),
  logFormat: enumOption({ env: 'MLMESH_MESH_LOG_FORMAT', default: 'auto', values: ['auto', 'pretty', 'json'], doc: "The mesh's log stream on stdout: `pretty` (one aligned, tagged line per record), `json` (the services' JSON lines, each with its `service`), `auto`: pretty on a terminal, JSON otherwise." }),
} as const;

/** The supervisor's resolved options. */
export type MeshConfig = ConfigOf<typeof MESH_OPTIONS>;

/** Grace of a service whose options have no drainDelayMs/shutdownGraceMs, ms. */
const DEFAULT_SERVICE_GRACE_MS = 10_000;

/** One service as it will run. */
export interface PlannedService {
  readonly entry: ServiceEntry;
  /** Its option specs (the env variable of each option comes from here). */
  readonly specs: OptionSpecs;
  /** Its resolved options: defaults < file section < environment < overrides; state paths under varDir. */
  readonly config: Record<string, unknown>;
  /** Address its servers bind. */
  readonly host: string;
  /** Configured gRPC port (0: the supervisor picks a free one). */
  readonly grpcPort: number;
  /** Configured HTTP port (0: picked; -1: off). */
  readonly httpPort: number;
  /** Its own drain time (drainDelayMs + shutdownGraceMs), ms. */
  readonly graceMs: number;
}

/** Where the mesh's NATS comes from. */
export type NatsPlan =
  /** `NATS_URL` / `mesh.natsUrl`: an existing NATS; nothing is started. */
  | { readonly mode: 'external'; readonly url: string }
  /** A nats-server the supervisor starts (config and JetStream store under varDir/nats). */
  | { readonly mode: 'local'; readonly bin: string; readonly port: number }
  /** No NATS available: prediction logging off, services that need NATS not started. */
  | { readonly mode: 'none'; readonly reason: string }
  /** No selected service uses NATS. */
  | { readonly mode: 'unneeded' };

/** What `mlmesh up` will run. */
export interface MeshPlan {
  /** The config file (absolute), or undefined when none was found (defaults only). */
  readonly configFile: string | undefined;
  /** The config file's folder (the services' working directory; relative paths start here). */
  readonly projectDir: string;
  /** The var folder, absolute. */
  readonly varDir: string;
  readonly mesh: MeshConfig;
  /** Services to start, in start order. */
  readonly services: readonly PlannedService[];
  /** Services left out and why (not built yet, not selected, no NATS). */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
  readonly nats: NatsPlan;
}

/** Inputs of {@link planMesh}. */
export interface PlanOptions {
  /** `--config`: the mesh config file. @default $MLMESH_CONFIG, else ./mlmesh.yaml, else the package's mlmesh.yaml */
  configFile?: string | undefined;
  /** `--only`: start just these services (overrides mesh.services). */
  only?: readonly string[] | undefined;
  /** `--var-dir`: overrides mesh.varDir (relative to the working directory). */
  varDir?: string | undefined;
  /** Values set in code, per section (`mesh`, `inference`…), winning over file and environment. */
  overrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default process.cwd() */
  cwd?: string;
  /** Folders searched for nats-server after PATH. @default ['/usr/sbin', '/usr/local/sbin'] */
  natsFallbackDirs?: readonly string[];
}

/** The name of the mesh config file looked for in the working directory and the package. */
export const CONFIG_FILE_NAME = 'mlmesh.yaml';

/**
 * The mesh config file: `explicit` (`--config`), else `$MLMESH_CONFIG`, else `mlmesh.yaml` in
 * `cwd`, else the package's own `mlmesh.yaml` (the example project). Undefined when none exists.
 * @throws MeshConfigError when an explicitly named file does not exist.
 */
export function findConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const named = explicit ?? (env['MLMESH_CONFIG'] || undefined);
  if (named !== undefined) {
    const path = resolve(cwd, named);
    if (!existsSync(path)) throw new MeshConfigError(explicit !== undefined ? '--config' : 'MLMESH_CONFIG', `${path} does not exist`);
    return path;
  }
  for (const candidate of [join(cwd, CONFIG_FILE_NAME), join(projectRoot(), CONFIG_FILE_NAME)]) if (existsSync(candidate)) return candidate;
  return undefined;
}

/** The file's top level, checked: an object whose keys are `mesh` or a service's name. */
function readSections(path: string): Record<string, unknown> {
  let data: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    data = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e: unknown) {
    throw new MeshConfigError(path, `cannot read or parse: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new MeshConfigError(path, 'the top level must be an object with a section per service');
  const known = ['mesh', ...CATALOGUE.map((s) => s.name)];
  for (const key of Object.keys(data)) {
    if (!known.includes(key)) throw new MeshConfigError(`${path}: ${key}`, `unknown section (known: ${known.join(', ')})`);
  }
  return data as Record<string, unknown>;
}

/** One section resolved with its specs; a missing section means defaults and environment only. */
function resolveSection<S extends OptionSpecs>(specs: S, section: string, file: string | undefined, sections: Record<string, unknown>, env: NodeJS.ProcessEnv, overrides: Readonly<Record<string, unknown>> | undefined): ConfigOf<S> {
  const present = file !== undefined && Object.hasOwn(sections, section);
  // Without the section, the file is not read at all (loadConfig would take the whole file as
  // the section), and MLMESH_CONFIG of the environment must not stand in for it.
  const envNoFile = { ...env };
  delete envNoFile['MLMESH_CONFIG'];
  const o = (overrides ?? {}) as Partial<{ [K in keyof S]: unknown }>;
  return present ? loadConfig(specs, { file, section, env, overrides: o }) : loadConfig(specs, { env: envNoFile, overrides: o });
}

function numberOf(config: Record<string, unknown>, key: string, fallback: number): number {
  const v = config[key];
  return typeof v === 'number' ? v : fallback;
}

/** The mesh config file, its folder, its `mesh:` section and the var folder (what `mlmesh status` needs). */
export function meshSettings(opts: Pick<PlanOptions, 'configFile' | 'varDir' | 'overrides' | 'env' | 'cwd'> = {}): {
  configFile: string | undefined;
  sections: Record<string, unknown>;
  projectDir: string;
  mesh: MeshConfig;
  varDir: string;
} {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const configFile = findConfigFile(opts.configFile, env, cwd);
  const sections = configFile ? readSections(configFile) : {};
  const projectDir = configFile ? dirname(configFile) : cwd;
  const mesh = resolveSection(MESH_OPTIONS, 'mesh', configFile, sections, env, opts.overrides?.['mesh']);
  const varDir = opts.varDir !== undefined ? resolve(cwd, opts.varDir) : resolve(projectDir, mesh.varDir);
  return { configFile, sections, projectDir, mesh, varDir };
}

/**
 * Reads and validates the mesh config and decides what runs.
 * @throws MeshConfigError / ConfigError naming the section and option at fault; MeshUsageError
 *   for an unknown service in `only`.
 */
export async function planMesh(opts: PlanOptions = {}): Promise<MeshPlan> {
  const env = opts.env ?? process.env;
  const { configFile, sections, projectDir, mesh, varDir } = meshSettings(opts);

  const known = [NATS, ...CATALOGUE.map((s) => s.name)];
  const explicit = opts.only ?? (mesh.services.includes('*') ? undefined : mesh.services);
  const where = opts.only ? '--only' : 'mesh.services';
  for (const name of explicit ?? []) {
    if (!known.includes(name)) {
      const msg = `unknown service ${JSON.stringify(name)} (known: ${known.join(', ')})`;
      throw opts.only ? new MeshUsageError(`--only: ${msg}`) : new MeshConfigError('mesh.services', msg);
    }
  }
  if (explicit && explicit.length === 0) throw new MeshUsageError(`${where}: name at least one service`);
  const skipped: Array<{ name: string; reason: string }> = [];
  const selected: ServiceEntry[] = [];
  for (const entry of CATALOGUE) {
    if (explicit && !explicit.includes(entry.name)) {
      skipped.push({ name: entry.name, reason: `not in ${where}` });
      continue;
    }
    if (!serviceExists(entry)) {
      if (explicit) throw new MeshConfigError(where, `service ${entry.name} is not built (no ${entry.script})`);
      skipped.push({ name: entry.name, reason: 'not built yet' });
      continue;
    }
    selected.push(entry);
  }

  const needsNats = selected.some((s) => s.nats !== 'none') || (explicit?.includes(NATS) ?? false);
  let nats: NatsPlan;
  if (!needsNats) nats = { mode: 'unneeded' };
  else if (mesh.natsUrl !== '') nats = { mode: 'external', url: mesh.natsUrl };
  else {
    const found = resolveNatsBinary(mesh.natsServerBin, env, opts.natsFallbackDirs);
    nats = 'bin' in found ? { mode: 'local', bin: found.bin, port: mesh.natsPort } : { mode: 'none', reason: found.missing };
  }
  if (nats.mode === 'none') {
    for (const entry of selected.filter((s) => s.nats === 'required')) {
      if (explicit) throw new MeshConfigError(where, `${entry.name} needs NATS, and there is none: ${nats.reason}. ${NATS_HOWTO}`);
      skipped.push({ name: entry.name, reason: 'needs NATS' });
    }
  }
  const services: PlannedService[] = [];
  for (const entry of selected) {
    if (nats.mode === 'none' && entry.nats === 'required') continue;
    const specs = await loadServiceOptions(entry);
    const config = { ...resolveSection(specs, entry.name, configFile, sections, env, opts.overrides?.[entry.name]) } as Record<string, unknown>;
    for (const [option, sub] of Object.entries(entry.statePaths)) {
      const spec = specs[option];
      if (spec && config[option] === spec.default) config[option] = join(varDir, sub);
    }
    const host = typeof config['host'] === 'string' ? config['host'] : '127.0.0.1';
    const grpcPort = numberOf(config, 'grpcPort', 0);
    const httpPort = numberOf(config, 'httpPort', -1);
    const graceMs = numberOf(config, 'drainDelayMs', 0) + numberOf(config, 'shutdownGraceMs', DEFAULT_SERVICE_GRACE_MS);
    services.push({ entry, specs, config, host, grpcPort, httpPort, graceMs });
  }
  return { configFile, projectDir, varDir, mesh, services, skipped, nats };
}

/** How to get NATS, for the messages that say it is missing. */
export const NATS_HOWTO = 'Install nats-server (`apt-get install nats-server`, or a binary from https://github.com/nats-io/nats-server/releases on PATH or in NATS_SERVER_BIN), or set NATS_URL to an existing NATS server';

/** A path in messages: relative to `base` when inside it. */
export function displayPath(path: string, base: string): string {
  if (!isAbsolute(path)) return path;
  return path.startsWith(base + '/') ? path.slice(base.length + 1) : path;
}

export { ConfigError };
