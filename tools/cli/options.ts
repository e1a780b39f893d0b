/**
 * The options every command group shares, defined once so that one concept has one flag
 * everywhere: `--address` (a service, with the service's default address and its
 * `MLMESH_<SERVICE>_ADDRESS` variable), `--nats` (NATS_URL), `--timeout-ms`, `--json`, `--model`,
 * `--version` (a model version), `--repo` (the model repository, MLMESH_INFERENCE_MODEL_REPOSITORY).
 */
import { InvalidArgumentError, Option } from 'commander';

/** The mesh's services a command can talk to, with their default gRPC address. */
export const SERVICE_ADDRESSES = {
  inference: { port: 8001, env: 'MLMESH_INFERENCE_ADDRESS' },
  preprocess: { port: 8011, env: 'MLMESH_PREPROCESS_ADDRESS' },
  features: { port: 8021, env: 'MLMESH_FEATURES_ADDRESS' },
  monitor: { port: 8031, env: 'MLMESH_MONITOR_ADDRESS' },
  gateway: { port: 8041, env: 'MLMESH_GATEWAY_ADDRESS' },
  rollout: { port: 8051, env: 'MLMESH_ROLLOUT_ADDRESS' },
  retrainer: { port: 8061, env: 'MLMESH_RETRAINER_ADDRESS' },
} as const;

/** A service of {@link SERVICE_ADDRESSES}. */
export type ServiceName = keyof typeof SERVICE_ADDRESSES;

/** NATS when neither `--nats` nor NATS_URL is given (the services' default too). */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** The model repository when neither `--repo` nor MLMESH_INFERENCE_MODEL_REPOSITORY is given (the inference service's default). */
export const DEFAULT_MODEL_REPOSITORY = 'examples/models';

/** Parses a positive integer option value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Parses a whole number >= 0. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number >= 0');
  return n;
}

/** Parses a finite number. */
export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a finite number');
  return n;
}

/** Refuses an empty or blank value. */
export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value;
}

/** A comma-separated list of positive integers (`1,2,4`). */
export function positiveIntList(value: string): number[] {
  return value.split(',').map((s) => positiveInt(s));
}

/** `--address host:port` of a service: its default address and MLMESH_<SERVICE>_ADDRESS. */
export function addressOption(service: ServiceName): Option {
  const { port, env } = SERVICE_ADDRESSES[service];
  return new Option('--address <host:port>', `the ${service} service's gRPC address`).env(env).default(`127.0.0.1:${port}`).argParser(nonEmpty);
}

/** The old name of `--address` in `features` and `loadtest`: still accepted, hidden from help. */
export function targetAlias(): Option {
  return new Option('--target <host:port>', 'old name of --address').hideHelp().argParser(nonEmpty);
}

/** `--nats <url>`, NATS_URL, else nats://127.0.0.1:4222. */
export function natsOption(): Option {
  return new Option('--nats <url>', 'NATS server').env('NATS_URL').default(DEFAULT_NATS_URL).argParser(nonEmpty);
}

/** `--timeout-ms <ms>`: the deadline of each call, with the command's own default. */
export function timeoutOption(defaultMs: number, what = 'deadline of each call, in ms'): Option {
  return new Option('--timeout-ms <ms>', what).default(defaultMs).argParser(positiveInt);
}

/** `--json`: data as JSON (one object per line) instead of text for people. */
export function jsonOption(): Option {
  return new Option('--json', 'print data as JSON, one object per line');
}

/**
 * Options a command cannot run without. Checked when the action starts (not by commander's
 * makeOptionMandatory, which would report a missing option before an unknown one).
 */
export const REQUIRED = new WeakSet<Option>();

/** Marks an option required (see {@link REQUIRED}). */
export function required(o: Option): Option {
  REQUIRED.add(o);
  o.description = `${o.description} (required)`;
  return o;
}

/** `--model <name>`. */
export function modelOption(what = 'model name', isRequired = true): Option {
  const o = new Option('--model <name>', what).argParser(nonEmpty);
  return isRequired ? required(o) : o;
}

/** `--version <v>`: a model version. */
export function versionOption(what = 'model version'): Option {
  return new Option('--version <v>', what).argParser(nonEmpty);
}

/** `--repo <dir>`: the model repository. */
export function repoOption(): Option {
  return new Option('--repo <dir>', 'model repository folder').env('MLMESH_INFERENCE_MODEL_REPOSITORY').default(DEFAULT_MODEL_REPOSITORY).argParser(nonEmpty);
}

/** The address a command uses: `--address`, else the hidden old `--target`. */
export function addressOf(opts: { address: string; target?: string }, source: string | undefined): string {
  // --target counts only when --address was not given on the command line.
  return opts.target !== undefined && source !== 'cli' ? opts.target : opts.address;
}
