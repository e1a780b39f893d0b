import * as grpc from '@grpc/grpc-js';
import { FileCertificates } from './file-certificates.js';
import type { FileCertificatesOptions } from './file-certificates.js';

/** A server's TLS settings: its own certificate and key, and (mutual TLS) the CA its clients' certificates must chain to. */
export interface ServerTlsOptions extends FileCertificatesOptions {
  certFile: string;
  keyFile: string;
  /**
   * With `caFile`: refuse the handshake of a client without a certificate the CA signed (true),
   * or ask for one and let the call through without it (false: the caller must then identify
   * with a bearer token when authorization is on). @default true
   */
  requireClientCert?: boolean;
}

/**
 * grpc-js server credentials from files that are re-read when they change (see
 * {@link FileCertificates}). With a `caFile` every client must present a certificate that
 * chains to it (mutual TLS: the handshake fails otherwise; `requireClientCert: false` asks for
 * one but lets clients without it in); without one, server-side TLS only.
 * Returns the credentials and the certificates, whose `close()` stops the polling.
 */
export function serverCredentials(opts: ServerTlsOptions): { credentials: grpc.ServerCredentials; certificates: FileCertificates } {
  if (!opts.certFile || !opts.keyFile) throw new Error('TLS: a server needs certFile and keyFile');
  const certificates = new FileCertificates(opts);
  // grpc-js 1.14's createCertificateProviderServerCredentials hands its first argument to the
  // identity slot and its second to the CA slot (the parameter names in its typings are the other
  // way round): identity first, CA (or null: no client certificates asked for) second.
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(certificates, opts.caFile ? certificates : null, Boolean(opts.caFile) && opts.requireClientCert !== false);
  return { credentials, certificates };
}

/** A client's TLS settings: the CA that the server's certificate must chain to, and (mutual TLS) its own certificate and key. */
export interface ClientTlsOptions extends FileCertificatesOptions {
  caFile: string;
}

/**
 * grpc-js channel credentials from files re-read when they change: the server is verified
 * against `caFile` (and its certificate must name the host dialled, e.g. `127.0.0.1` or
 * `localhost`), and `certFile`/`keyFile`, when given, are presented for mutual TLS. New
 * connections use the latest files. `close()` of the returned certificates stops the polling.
 */
export function channelCredentials(opts: ClientTlsOptions): { credentials: grpc.ChannelCredentials; certificates: FileCertificates } {
  if (!opts.caFile) throw new Error('TLS: a client needs caFile (the CA that signed the server certificate)');
  const certificates = new FileCertificates(opts);
  const credentials = grpc.experimental.createCertificateProviderChannelCredentials(certificates, certificates.hasIdentity ? certificates : null);
  return { credentials, certificates };
}
