/**
 * `mlmesh up --nats-auth`: the local nats-server runs the shipped account
 * (deploy/nats/mlmesh-accounts.conf: one user per service, least-privilege permissions) and
 * every NATS-using service connects as its own user. Fresh passwords are made at every start,
 * kept in `<varDir>/nats/secrets/<user>.password` (0600): the services read theirs from that file
 * (`MLMESH_<SERVICE>_NATS_PASSWORD_FILE`), the server gets them in its environment (the
 * account file's `$MLMESH_<USER>_NATS_PASSWORD` references), the CLI the admin user's in
 * `<varDir>/nats/cli.env`. docs/security.md, "NATS".
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESH_ENV, projectRoot, serviceEnvName } from '../../shared/config/index.js';

/** The users of the shipped account file. */
export const NATS_USERS = ['inference', 'monitor', 'rollout', 'retrainer', 'feedback', 'admin'] as const;

/** The shipped account file, relative to the package root. */
export const NATS_ACCOUNTS_FILE = 'deploy/nats/mlmesh-accounts.conf';

/** What {@link prepareNatsAuth} made. */
export interface MeshNatsAuth {
  /** The account file beside the local server's config (included by it). */
  readonly accountsFile: string;
  /** Variables for the nats-server's environment: every user's password. */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** Variables for the services' environment: each NATS-using service's user and password file. */
  readonly serviceEnv: Readonly<Record<string, string>>;
  /** `<varDir>/nats/cli.env`: `export MLMESH_NATS_USER=admin`, `MLMESH_NATS_PASSWORD_FILE=…`. */
  readonly cliEnvFile: string;
}

/**
 * Makes a password per user, the files, and the environments of the server and of `services`
 * (the names of the mesh's services that use NATS; each must be a user of the account).
 * @throws Error when a service has no user in the account file, or a file cannot be written.
 */
export function prepareNatsAuth(varDir: string, services: readonly string[]): MeshNatsAuth {
  const dir = join(varDir, 'nats');
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  const accountsFile = join(dir, 'mlmesh-accounts.conf');
  copyFileSync(join(projectRoot(), NATS_ACCOUNTS_FILE), accountsFile);
  const serverEnv: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const user of NATS_USERS) {
    // A letter first: nats-server parses a variable's value as a config value (a leading digit
    // would make it a number).
    const password = `p${randomBytes(24).toString('hex')}`;
    files[user] = join(secrets, `${user}.password`);
    writeFileSync(files[user], `${password}\n`, { mode: 0o600 });
    serverEnv[serviceEnvName(user, 'natsPassword')] = password;
  }
  const serviceEnv: Record<string, string> = {};
  for (const s of services) {
    const file = files[s];
    if (file === undefined) throw new Error(`--nats-auth: service ${s} uses NATS but ${NATS_ACCOUNTS_FILE} has no user for it`);
    serviceEnv[serviceEnvName(s, 'natsUser')] = s;
    serviceEnv[serviceEnvName(s, 'natsPasswordFile')] = file;
  }
  const cliEnvFile = join(dir, 'cli.env');
  writeFileSync(cliEnvFile, `export ${MESH_ENV.natsUser}=admin\nexport ${MESH_ENV.natsPasswordFile}=${files['admin'] as string}\n`, { mode: 0o600 });
  return { accountsFile, serverEnv, serviceEnv, cliEnvFile };
}
