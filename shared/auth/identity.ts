import { createHash } from 'node:crypto';
import { isRole } from './roles.js';
import type { Role } from './roles.js';

/** Who is calling, as the server established it. */
export interface Identity {
  /** The token's name, the certificate's CN, or `anonymous`. */
  readonly name: string;
  /** How it was established. */
  readonly via: 'token' | 'certificate' | 'none';
  /** Its role; undefined for anonymous callers and certificates with no role mapped. */
  readonly role: Role | undefined;
}

/** The caller nobody vouched for. */
export const ANONYMOUS: Identity = { name: 'anonymous', via: 'none', role: undefined };

/** SHA-256 of a bearer token, lower-case hex: what the config holds instead of the token (`mlmesh auth hash-token`). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** One configured token: `<name>:<role>:<sha256 hex of the token>`. */
export const TOKEN_ENTRY_PATTERN = /^[A-Za-z0-9_.@-]{1,64}:(read|data|admin):[0-9a-f]{64}$/;

/** One certificate mapping: `<CN>:<role>`, `*` as CN for any certificate the CA signed. */
export const CERT_ROLE_PATTERN = /^[^:]{1,128}:(read|data|admin)$/;

/** A token's name and role by the hash of the token. */
export function parseTokenEntries(entries: readonly string[], label = 'authTokens'): Map<string, { name: string; role: Role }> {
  const out = new Map<string, { name: string; role: Role }>();
  entries.forEach((e, i) => {
    if (!TOKEN_ENTRY_PATTERN.test(e)) throw new Error(`${label}[${i}]: expected <name>:<role>:<sha256 hex>, role one of read, data, admin`);
    const [name, role, hash] = e.split(':') as [string, string, string];
    if (!isRole(role)) throw new Error(`${label}[${i}]: unknown role ${role}`);
    if (out.has(hash)) throw new Error(`${label}[${i}]: the same token hash is listed twice`);
    out.set(hash, { name, role });
  });
  return out;
}

/** A certificate CN's role (`*`: any certificate), from `<CN>:<role>` entries. */
export function parseCertRoles(entries: readonly string[], label = 'authCertRoles'): Map<string, Role> {
  const out = new Map<string, Role>();
  entries.forEach((e, i) => {
    if (!CERT_ROLE_PATTERN.test(e)) throw new Error(`${label}[${i}]: expected <certificate CN>:<role>, role one of read, data, admin`);
    const at = e.lastIndexOf(':');
    const role = e.slice(at + 1);
    if (!isRole(role)) throw new Error(`${label}[${i}]: unknown role ${role}`);
    out.set(e.slice(0, at), role);
  });
  return out;
}
