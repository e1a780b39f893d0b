import type * as grpc from '@grpc/grpc-js';

/** Retries of UNAVAILABLE on idempotent calls (gRPC's service-config retry policy). */
export interface RetryOptions {
  /** Attempts in all, the first included (grpc-js caps it at 5); 1 turns retries off. @default 3 */
  maxAttempts?: number;
  /** Backoff before the first retry, in ms (each retry waits a random time up to the backoff). @default 100 */
  initialBackoffMs?: number;
  /** Largest backoff, in ms. @default 2000 */
  maxBackoffMs?: number;
  /** Backoff growth per retry. @default 2 */
  backoffMultiplier?: number;
}

/** Options of a client (one channel to one service address). */
export interface ClientOptions {
  /** Deadline of a unary call that gives no `timeoutMs`, in ms. @default 10000 */
  timeoutMs?: number;
  /**
   * Deadline of the long-running unary calls (Fit, Materialize, RepositoryModelLoad,
   * RepositoryModelUnload, ReplaceReference, TwoSampleTest) that give no `timeoutMs`, in ms.
   * @default 300000
   */
  longTimeoutMs?: number;
  /**
   * Retry policy for UNAVAILABLE on the idempotent calls; `false` turns retries off. The deadline
   * covers every attempt. @default { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 2000, backoffMultiplier: 2 }
   */
  retry?: RetryOptions | false;
  /** Largest message received, in bytes. @default 67108864 (64 MiB, as the services) */
  maxReceiveMessageBytes?: number;
  /** Largest message sent, in bytes. @default 67108864 (64 MiB) */
  maxSendMessageBytes?: number;
  /**
   * Channel credentials; win over `tls`. @default from `tls`, else grpc.credentials.createInsecure()
   * (plaintext: the mesh's default on loopback)
   */
  credentials?: grpc.ChannelCredentials;
  /**
   * TLS from PEM files, re-read when they change (new connections use the new files): the CA
   * the server's certificate must chain to, and for mutual TLS this client's certificate and
   * key. The server's certificate must name the host dialled (`127.0.0.1`, `localhost`…).
   * @default plaintext
   */
  tls?: ClientTlsFiles;
  /**
   * A bearer token sent as `authorization: Bearer <token>` on every call (services with
   * authRequired check its SHA-256 against their authTokens). Send it over TLS only, except on
   * loopback. @default none
   */
  token?: string;
  /**
   * How calls spread over the addresses the target resolves to (`dns:///inference:8001` can
   * resolve to every replica): `round_robin` sends each call to the next ready address,
   * `pick_first` uses one address until it fails. @default 'pick_first' (grpc-js's default)
   */
  loadBalancing?: 'pick_first' | 'round_robin';
  /**
   * Send an HTTP/2 ping after this many ms without traffic, and drop the connection when it is not
   * answered within `keepaliveTimeoutMs`, so a dead peer is noticed before the next call waits on
   * it; 0 turns keepalive off. @default 0
   */
  keepaliveMs?: number;
  /** How long a keepalive ping may wait for its answer, in ms. @default 10000 */
  keepaliveTimeoutMs?: number;
  /** More grpc-js channel options (keepalive, load balancing…); they win over the ones above. @default {} */
  channelOptions?: grpc.ChannelOptions;
}

/** The PEM files of a client's TLS (see {@link ClientOptions.tls}). */
export interface ClientTlsFiles {
  /** CA bundle the server's certificate must chain to. */
  caFile: string;
  /** This client's certificate chain, for mutual TLS. @default none */
  certFile?: string;
  /** Its private key. @default none */
  keyFile?: string;
  /** How often the files are checked for a change, in ms; 0 never. @default 1000 */
  reloadIntervalMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  /** Cancels the call when it aborts: the server sees CANCELLED, the call rejects with CancelledError. */
  signal?: AbortSignal;
  /**
   * Deadline from now, in ms; `Infinity` for none. @default the client's `timeoutMs` (10 s) for
   * unary calls, `longTimeoutMs` (5 min) for long-running ones, none for server streams
   */
  timeoutMs?: number;
  /** Request id sent as `x-request-id` (servers log it and return it). @default ModelInfer's `id`, else a random UUID */
  requestId?: string;
  /** More metadata to send. @default none */
  metadata?: grpc.Metadata | Record<string, string>;
}

/** {@link RetryOptions} with every field set. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** {@link ClientOptions} with every field set (retry `undefined` = off). */
export interface ResolvedClientOptions {
  timeoutMs: number;
  longTimeoutMs: number;
  retry: ResolvedRetryOptions | undefined;
  maxReceiveMessageBytes: number;
  maxSendMessageBytes: number;
  credentials: grpc.ChannelCredentials | undefined;
  tls: ClientTlsFiles | undefined;
  token: string | undefined;
  loadBalancing: 'pick_first' | 'round_robin';
  keepaliveMs: number;
  keepaliveTimeoutMs: number;
  channelOptions: grpc.ChannelOptions;
}

