/**
 * TLS for the mesh's gRPC servers and clients: PEM files re-read when they change (new
 * connections get the new certificates without a restart; open ones keep theirs), server
 * credentials (mutual TLS when a client CA is given) and channel credentials.
 */
export { FileCertificates } from './file-certificates.js';
export type { TlsFiles, FileCertificatesOptions, CertificateReloadEvent } from './file-certificates.js';
export { serverCredentials, channelCredentials } from './credentials.js';
export type { ServerTlsOptions, ClientTlsOptions } from './credentials.js';
