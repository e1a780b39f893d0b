/**
 * The CLI's connection settings, the same for every command that calls a service: TLS files
 * (`--tls-ca`, `--tls-cert`, `--tls-key`) and a bearer token (`--token`), given before the
 * command (`mlmesh --tls-ca ca.crt predict …`) or by environment (MLMESH_CLIENT_TLS_CA,
 * MLMESH_CLIENT_TLS_CERT, MLMESH_CLIENT_TLS_KEY, MLMESH_CLIENT_TOKEN). `mlmesh up --secure`
 * writes a file of these variables for its admin identity.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import * as grpc from '@grpc/grpc-js';
import type { ClientOptions } from '../../shared/client/index.js';
import type { ClientOptions as GrpcClientOptions } from '../../shared/grpc/index.js';
import { channelCredentials } from '../../shared/tls/index.js';
import { UsageError } from './errors.js';

/** The environment variables of the connection options. */
export const CONNECTION_ENV = {
  tlsCa: 'MLMESH_CLIENT_TLS_CA',
  tlsCert: 'MLMESH_CLIENT_TLS_CERT',
  tlsKey: 'MLMESH_CLIENT_TLS_KEY',
  token: 'MLMESH_CLIENT_TOKEN',
} as const;

/** The parsed connection options. */
export interface ConnectionFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  token?: string;
}

let current: ConnectionFlags = {};
let grpcCredentials: grpc.ChannelCredentials | undefined;

/** Declares the connection options on the program. */
export function addConnectionOptions(program: Command): void {
  program
    .addOption(new Option('--tls-ca <file>', 'CA (PEM) the services\' certificates must chain to: calls go over TLS').env(CONNECTION_ENV.tlsCa))
    .addOption(new Option('--tls-cert <file>', 'client certificate (PEM) for mutual TLS').env(CONNECTION_ENV.tlsCert))
    .addOption(new Option('--tls-key <file>', 'its private key (PEM)').env(CONNECTION_ENV.tlsKey))
    .addOption(new Option('--token <token>', 'bearer token sent with every call (prefer the variable: a flag shows in ps)').env(CONNECTION_ENV.token));
}

/**
 * Takes the connection options for the commands that run next.
 * Empty values count as unset.
 * @throws UsageError when a certificate comes without its key (or the reverse), or without a CA.
 */
export function setConnection(given: ConnectionFlags): void {
  // An empty variable (MLMESH_CLIENT_TOKEN=) counts as unset.
  const flags = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== '' && v !== undefined)) as ConnectionFlags;
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  if (flags.tlsCert && !flags.tlsCa) throw new UsageError('--tls-cert needs --tls-ca (the CA that signed the services\' certificates)');
  if (flags.token !== undefined && !/^\S+$/.test(flags.token)) throw new UsageError('--token must not be empty or hold spaces');
  current = { ...flags };
  grpcCredentials = undefined;
}

/** The connection part of a `mlmesh/client` client's options. */
export function connection(): Pick<ClientOptions, 'tls' | 'token'> {
  return {
    ...(current.tlsCa ? { tls: { caFile: current.tlsCa, ...(current.tlsCert && current.tlsKey ? { certFile: current.tlsCert, keyFile: current.tlsKey } : {}), reloadIntervalMs: 0 } } : {}),
    ...(current.token !== undefined ? { token: current.token } : {}),
  };
}

/** The same for the services' own clients (shared/grpc `createClient`). */
export function grpcConnection(): Pick<GrpcClientOptions, 'credentials' | 'token'> {
  if (current.tlsCa && !grpcCredentials) {
    grpcCredentials = channelCredentials({ caFile: current.tlsCa, ...(current.tlsCert && current.tlsKey ? { certFile: current.tlsCert, keyFile: current.tlsKey } : {}), reloadIntervalMs: 0 }).credentials;
  }
  return { ...(grpcCredentials ? { credentials: grpcCredentials } : {}), ...(current.token !== undefined ? { token: current.token } : {}) };
}
