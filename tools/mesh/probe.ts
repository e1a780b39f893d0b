/**
 * Health probes of a running service: `grpc.health.v1.Health/Check` on its gRPC port (the whole
 * server, service `""`) and `GET /readyz` on its HTTP port. A service is ready when gRPC says
 * SERVING and, if it has an HTTP port, /readyz answers 200 (the monitor's gRPC health is SERVING
 * as soon as it listens; its /readyz waits for the NATS consumers).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { createClient, loadProtos, unaryCall } from '../../shared/grpc/index.js';

let healthPkg: ReturnType<typeof loadProtos> | undefined;

/** The TLS files a probe (or `mlmesh status`) uses against a mesh run with `--tls`: the CA, and the certificate and key it presents. */
export interface ProbeTls {
  /** '' trusts the system's CAs. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Accept a certificate that does not name the host dialled (a container probing itself on 127.0.0.1). @default false */
  readonly anyHostname?: boolean;
}

const anyName = (): undefined => undefined;

function grpcCredentials(tls: ProbeTls): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(tls.caFile ? readFileSync(tls.caFile) : null, readFileSync(tls.keyFile), readFileSync(tls.certFile), tls.anyHostname ? { checkServerIdentity: anyName } : {});
}

/** The health status gRPC reports (`SERVING`, `NOT_SERVING`…), or `UNREACHABLE: <why>`. */
export async function grpcHealth(address: string, timeoutMs: number, tls?: ProbeTls): Promise<string> {
  healthPkg ??= loadProtos([]);
  let client: grpc.Client;
  try {
    client = createClient<grpc.Client>(healthPkg, 'grpc.health.v1.Health', address, tls ? { credentials: grpcCredentials(tls) } : {});
  } catch (e: unknown) {
    return `UNREACHABLE: ${e instanceof Error ? e.message : String(e)}`;
  }
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

/** The status of `GET url` over HTTPS trusting `tls.caFile` (and presenting its certificate), or `UNREACHABLE: <why>`. */
function httpsStatus(url: string, timeoutMs: number, tls: ProbeTls): Promise<number | string> {
  return new Promise((resolve) => {
    try {
      const req = request(url, { ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), timeout: timeoutMs, ...(tls.anyHostname ? { checkServerIdentity: anyName } : {}) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`UNREACHABLE: ${e.code ?? e.message}`));
      req.end();
    } catch (e: unknown) {
      resolve(`UNREACHABLE: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

/** The HTTP status of `GET url`, or `UNREACHABLE: <why>`; an `https:` URL needs `tls`. */
export async function httpStatus(url: string, timeoutMs: number, tls?: ProbeTls): Promise<number | string> {
  if (url.startsWith('https:') && tls) return httpsStatus(url, timeoutMs, tls);
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

/** Probes a service's gRPC health and, when `httpBase` is given, its /readyz (over TLS with `tls`). */
export async function probeService(grpcAddress: string, httpBase: string | undefined, timeoutMs: number, tls?: ProbeTls): Promise<ServiceHealth> {
  const [g, h] = await Promise.all([grpcHealth(grpcAddress, timeoutMs, tls), httpBase ? httpStatus(`${httpBase}/readyz`, timeoutMs, tls) : Promise.resolve(undefined)]);
  return { grpc: g, http: h, ready: g === 'SERVING' && (h === undefined || h === 200) };
}
