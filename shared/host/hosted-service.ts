import type { Registry } from 'prom-client';
import type { Logger } from '../logging/index.js';
import type { HostConfig } from './options.js';
import type { ServiceHost, ServiceHostState } from './service-host.js';

/**
 * The public face every service class shares, delegated to its {@link ServiceHost}: options,
 * logger, registry, ports, address, state, `drain()`, `close()` and `[Symbol.asyncDispose]`.
 * A service class extends it and adds only its domain (`InferenceService.manager`, …).
 */
export abstract class HostedService<C extends HostConfig> {
  protected constructor(
    /** The host running this service. */
    protected readonly host: ServiceHost<C>,
  ) {}

  /** The resolved options. */
  get config(): C {
    return this.host.config;
  }

  get logger(): Logger {
    return this.host.logger;
  }

  get registry(): Registry {
    return this.host.registry;
  }

  /** Current state. */
  get state(): ServiceHostState {
    return this.host.state;
  }

  /** The bound gRPC port. */
  get grpcPort(): number {
    return this.host.grpcPort;
  }

  /** The bound HTTP (metrics, health) port, or -1 when disabled. */
  get httpPort(): number {
    return this.host.httpPort;
  }

  /** `host:port` of the gRPC server, for clients. */
  get address(): string {
    return this.host.address;
  }

  /** Serving and ready (what `/readyz` answers). */
  get ready(): boolean {
    return this.host.ready;
  }

  /** Graceful stop (see {@link ServiceHost.drain} for the order). Idempotent. */
  drain(): Promise<void> {
    return this.host.drain();
  }

  /** Hard stop: in-flight calls cancelled, resources closed at once. */
  close(): Promise<void> {
    return this.host.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
