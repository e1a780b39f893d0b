/**
 * How a service (or the CLI) identifies itself to NATS: user and password, a token, an nkey, or
 * a `.creds` file (JWT + nkey), and optionally TLS. The options every NATS-using service reads
 * ({@link natsClientOptions}), their checks ({@link checkNatsClientOptions}) and the nats.js
 * connect options they become ({@link natsConnectOptions}). docs/security.md, "NATS".
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator } from 'nats';
import type { Authenticator, ConnectionOptions } from 'nats';
import { ConfigError, MESH_ENV, requireReadableFiles, serviceEnvName, stringOption } from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { errorMessage } from '../errors/index.js';

/** The NATS credential and TLS options of a service (see {@link natsClientOptions}). */
// A type, not an interface: loadConfig takes it as a Record of option specs.
export type NatsClientOptionSpecs = {
  natsUser: OptionSpec<string>;
  natsPassword: OptionSpec<string>;
  natsPasswordFile: OptionSpec<string>;
  natsToken: OptionSpec<string>;
  natsTokenFile: OptionSpec<string>;
  natsNkeySeedFile: OptionSpec<string>;
  natsCredsFile: OptionSpec<string>;
  natsTlsCaFile: OptionSpec<string>;
  natsTlsCertFile: OptionSpec<string>;
  natsTlsKeyFile: OptionSpec<string>;
};

/** The resolved NATS credential and TLS options: `""` is unset. */
export type NatsClientConfig = { readonly [K in keyof NatsClientOptionSpecs]: string };

/** The option names of {@link NatsClientOptionSpecs}, in the order they are documented. */
export const NATS_CLIENT_OPTION_NAMES = [
  'natsUser',
  'natsPassword',
  'natsPasswordFile',
  'natsToken',
  'natsTokenFile',
  'natsNkeySeedFile',
  'natsCredsFile',
  'natsTlsCaFile',
  'natsTlsCertFile',
  'natsTlsKeyFile',
] as const satisfies ReadonlyArray<keyof NatsClientOptionSpecs>;

/**
 * The options naming a file, checked readable at start. The secret files are read again at every
 * (re)connect, so a rotated password, token, seed or creds file is used without a restart.
 */
const FILE_OPTIONS = ['natsPasswordFile', 'natsTokenFile', 'natsNkeySeedFile', 'natsCredsFile', 'natsTlsCaFile', 'natsTlsCertFile', 'natsTlsKeyFile'] as const;

/**
 * The NATS credential and TLS options of `service` (`MLMESH_<SERVICE>_NATS_USER`, …), each
 * falling back to the mesh-wide `MLMESH_NATS_USER`, … when the service's own variable is unset.
 * All default to `""` (anonymous, plaintext). Secrets belong in files (`natsPasswordFile`,
 * `natsTokenFile`, a seed or creds file): an inline `natsPassword` or `natsToken` shows in the
 * environment of the process.
 */
export function natsClientOptions(service: string): NatsClientOptionSpecs {
  const opt = (option: keyof NatsClientOptionSpecs, doc: string): OptionSpec<string> => stringOption({ env: serviceEnvName(service, option), fallbackEnv: MESH_ENV[option], default: '', doc });
  return {
    natsUser: opt('natsUser', 'NATS user name (with natsPassword or natsPasswordFile); deploy/nats/mlmesh-accounts.conf has one user per service. Empty: no user.'),
    natsPassword: opt('natsPassword', 'Password of natsUser, inline (prefer natsPasswordFile: the environment of a process is readable by others of its user). Never logged.'),
    natsPasswordFile: opt('natsPasswordFile', 'File holding the password of natsUser (trailing newline ignored); read again at every reconnect.'),
    natsToken: opt('natsToken', 'NATS authorization token, inline (prefer natsTokenFile). Never logged.'),
    natsTokenFile: opt('natsTokenFile', 'File holding the NATS authorization token (trailing newline ignored); read again at every reconnect.'),
    natsNkeySeedFile: opt('natsNkeySeedFile', 'File holding the nkey seed (`SU…`) the connection signs the server\'s nonce with; read again at every reconnect.'),
    natsCredsFile: opt('natsCredsFile', 'NATS `.creds` file (user JWT and nkey seed, decentralized auth: `nsc generate creds`); read again at every reconnect.'),
    natsTlsCaFile: opt('natsTlsCaFile', 'PEM CA bundle the NATS server\'s certificate is verified against; set, the connection must be TLS.'),
    natsTlsCertFile: opt('natsTlsCertFile', 'PEM client certificate presented to NATS (TLS client auth, e.g. `verify_and_map`); with natsTlsKeyFile.'),
    natsTlsKeyFile: opt('natsTlsKeyFile', 'PEM private key of natsTlsCertFile.'),
  };
}

/** Whether a resolved config carries the NATS client options (its specs spread {@link natsClientOptions}). */
export function hasNatsClientOptions(config: object): config is NatsClientConfig {
  return NATS_CLIENT_OPTION_NAMES.every((k) => typeof (config as Record<string, unknown>)[k] === 'string');
}

/** Which way of authenticating the options choose, or `none`. */
export type NatsAuthMethod = 'none' | 'user' | 'token' | 'nkey' | 'creds';

