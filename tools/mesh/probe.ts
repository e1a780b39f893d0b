/**
 * Health probes of a running service: `grpc.health.v1.Health/Check` on its gRPC port (the whole
 * server, service `""`) and `GET /readyz` on its HTTP port. A service is ready when gRPC says
 * SERVING and, if it has an HTTP port, /readyz answers 200 (the monitor's gRPC health is SERVING
 * as soon as it listens; its /readyz waits for the NATS consumers).
 */
import type * as grpc from '@grpc/grpc-js';
import { createClient, loadProtos, unaryCall } from '../../shared/grpc/index.js';

let healthPkg: ReturnType<typeof loadProtos> | undefined;

/** The health status gRPC reports (`SERVING`, `NOT_SERVING`…), or `UNREACHABLE: <why>`. */
export async function grpcHealth(address: string, timeoutMs: number): Promise<string> {
  healthPkg ??= loadProtos([]);
  const client = createClient<grpc.Client>(healthPkg, 'grpc.health.v1.Health', address);
  try {
    const res = await unaryCall<{ service: string }, { status: string }>(client, 'Check', { service: '' }, { deadlineMs: timeoutMs });
    return res.status;
  } catch (e: unknown) {
    const err = e as Partial<grpc.ServiceError>;
    return `UNREACHABLE: ${err.details ?? err.message ?? String(e)}`;
  } finally {
    client.close();
  }
}

/** The HTTP status of `GET url`, or `UNREACHABLE: <why>`. */
export async function httpStatus(url: string, timeoutMs: number): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status;
  } catch (e: unknown) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return `UNREACHABLE: ${cause ?? (e instanceof Error ? e.message : String(e))}`;
  }
}

/** One probe of a service. */
export interface ServiceHealth {
  /** gRPC health status, or `UNREACHABLE: …`. */
  readonly grpc: string;
  /** /readyz status (200, 503…), `UNREACHABLE: …`, or undefined without an HTTP port. */
  readonly http: number | string | undefined;
  /** SERVING and (no HTTP port or /readyz 200). */
  readonly ready: boolean;
}

/** Probes a service's gRPC health and, when `httpBase` is given, its /readyz. */
export async function probeService(grpcAddress: string, httpBase: string | undefined, timeoutMs: number): Promise<ServiceHealth> {
  const [g, h] = await Promise.all([grpcHealth(grpcAddress, timeoutMs), httpBase ? httpStatus(`${httpBase}/readyz`, timeoutMs) : Promise.resolve(undefined)]);
  return { grpc: g, http: h, ready: g === 'SERVING' && (h === undefined || h === 200) };
}
