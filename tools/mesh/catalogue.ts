/**
 * The services the mesh knows, in start order (the order of their dependencies), with what the
 * supervisor must know about each: its entry point, the export holding its option specs, whether
 * it needs NATS, and which of its options hold state that belongs under the mesh's var folder.
 * A service is started only when its entry point exists (a partial build skips the rest).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OptionSpecs } from '../../shared/config/index.js';
import { projectRoot } from '../../shared/config/index.js';

/** How a service depends on NATS. */
export type NatsNeed = 'none' | 'optional' | 'required';

/** One service of the mesh. */
export interface ServiceEntry {
  /** Its name: the config file's section, the log tag, `--only`'s word. */
  readonly name: string;
  /** What it is, for the status table and the help. */
  readonly role: string;
  /** Entry point relative to the package root. */
  readonly script: string;
  /** The module exporting its option specs, relative to the package root. */
  readonly module: string;
  /** The export of {@link module} holding the option specs. */
  readonly optionsExport: string;
  /**
   * `required`: not started without NATS; `optional`: runs without it (a feature turns off, and
   * its `natsUrl` option is set empty); `none`: never connects.
   */
  readonly nats: NatsNeed;
  /** The option that holds the NATS URL, when the service has one. */
  readonly natsOption?: string;
  /**
   * Options holding state files, with their place under the var folder: used when the config
   * leaves the option at its default, so `varDir` moves every service's state at once.
   */
  readonly statePaths: Readonly<Record<string, string>>;
  /** Services of the mesh this one calls (compose's `depends_on`; start order follows the list). */
  readonly dependsOn: readonly string[];
  /**
   * Options holding the gRPC address of another service of the mesh: left at their default, the
   * supervisor sets them to where that service runs (its port may be one it picked).
   */
  readonly addressOptions?: Readonly<Record<string, string>>;
  /** Options holding the Prometheus URL (`http://host:port/metrics`) of another service, set likewise. */
  readonly metricsOptions?: Readonly<Record<string, string>>;
}

/** Every service the mesh can run, in start order (a service starts after those it depends on). */
export const CATALOGUE: readonly ServiceEntry[] = [
  {
    name: 'features',
    role: 'feature store',
    script: 'dist/services/features/main.js',
    module: 'dist/services/features/index.js',
    optionsExport: 'FEATURES_OPTIONS',
    nats: 'none',
    statePaths: { sqlitePath: 'features/features.db' },
    dependsOn: [],
  },
  {
    name: 'preprocess',
    role: 'fitted pipelines',
    script: 'dist/services/preprocess/main.js',
    module: 'dist/services/preprocess/index.js',
    optionsExport: 'PREPROCESS_OPTIONS',
    nats: 'none',
    statePaths: { artifactDir: 'preprocess/pipelines' },
    dependsOn: [],
  },
  {
    name: 'inference',
    role: 'Open Inference Protocol',
    script: 'dist/services/inference/main.js',
    module: 'dist/services/inference/index.js',
    optionsExport: 'INFERENCE_OPTIONS',
    nats: 'optional',
    natsOption: 'natsUrl',
    statePaths: { spoolDir: 'spool/inference' },
    dependsOn: [],
  },
  {
    name: 'monitor',
    role: 'drift monitor',
    script: 'dist/services/monitor/main.js',
    module: 'dist/services/monitor/index.js',
    optionsExport: 'MONITOR_OPTIONS',
    nats: 'required',
    natsOption: 'natsUrl',
    statePaths: { stateDir: 'monitor' },
    dependsOn: [],
  },
  {
    name: 'gateway',
    role: 'deployments (features → preprocess → inference)',
    script: 'dist/services/gateway/main.js',
    module: 'dist/services/gateway/index.js',
    optionsExport: 'GATEWAY_OPTIONS',
    nats: 'none',
    statePaths: {},
    dependsOn: ['features', 'preprocess', 'inference'],
    addressOptions: { featuresAddress: 'features', preprocessAddress: 'preprocess', inferenceAddress: 'inference' },
  },
  {
    name: 'rollout',
    role: 'canary rollouts',
    script: 'dist/services/rollout/main.js',
    module: 'dist/services/rollout/index.js',
    optionsExport: 'ROLLOUT_OPTIONS',
    nats: 'required',
    natsOption: 'natsUrl',
    statePaths: {},
    dependsOn: ['inference'],
    addressOptions: { inferenceAddresses: 'inference' },
    metricsOptions: { inferenceMetricsUrls: 'inference' },
  },
  {
    name: 'retrainer',
    role: 'retraining (drift → new version)',
    script: 'dist/services/retrainer/main.js',
    module: 'dist/services/retrainer/index.js',
    optionsExport: 'RETRAINER_OPTIONS',
    nats: 'required',
    natsOption: 'natsUrl',
    statePaths: { workDir: 'retrainer' },
    dependsOn: ['inference', 'monitor', 'rollout'],
    addressOptions: { inferenceAddresses: 'inference', rolloutAddress: 'rollout', featuresAddress: 'features', preprocessAddress: 'preprocess' },
  },
];

/** The name of the local nats-server in logs, the status table and `--only`. */
export const NATS = 'nats';

/** The catalogue entry of a service. @throws Error for an unknown name. */
export function serviceEntry(name: string): ServiceEntry {
  const e = CATALOGUE.find((s) => s.name === name);
  if (!e) throw new Error(`unknown service ${name}`);
  return e;
}

/** Whether the service's entry point has been built (it exists in this checkout or package). */
export function serviceExists(e: ServiceEntry, root = projectRoot()): boolean {
  return existsSync(join(root, e.script));
}

/** Loads a service's option specs from its module. @throws Error when the module lacks the export. */
export async function loadServiceOptions(e: ServiceEntry, root = projectRoot()): Promise<OptionSpecs> {
  const mod = (await import(pathToFileURL(join(root, e.module)).href)) as Record<string, unknown>;
  const specs = mod[e.optionsExport];
  if (!specs || typeof specs !== 'object') throw new Error(`${e.module} does not export ${e.optionsExport}`);
  return specs as OptionSpecs;
}

/** The service a command line runs (`node … dist/services/<service>/main.js`), if it is one of the mesh's. */
export function serviceOfCommand(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    const m = /(?:^|\/)dist\/services\/([a-z]+)\/main\.js$/.exec(arg);
    if (m && CATALOGUE.some((s) => s.name === m[1])) return m[1];
  }
  return undefined;
}