/**
 * Checks the NATS options together: at most one way of authenticating, a password with its user
 * (and only one of natsPassword and natsPasswordFile), one of natsToken and natsTokenFile, a
 * client certificate with its key, and every file readable.
 * @returns the way of authenticating chosen.
 * @throws ConfigError naming the options at fault.
 */
export function checkNatsClientOptions(c: NatsClientConfig): NatsAuthMethod {
  if (c.natsPassword !== '' && c.natsPasswordFile !== '') throw new ConfigError('natsPassword', 'and natsPasswordFile are both set: set one');
  if (c.natsToken !== '' && c.natsTokenFile !== '') throw new ConfigError('natsToken', 'and natsTokenFile are both set: set one');
  const hasPassword = c.natsPassword !== '' || c.natsPasswordFile !== '';
  if (hasPassword && c.natsUser === '') throw new ConfigError('natsUser', 'must be set with natsPassword or natsPasswordFile');
  if (c.natsUser !== '' && !hasPassword) throw new ConfigError('natsPasswordFile', 'natsUser is set without natsPassword or natsPasswordFile');
  const methods: Array<[NatsAuthMethod, string]> = [];
  if (c.natsUser !== '') methods.push(['user', 'natsUser']);
  if (c.natsToken !== '' || c.natsTokenFile !== '') methods.push(['token', c.natsToken !== '' ? 'natsToken' : 'natsTokenFile']);
  if (c.natsNkeySeedFile !== '') methods.push(['nkey', 'natsNkeySeedFile']);
  if (c.natsCredsFile !== '') methods.push(['creds', 'natsCredsFile']);
  if (methods.length > 1) throw new ConfigError(methods.map(([, o]) => o).join(', '), 'contradict each other: a NATS connection authenticates one way (user and password, token, nkey or creds file)');
  if (c.natsTlsCertFile !== '' && c.natsTlsKeyFile === '') throw new ConfigError('natsTlsKeyFile', 'must be set with natsTlsCertFile');
  if (c.natsTlsKeyFile !== '' && c.natsTlsCertFile === '') throw new ConfigError('natsTlsCertFile', 'must be set with natsTlsKeyFile');
  requireReadableFiles(c, FILE_OPTIONS);
  return methods[0]?.[0] ?? 'none';
}

/** A secret file's text without its trailing newline. @throws Error naming the option when it cannot be read. */
function secretFile(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e: unknown) {
    throw new Error(`${option}: cannot read ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

/** The reply-subject prefix of `client`'s connections (`_INBOX_inference`): permissions grant each user its own. */
export function natsInboxPrefix(client: string): string {
  return `_INBOX_${client}`;
}

/**
 * The nats.js connect options of `c` for `client` (a service name, or `cli`): the authenticator
 * (files re-read at every connect), `tls` when a CA or a client certificate is set, and the
 * client's own inbox prefix ({@link natsInboxPrefix}), so that its permissions can allow it to
 * subscribe to its own replies only. Holds no secret in a field a log could print.
 * @throws ConfigError as {@link checkNatsClientOptions}.
 */
export function natsConnectOptions(c: NatsClientConfig, client: string): Partial<ConnectionOptions> {
  const method = checkNatsClientOptions(c);
  let authenticator: Authenticator | undefined;
  switch (method) {
    case 'user':
      authenticator = usernamePasswordAuthenticator(c.natsUser, c.natsPasswordFile !== '' ? () => secretFile('natsPasswordFile', c.natsPasswordFile) : c.natsPassword);
      break;
    case 'token':
      authenticator = tokenAuthenticator(c.natsTokenFile !== '' ? () => secretFile('natsTokenFile', c.natsTokenFile) : c.natsToken);
      break;
    case 'nkey':
      authenticator = nkeyAuthenticator(() => new TextEncoder().encode(secretFile('natsNkeySeedFile', c.natsNkeySeedFile).trim()));
      break;
    case 'creds':
      authenticator = credsAuthenticator(() => new TextEncoder().encode(secretFile('natsCredsFile', c.natsCredsFile)));
      break;
    case 'none':
      break;
  }
  const tls = c.natsTlsCaFile !== '' || c.natsTlsCertFile !== '' ? { ...(c.natsTlsCaFile !== '' ? { caFile: c.natsTlsCaFile } : {}), ...(c.natsTlsCertFile !== '' ? { certFile: c.natsTlsCertFile, keyFile: c.natsTlsKeyFile } : {}) } : undefined;
  return { ...(authenticator ? { authenticator } : {}), ...(tls ? { tls } : {}), inboxPrefix: natsInboxPrefix(client) };
}

/** What the options say about the connection, for a log line: the method and user, never a secret. */
export function describeNatsAuth(c: NatsClientConfig): { auth: NatsAuthMethod; user?: string; tls: boolean } {
  const auth: NatsAuthMethod = c.natsUser !== '' ? 'user' : c.natsToken !== '' || c.natsTokenFile !== '' ? 'token' : c.natsNkeySeedFile !== '' ? 'nkey' : c.natsCredsFile !== '' ? 'creds' : 'none';
  return { auth, ...(c.natsUser !== '' ? { user: c.natsUser } : {}), tls: c.natsTlsCaFile !== '' || c.natsTlsCertFile !== '' };
}