const MiB = 1024 * 1024;

/** Defaults of {@link ClientOptions}. */
export const DEFAULT_CLIENT_OPTIONS = {
  timeoutMs: 10_000,
  longTimeoutMs: 300_000,
  maxReceiveMessageBytes: 64 * MiB,
  maxSendMessageBytes: 64 * MiB,
  loadBalancing: 'pick_first',
  keepaliveMs: 0,
  keepaliveTimeoutMs: 10_000,
} as const;

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY_OPTIONS: ResolvedRetryOptions = {
  maxAttempts: 3,
  initialBackoffMs: 100,
  maxBackoffMs: 2000,
  backoffMultiplier: 2,
};

/**
 * Checks a duration option: a positive number of ms, or Infinity where `infinite` allows it.
 * @throws TypeError naming the option.
 */
export function checkTimeout(name: string, value: number, infinite = true): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0 || (!infinite && !Number.isFinite(value))) {
    throw new TypeError(`mlmesh client: ${name} must be a positive number of ms${infinite ? ' or Infinity' : ''}, got ${String(value)}`);
  }
  return value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`mlmesh client: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`mlmesh client: ${name} must be an integer ≥ 0, got ${String(value)}`);
  return value;
}

function checkLoadBalancing(value: string): 'pick_first' | 'round_robin' {
  if (value !== 'pick_first' && value !== 'round_robin') throw new TypeError(`mlmesh client: loadBalancing must be 'pick_first' or 'round_robin', got ${JSON.stringify(value)}`);
  return value;
}

function checkTls(tls: ClientTlsFiles | undefined): ClientTlsFiles | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls.caFile !== 'string' || tls.caFile === '') throw new TypeError('mlmesh client: tls.caFile must name the CA file that signed the server certificate');
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw new TypeError('mlmesh client: tls.certFile and tls.keyFile go together');
  return tls;
}

function checkToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || !/^\S+$/.test(token)) throw new TypeError('mlmesh client: token must be a non-empty string without spaces');
  return token;
}

/**
 * Fills in the defaults and validates.
 * @throws TypeError naming the option that is out of range.
 */
export function resolveClientOptions(opts: ClientOptions = {}): ResolvedClientOptions {
  let retry: ResolvedRetryOptions | undefined;
  if (opts.retry !== false) {
    const r = { ...DEFAULT_RETRY_OPTIONS, ...opts.retry };
    if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 1 || r.maxAttempts > 5) {
      throw new TypeError(`mlmesh client: retry.maxAttempts must be an integer from 1 to 5, got ${String(r.maxAttempts)}`);
    }
    checkTimeout('retry.initialBackoffMs', r.initialBackoffMs, false);
    checkTimeout('retry.maxBackoffMs', r.maxBackoffMs, false);
    if (r.maxBackoffMs < r.initialBackoffMs) throw new TypeError(`mlmesh client: retry.maxBackoffMs (${r.maxBackoffMs}) is below retry.initialBackoffMs (${r.initialBackoffMs})`);
    if (typeof r.backoffMultiplier !== 'number' || !(r.backoffMultiplier >= 1)) {
      throw new TypeError(`mlmesh client: retry.backoffMultiplier must be a number >= 1, got ${String(r.backoffMultiplier)}`);
    }
    retry = r.maxAttempts > 1 ? r : undefined;
  }
  return {
    timeoutMs: checkTimeout('timeoutMs', opts.timeoutMs ?? DEFAULT_CLIENT_OPTIONS.timeoutMs),
    longTimeoutMs: checkTimeout('longTimeoutMs', opts.longTimeoutMs ?? DEFAULT_CLIENT_OPTIONS.longTimeoutMs),
    retry,
    maxReceiveMessageBytes: positiveInt('maxReceiveMessageBytes', opts.maxReceiveMessageBytes ?? DEFAULT_CLIENT_OPTIONS.maxReceiveMessageBytes),
    maxSendMessageBytes: positiveInt('maxSendMessageBytes', opts.maxSendMessageBytes ?? DEFAULT_CLIENT_OPTIONS.maxSendMessageBytes),
    credentials: opts.credentials,
    tls: checkTls(opts.tls),
    token: checkToken(opts.token),
    loadBalancing: checkLoadBalancing(opts.loadBalancing ?? DEFAULT_CLIENT_OPTIONS.loadBalancing),
    keepaliveMs: nonNegativeInt('keepaliveMs', opts.keepaliveMs ?? DEFAULT_CLIENT_OPTIONS.keepaliveMs),
    keepaliveTimeoutMs: positiveInt('keepaliveTimeoutMs', opts.keepaliveTimeoutMs ?? DEFAULT_CLIENT_OPTIONS.keepaliveTimeoutMs),
    channelOptions: opts.channelOptions ?? {},
  };
}
