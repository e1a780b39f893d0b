/**
 * `mlmesh auth`: helpers for the services' authorization settings (docs/security.md).
 * `auth hash-token` prints the SHA-256 of a bearer token, the form `authTokens` holds;
 * `auth new-token` makes a random token and prints it with its `authTokens` entry.
 */
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ROLES, hashToken, isRole } from '../../shared/auth/index.js';
import { onRun } from './action.js';
import { UsageError } from './errors.js';
import { required } from './options.js';
import type { CliContext } from './program.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString('utf8').trim();
}

function tokenName(value: string): string {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(value)) throw new InvalidArgumentError('must be 1-64 letters, digits or . _ @ -');
  return value;
}

function roleArg(value: string): string {
  if (!isRole(value)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
  return value;
}

/** Registers `auth hash-token` and `auth new-token`. */
export function registerAuth(program: Command, ctx: CliContext): void {
  const auth = program.command('auth').description('bearer tokens for the services\' authorization (authTokens holds their SHA-256, never the tokens; docs/security.md)');
  const hash = auth
    .command('hash-token')
    .description('print the SHA-256 (hex) of a token, read from standard input (or the argument: it then shows in ps and shell history); with --name and --role, the whole authTokens entry')
    .argument('[token]', 'the token (default: read from standard input)')
    .addOption(new Option('--name <name>', 'who the token is for (the audit lines name it)').argParser(tokenName))
    .addOption(new Option('--role <role>', `its role: ${ROLES.join(', ')}`).argParser(roleArg));
  onRun<{ name?: string; role?: string }>(hash, ctx, async (args, o) => {
    const token = typeof args[0] === 'string' ? args[0] : await readStdin();
    if (token === '' || /\s/.test(token)) throw new UsageError('the token must not be empty or hold spaces');
    if ((o.name === undefined) !== (o.role === undefined)) throw new UsageError('--name and --role go together');
    const h = hashToken(token);
    process.stdout.write(o.name !== undefined ? `${o.name}:${o.role}:${h}\n` : `${h}\n`);
  });
  const make = auth
    .command('new-token')
    .description('make a random token (32 bytes, base64url): prints the token on the first line (give it to the caller; it is not kept) and its authTokens entry on the second')
    .addOption(required(new Option('--name <name>', 'who the token is for').argParser(tokenName)))
    .addOption(required(new Option('--role <role>', `its role: ${ROLES.join(', ')}`).argParser(roleArg)));
  onRun<{ name: string; role: string }>(make, ctx, (_args, o) => {
    const token = randomBytes(32).toString('base64url');
    process.stdout.write(`${token}\n${o.name}:${o.role}:${hashToken(token)}\n`);
    return Promise.resolve();
  });
}
