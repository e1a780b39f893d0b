import { CERT_ROLE_PATTERN, TOKEN_ENTRY_PATTERN } from '../auth/index.js';
import { boolOption, enumOption, intOption, listOption, MESH_ENV, serviceEnvName, stringOption } from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { DEFAULT_FLOW_WINDOW_BYTES, HTTP2_DEFAULT_WINDOW_BYTES, HTTP2_MAX_WINDOW_BYTES } from '../grpc/flow-window.js';
import { NGHTTP2_RESET_BURST, NGHTTP2_RESET_RATE_PER_S } from '../grpc/reset-guard.js';

/** pino's levels, for `logLevel`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What differs between services in the options the host reads. */
export interface HostOptionDefaults {
  /** Default gRPC port. */
  grpcPort: number;
  /** Default HTTP port. */
  httpPort: number;
  /** What the gRPC port serves, for the docs, e.g. `Open Inference Protocol`. */
  grpcServes: string;
  /** What the HTTP port serves besides /metrics and health, for the docs. @default nothing */
  httpServes?: string;
  /** What counts towards maxMessageBytes, for the docs. @default nothing */
  messageNote?: string;
  /** What in-flight work includes, for the docs. @default 'calls' */
  inflightNote?: string;
}

/** The options every service has, read by the host (see {@link hostOptions}). */
export interface HostOptionSpecs {
  host: OptionSpec<string>;
  grpcPort: OptionSpec<number>;
  httpPort: OptionSpec<number>;
  httpMaxBodyBytes: OptionSpec<number>;
  maxMessageBytes: OptionSpec<number>;
  grpcMaxConnectionAgeMs: OptionSpec<number>;
  grpcResetBurst: OptionSpec<number>;
  grpcFastUnary: OptionSpec<boolean>;
  grpcFlowWindowBytes: OptionSpec<number>;
  drainDelayMs: OptionSpec<number>;
  shutdownGraceMs: OptionSpec<number>;
  logLevel: OptionSpec<LogLevel>;
  tlsCertFile: OptionSpec<string>;
  tlsKeyFile: OptionSpec<string>;
  tlsCaFile: OptionSpec<string>;
  tlsClientCerts: OptionSpec<'require' | 'optional'>;
  tlsReloadMs: OptionSpec<number>;
  authRequired: OptionSpec<boolean>;
  authTokens: OptionSpec<readonly string[]>;
  authCertRoles: OptionSpec<readonly string[]>;
}

/** The resolved host options of a service. */
export interface HostConfig {
  host: string;
  grpcPort: number;
  httpPort: number;
  httpMaxBodyBytes: number;
  maxMessageBytes: number;
  grpcMaxConnectionAgeMs: number;
  grpcResetBurst: number;
  grpcFastUnary: boolean;
  grpcFlowWindowBytes: number;
  drainDelayMs: number;
  shutdownGraceMs: number;
  logLevel: LogLevel;
  tlsCertFile: string;
  tlsKeyFile: string;
  tlsCaFile: string;
  tlsClientCerts: 'require' | 'optional';
  tlsReloadMs: number;
  authRequired: boolean;
  authTokens: readonly string[];
  authCertRoles: readonly string[];
}

/**
 * The options the service host reads, named for `service` (`MLMESH_<SERVICE>_HOST`, …).
 * `logLevel` falls back to the mesh-wide `MLMESH_LOG_LEVEL`, so one variable sets every service
 * and `MLMESH_<SERVICE>_LOG_LEVEL` singles one out. `deprecated` maps an option to former
 * variable names that are still read, with a warning.
 */
