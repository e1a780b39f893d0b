import * as grpc from '@grpc/grpc-js';
import { duplexStream, serverStream, unary } from './call.js';
import type { DuplexCall } from './call.js';
import { CancelledError, DeadlineExceededError, UnavailableError } from './errors.js';
import { serviceConfig } from './methods.js';
import type { ServiceSpec } from './methods.js';
import { checkTimeout, resolveClientOptions } from './options.js';
import type { CallOptions, ClientOptions, ResolvedClientOptions } from './options.js';
import { clientConstructor } from './protos.js';
import { channelCredentials } from '../tls/index.js';
import type { FileCertificates } from '../tls/index.js';

/**
 * The common part of the typed clients: one grpc-js channel to one address, the per-call
 * deadline defaults, and the retry policy of the service config. Close it when done
 * (`close()`, or `using` it).
 */
export abstract class ServiceClient {
  /** The address it talks to, e.g. `127.0.0.1:8001` or `dns:///inference:8001`. */
  readonly address: string;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedClientOptions;
  /**
   * The underlying grpc-js client (channel), for what this wrapper does not cover. Calls made
   * on it get the channel's retry policy but not the default deadline.
   */
  readonly channel: grpc.Client;
  private readonly spec: ServiceSpec;
  private readonly certificates: FileCertificates | undefined;
  private readonly authorization: string | undefined;

  protected constructor(spec: ServiceSpec, address: string, options: ClientOptions = {}) {
    if (typeof address !== 'string' || address === '') throw new TypeError('mlmesh client: address must be a non-empty string such as 127.0.0.1:8001');
    this.spec = spec;
    this.address = address;
    this.options = resolveClientOptions(options);
    const Ctor = clientConstructor(spec);
    const config = serviceConfig(spec, this.options.retry, this.options.loadBalancing);
    const keepalive = this.options.keepaliveMs > 0 ? { 'grpc.keepalive_time_ms': this.options.keepaliveMs, 'grpc.keepalive_timeout_ms': this.options.keepaliveTimeoutMs, 'grpc.keepalive_permit_without_calls': 1 } : {};
    let credentials = this.options.credentials;
    if (!credentials && this.options.tls) {
      const { caFile, certFile, keyFile, reloadIntervalMs } = this.options.tls;
      const made = channelCredentials({ caFile, ...(certFile && keyFile ? { certFile, keyFile } : {}), ...(reloadIntervalMs !== undefined ? { reloadIntervalMs } : {}) });
      credentials = made.credentials;
      this.certificates = made.certificates;
    }
    this.authorization = this.options.token !== undefined ? `Bearer ${this.options.token}` : undefined;
    this.channel = new Ctor(address, credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': this.options.maxReceiveMessageBytes,
      'grpc.max_send_message_length': this.options.maxSendMessageBytes,
      ...keepalive,
      ...(config ? { 'grpc.service_config': config, 'grpc.enable_retries': this.options.retry ? 1 : 0 } : { 'grpc.enable_retries': 0 }),
      ...this.options.channelOptions,
    });
  }

  /** Calls a unary RPC of the service (`method` as in the .proto, e.g. `ModelInfer`). */
  protected unary<Res>(method: string, request: object, opts: CallOptions = {}, requestId?: string): Promise<Res> {
    const policy = this.spec.methods[method];
    if (!policy || policy.stream) return Promise.reject(new TypeError(`mlmesh client: ${this.spec.name} has no unary method ${method}`));
    return unary<Res>(this.channel, method, request, opts, {
      path: `/${this.spec.name}/${method}`,
      timeoutMs: policy.long ? this.options.longTimeoutMs : this.options.timeoutMs,
      requestId,
      authorization: this.authorization,
    });
  }

  /** Calls a server-streaming RPC; no default deadline (`timeoutMs` sets one). */
  protected stream<Res>(method: string, request: object, opts: CallOptions = {}): AsyncIterable<Res> {
    const policy = this.spec.methods[method];
    if (!policy?.stream) throw new TypeError(`mlmesh client: ${this.spec.name} has no streaming method ${method}`);
    return serverStream<Res>(this.channel, method, request, opts, { path: `/${this.spec.name}/${method}`, timeoutMs: Infinity, authorization: this.authorization });
  }

  /** Opens a bidirectional RPC; no default deadline (`timeoutMs` sets one); never retried. */
  protected duplex<Req, Res>(method: string, opts: CallOptions = {}): DuplexCall<Req, Res> {
    const policy = this.spec.methods[method];
    if (!policy?.stream || !policy.bidi) throw new TypeError(`mlmesh client: ${this.spec.name} has no bidirectional method ${method}`);
    return duplexStream<Req, Res>(this.channel, method, opts, { path: `/${this.spec.name}/${method}`, timeoutMs: Infinity, authorization: this.authorization });
  }

  /**
   * Resolves once the channel is connected (it connects lazily, on the first call, otherwise).
   * @throws DeadlineExceededError when it is not connected within `timeoutMs` (default the client's
   *   `timeoutMs`), CancelledError when the signal aborts, UnavailableError when the channel is closed.
   */
  waitForReady(opts: Pick<CallOptions, 'signal' | 'timeoutMs'> = {}): Promise<void> {
    const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? this.options.timeoutMs, false);
    const path = `${this.spec.name} at ${this.address}`;
    return new Promise<void>((resolve, reject) => {
      const { signal } = opts;
      if (signal?.aborted) {
        reject(new CancelledError('cancelled by the caller’s signal', { method: path, cause: signal.reason }));
        return;
      }
      let settled = false;
      const onAbort = (): void => {
        settled = true;
        reject(new CancelledError('cancelled by the caller’s signal', { method: path, cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.channel.waitForReady(Date.now() + timeoutMs, (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        if (!err) resolve();
        else if (this.channel.getChannel().getConnectivityState(false) === grpc.connectivityState.SHUTDOWN) reject(new UnavailableError('the client is closed', { method: path, cause: err }));
        else reject(new DeadlineExceededError(`not connected within ${timeoutMs} ms: ${err.message}`, { method: path, cause: err }));
      });
    });
  }

  /** Closes the channel; calls in flight fail with CANCELLED or UNAVAILABLE. Idempotent. */
  close(): void {
    this.channel.close();
    this.certificates?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
