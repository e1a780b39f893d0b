/**
 * A development CA and certificates signed by it, made with the `openssl` command (Node's
 * crypto cannot sign X.509 certificates): what `mlmesh up --tls` runs the mesh with, and what
 * the security tests use. Not for production: the CA key sits beside the certificates.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files of one party: its certificate and key (PEM). */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** The CA and one certificate per name, as {@link makeDevCertificates} wrote them. */
export interface DevCertificates {
  /** The folder holding them. */
  dir: string;
  /** The CA's certificate (what every party trusts). */
  caFile: string;
  /** The CA's key. */
  caKeyFile: string;
  /** Each name's certificate and key. */
  parties: Record<string, CertFiles>;
}

/** Options of {@link makeDevCertificates}. */
export interface DevCertificateOptions {
  /** Days the certificates are valid. @default 30 */
  days?: number;
  /** The CA's common name. @default 'mlmesh development CA' */
  caName?: string;
  /** Use the CA already in the folder (ca.crt, ca.key) instead of making a new one. @default false */
  reuseCa?: boolean;
  /** The openssl binary. @default 'openssl' */
  openssl?: string;
}

/** The certificate names usable as file names and CNs. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function run(openssl: string, args: readonly string[], cwd: string): void {
  const r = spawnSync(openssl, args, { cwd, encoding: 'utf8' });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? `${openssl} was not found: mlmesh makes development certificates with the openssl command (Debian package openssl)` : `${openssl} failed to start: ${r.error.message}`, { cause: r.error });
  }
  if (r.status !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed (exit ${r.status}): ${r.stderr.trim().slice(0, 2000)}`);
}

/**
 * Makes (in `dir`, created 0700) a CA and, for each name, a certificate with CN = the name and
 * subject alternative names `localhost`, the name, 127.0.0.1 and ::1, good for both server and
 * client authentication (a service presents the same certificate when it serves and when it
 * calls another). Keys are EC P-256, written 0600.
 * @throws Error when openssl is missing or fails, or a name is not usable as a file name.
 */
export function makeDevCertificates(dir: string, names: readonly string[], opts: DevCertificateOptions = {}): DevCertificates {
  const openssl = opts.openssl ?? 'openssl';
  const days = String(opts.days ?? 30);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  if (!opts.reuseCa || !existsSync(caFile) || !existsSync(caKeyFile)) {
    run(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', `/CN=${opts.caName ?? 'mlmesh development CA'}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    chmodSync(caKeyFile, 0o600);
  }
  const parties: Record<string, CertFiles> = {};
  for (const name of names) {
    if (!NAME.test(name)) throw new Error(`development certificate name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-'`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, `subjectAltName=DNS:localhost,DNS:${name},IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n`);
    run(openssl, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    run(openssl, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', days, '-extfile', `${name}.ext`], dir);
    chmodSync(join(dir, `${name}.key`), 0o600);
    parties[name] = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  }
  return { dir, caFile, caKeyFile, parties };
}