export function hostOptions(service: string, d: HostOptionDefaults, deprecated: Partial<Record<keyof HostOptionSpecs, readonly string[]>> = {}): HostOptionSpecs {
  const env = (option: keyof HostOptionSpecs) => ({ env: serviceEnvName(service, option), ...(deprecated[option] ? { deprecatedEnv: deprecated[option] } : {}) });
  return {
    host: stringOption({ ...env('host'), default: '127.0.0.1', allowEmpty: false, doc: 'Address the gRPC and HTTP servers bind (0.0.0.0 in containers).' }),
    grpcPort: intOption({ ...env('grpcPort'), default: d.grpcPort, min: 0, max: 65535, doc: `gRPC port (${d.grpcServes}, health, reflection); 0 picks a free one.` }),
    httpPort: intOption({ ...env('httpPort'), default: d.httpPort, min: -1, max: 65535, doc: `HTTP port for /metrics, health${d.httpServes ? ` and ${d.httpServes}` : ''}; 0 picks a free one, -1 disables it.` }),
    httpMaxBodyBytes: intOption({
      ...env('httpMaxBodyBytes'),
      default: 64 * 1024 * 1024,
      min: 1024,
      doc: 'Largest HTTP request body (a JSON body included) the HTTP port accepts, in bytes; a larger one is answered 413.',
    }),
    maxMessageBytes: intOption({
      ...env('maxMessageBytes'),
      default: 64 * 1024 * 1024,
      min: 1024,
      doc: `Largest gRPC message received or sent, in bytes${d.messageNote ? ` (${d.messageNote})` : ''}; larger requests get RESOURCE_EXHAUSTED.`,
    }),
    grpcMaxConnectionAgeMs: intOption({
      ...env('grpcMaxConnectionAgeMs'),
      default: 0,
      min: 0,
      doc: 'Ends each client connection after about this many ms (HTTP/2 GOAWAY; calls in flight get shutdownGraceMs to finish), so that clients resolve the address again and their round-robin channels take in replicas added since (grpc-js resolves DNS again only when a connection ends); 0: never.',
    }),
    grpcResetBurst: intOption({
      ...env('grpcResetBurst'),
      default: 500,
      min: 0,
      max: NGHTTP2_RESET_BURST,
      doc: `Stream resets (cancelled calls, passed deadlines) one client connection may send at once, refilled at ${NGHTTP2_RESET_RATE_PER_S}/s, before the server closes that connection gracefully (GOAWAY NO_ERROR: its calls in flight finish, new ones reconnect). Below HTTP/2 rapid-reset protection's ${NGHTTP2_RESET_BURST}, which would fail every call on the connection instead (docs/security.md); 0: off.`,
    }),
    grpcFastUnary: boolOption({
      ...env('grpcFastUnary'),
      default: true,
      doc: 'Serve the unary methods the service marks hot (inference: ModelInfer; the other services: none) on node:http2 directly instead of through grpc-js\'s call stack: the same handlers, authorization, metrics and wire behaviour, less event-loop time per call (shared/grpc/fast-unary.ts, docs/inference.md); false: every call through grpc-js.',
    }),
    grpcFlowWindowBytes: intOption({
      ...env('grpcFlowWindowBytes'),
      default: DEFAULT_FLOW_WINDOW_BYTES,
      min: HTTP2_DEFAULT_WINDOW_BYTES,
      max: HTTP2_MAX_WINDOW_BYTES,
      doc: `HTTP/2 flow-control window the gRPC server advertises per stream and opens per connection, in bytes: how much a client may send before it waits for the server's WINDOW_UPDATE. The default, ${HTTP2_DEFAULT_WINDOW_BYTES}, is HTTP/2's: a request over 64 KiB then waits a round trip for its last bytes; 1048576 gave 1.33x the rows/s of 256-row requests, but made a grpc-js client's burst of thousands of expiring calls fail healthy calls on the same channel (shared/grpc/flow-window.ts, docs/inference.md).`,
    }),
    drainDelayMs: intOption({ ...env('drainDelayMs'), default: 0, min: 0, doc: 'On SIGTERM, ms to keep serving with health NOT_SERVING before refusing new calls.' }),
    shutdownGraceMs: intOption({ ...env('shutdownGraceMs'), default: 10_000, min: 0, doc: `On SIGTERM, ms in-flight ${d.inflightNote ?? 'calls'} may take before they are cancelled.` }),
    logLevel: enumOption({ ...env('logLevel'), fallbackEnv: MESH_ENV.logLevel, default: 'info', values: LOG_LEVELS, doc: 'pino log level.' }),
    tlsCertFile: stringOption({ ...env('tlsCertFile'), fallbackEnv: MESH_ENV.tlsCertFile, default: '', doc: 'PEM certificate chain of the gRPC server (and of its own calls to other services under mutual TLS); empty: plaintext. Re-read when it changes.' }),
    tlsKeyFile: stringOption({ ...env('tlsKeyFile'), fallbackEnv: MESH_ENV.tlsKeyFile, default: '', doc: 'PEM private key of tlsCertFile.' }),
    tlsCaFile: stringOption({
      ...env('tlsCaFile'),
      fallbackEnv: MESH_ENV.tlsCaFile,
      default: '',
      doc: 'PEM CA bundle: set with tlsCertFile it turns on mutual TLS (clients must present a certificate it signed), and the calls this service makes to others verify them against it and present tlsCertFile.',
    }),
    tlsClientCerts: enumOption({
      ...env('tlsClientCerts'),
      fallbackEnv: MESH_ENV.tlsClientCerts,
      default: 'require',
      values: ['require', 'optional'] as const,
      doc: 'With tlsCaFile: `require` refuses a client without a certificate the CA signed at the handshake (mutual TLS); `optional` lets it in, to identify with a bearer token (authRequired).',
    }),
    tlsReloadMs: intOption({ ...env('tlsReloadMs'), fallbackEnv: MESH_ENV.tlsReloadMs, default: 1000, min: 0, doc: 'How often the TLS files are checked for a change, in ms (new connections use the new files, open ones keep theirs); 0 never.' }),
    authRequired: boolOption({
      ...env('authRequired'),
      fallbackEnv: MESH_ENV.authRequired,
      default: false,
      doc: 'Refuse calls without an identity (UNAUTHENTICATED) or whose role is short of the RPC\'s (PERMISSION_DENIED); see docs/security.md. Admin calls are audited either way.',
    }),
    authTokens: listOption({
      ...env('authTokens'),
      fallbackEnv: MESH_ENV.authTokens,
      default: [],
      pattern: TOKEN_ENTRY_PATTERN,
      doc: 'Bearer tokens, as `<name>:<role>:<sha256 hex of the token>` (role read, data or admin; `mlmesh auth hash-token` prints the hash); never the tokens themselves.',
    }),
    authCertRoles: listOption({
      ...env('authCertRoles'),
      fallbackEnv: MESH_ENV.authCertRoles,
      default: [],
      pattern: CERT_ROLE_PATTERN,
      doc: 'Roles of client certificates (mutual TLS), as `<certificate CN>:<role>`; `*:<role>` for any certificate the CA signed.',
    }),
  };
}
