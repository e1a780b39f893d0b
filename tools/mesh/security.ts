/**
 * `mlmesh up --tls` and `--secure`: a development CA and a certificate per service under
 * `<varDir>/tls/`, the environment that starts every service with mutual TLS, and with
 * `--secure` authorization on (each service's certificate has the data-plane role, the
 * supervisor's the read role, the CLI's admin certificate and a generated admin token the
 * admin role). The CLI's settings go to `<varDir>/tls/cli.env` (and the token to
 * `<varDir>/tls/admin.token`), both 0600.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from '../../shared/auth/index.js';
import type { Role } from '../../shared/auth/index.js';
import { MESH_ENV, serviceEnvName } from '../../shared/config/index.js';
import { makeDevCertificates } from './dev-certs.js';
import type { ProbeTls } from './probe.js';

/** The certificate the supervisor probes with (role read under --secure). */
export const SUPERVISOR_CERT = 'mlmesh-supervisor';
/** The CLI's admin certificate. */
export const ADMIN_CERT = 'mlmesh-admin';

/**
 * The role each service's certificate holds under `--secure` when it calls another service
 * (the gateway's hops need `data`). A service not listed gets `data`; one that drives admin
 * RPCs of another (loading a model version it trained, say) is listed here with `admin`.
 */
export const MESH_SERVICE_ROLES: Readonly<Record<string, Role>> = {
  // The rollout controller unloads versions (RepositoryModelLoad with a version policy): admin on inference.
  rollout: 'admin',
  // The retrainer loads the candidates it registers on inference and starts their rollouts: admin.
  retrainer: 'admin',
};

/** What {@link prepareMeshSecurity} made. */
export interface MeshSecurity {
  /** Variables for every service's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The supervisor's TLS files (probes, `mlmesh status`). */
  readonly probe: ProbeTls;
  /** `<varDir>/tls/cli.env`: `export MLMESH_CLIENT_…` lines for the CLI (admin certificate, and the token under --secure). */
  readonly cliEnvFile: string;
  /** The admin token (under --secure), also in `<varDir>/tls/admin.token`. */
  readonly token: string | undefined;
  readonly tokenFile: string | undefined;
}

/**
 * Makes the CA (kept across runs in `<varDir>/tls/`, so a CLI keeps trusting it) and fresh
 * certificates for `services`, the supervisor and the CLI, and the services' environment.
 * @throws Error when openssl is missing or fails.
 */
export function prepareMeshSecurity(varDir: string, services: readonly string[], secure: boolean): MeshSecurity {
  const dir = join(varDir, 'tls');
  const certs = makeDevCertificates(dir, [...services, SUPERVISOR_CERT, ADMIN_CERT], { reuseCa: true });
  const env: Record<string, string> = { [MESH_ENV.tlsCaFile]: certs.caFile };
  for (const name of services) {
    const files = certs.parties[name];
    if (!files) continue;
    env[serviceEnvName(name, 'tlsCertFile')] = files.certFile;
    env[serviceEnvName(name, 'tlsKeyFile')] = files.keyFile;
  }
  const admin = certs.parties[ADMIN_CERT] as { certFile: string; keyFile: string };
  const supervisor = certs.parties[SUPERVISOR_CERT] as { certFile: string; keyFile: string };
  let token: string | undefined;
  let tokenFile: string | undefined;
  if (secure) {
    token = randomBytes(32).toString('base64url');
    tokenFile = join(dir, 'admin.token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    env[MESH_ENV.authRequired] = 'true';
    // Every caller must identify anyway (certificate or token): a client without a certificate
    // may connect, to present the token.
    env[MESH_ENV.tlsClientCerts] = 'optional';
    env[MESH_ENV.authTokens] = `admin:admin:${hashToken(token)}`;
    env[MESH_ENV.authCertRoles] = [...services.map((s) => `${s}:${MESH_SERVICE_ROLES[s] ?? 'data'}`), `${SUPERVISOR_CERT}:read`, `${ADMIN_CERT}:admin`].join(',');
  }
  const cliEnvFile = join(dir, 'cli.env');
  const lines = [`export MLMESH_CLIENT_TLS_CA=${certs.caFile}`, `export MLMESH_CLIENT_TLS_CERT=${admin.certFile}`, `export MLMESH_CLIENT_TLS_KEY=${admin.keyFile}`];
  writeFileSync(cliEnvFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { env, probe: { caFile: certs.caFile, ...supervisor }, cliEnvFile, token, tokenFile };
}
