import type { ClientOptions } from '../../shared/grpc/index.js';
import { channelCredentials } from '../../shared/tls/index.js';

/** TLS files and a bearer token for a load test's calls: plain data, sent to the load processes as is. */
export interface LoadConnection {
  tls?: { caFile: string; certFile?: string; keyFile?: string };
  token?: string;
}

/** The inference client options of a {@link LoadConnection} (credentials read once, not reloaded). */
export function connectionOptions(c: LoadConnection | undefined): ClientOptions {
  if (!c) return {};
  const { tls, token } = c;
  return {
    ...(tls ? { credentials: channelCredentials({ caFile: tls.caFile, ...(tls.certFile && tls.keyFile ? { certFile: tls.certFile, keyFile: tls.keyFile } : {}), reloadIntervalMs: 0 }).credentials } : {}),
    ...(token !== undefined ? { token } : {}),
  };
}
