/**
 * The CLI's NATS connection (`routes`, `logs`, `feedback`): the server from `--nats`/NATS_URL,
 * the credentials and TLS files from the environment, as the services read theirs:
 * `MLMESH_CLI_NATS_USER`, `MLMESH_CLI_NATS_PASSWORD_FILE`, … falling back to the mesh-wide
 * `MLMESH_NATS_USER`, `MLMESH_NATS_PASSWORD_FILE`, … (shared/nats natsClientOptions; no flags:
 * a secret on the command line shows in `ps`). Its replies arrive on `_INBOX_cli.>`.
 */
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { ConfigError, loadConfig } from '../../shared/config/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import { isNatsAuthError, natsClientOptions, natsConnectOptions } from '../../shared/nats/index.js';
import { CommandError, UsageError } from './errors.js';

/** How long to wait for NATS to answer when connecting, in ms. */
export const CLI_NATS_TIMEOUT_MS = 5000;

/** The CLI's NATS options: `MLMESH_CLI_NATS_*`, else `MLMESH_NATS_*`. */
export const CLI_NATS_OPTIONS = natsClientOptions('cli');

/**
 * Connects the CLI to NATS at `url` with the credentials of `env`.
 * @throws UsageError when the variables contradict each other (naming them); CommandError when
 *   NATS cannot be reached or refuses the credentials.
 */
export async function connectCliNats(url: string, env: NodeJS.ProcessEnv = process.env): Promise<NatsConnection> {
  let options;
  try {
    // file '': the NATS credentials of the CLI come from the environment only (MLMESH_CONFIG
    // holds the services' sections).
    options = natsConnectOptions(loadConfig(CLI_NATS_OPTIONS, { env, file: '' }), 'cli');
  } catch (e: unknown) {
    if (e instanceof ConfigError) throw new UsageError(`NATS credentials: ${e.message} (variables MLMESH_CLI_NATS_* or MLMESH_NATS_*)`, { cause: e });
    throw e;
  }
  try {
    return await connect({ ...options, servers: url, name: 'mlmesh-cli', timeout: CLI_NATS_TIMEOUT_MS });
  } catch (e: unknown) {
    if (isNatsAuthError(e)) throw new CommandError(`NATS at ${url} refused the credentials (${errorMessage(e)}): set MLMESH_NATS_USER and MLMESH_NATS_PASSWORD_FILE (or the token, nkey or creds file variables)`, { cause: e });
    throw new CommandError(`cannot reach NATS at ${url}: ${errorMessage(e)}`, { cause: e });
  }
}
