import type { Logger } from '../logging/index.js';
import { UnauthenticatedError, PermissionDeniedError } from './errors.js';
import { ANONYMOUS, hashToken, parseCertRoles, parseTokenEntries } from './identity.js';
import type { Identity } from './identity.js';
import { roleAllows } from './roles.js';
import type { Role } from './roles.js';

/** Options of {@link Authorizer}. */
export interface AuthorizerOptions {
  /** Refuse calls without an identity holding the RPC's role. Off: every call runs (admin calls are still audited). @default false */
  required?: boolean;
  /** Bearer tokens: `<name>:<role>:<sha256 hex of the token>`. @default none */
  tokens?: readonly string[];
  /** Roles of client-certificate CNs: `<CN>:<role>`, `*:<role>` for any certificate the CA signed. @default none */
  certRoles?: readonly string[];
}

/** What a call shows of its caller. */
export interface CallerCredentials {
  /** The `authorization` header (`Bearer <token>`), if sent. */
  authorization: string | undefined;
  /** The CN of the client certificate verified in the TLS handshake, if any. */
  certificateCn: string | undefined;
}

/** What an audit line records of one call. */
export interface AuditEntry {
  identity: Identity;
  service: string;
  method: string;
  /** The status the call ended with (`OK`, `PERMISSION_DENIED`…). */
  outcome: string;
  requestId: string;
  /** The model, pipeline or feature the request names, when it has one of the usual fields. */
  target?: string | undefined;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Establishes who calls (a bearer token, checked against the SHA-256 hashes in the config, or
 * the client certificate's CN, verified by the TLS handshake against the CA) and whether the
 * RPC's role allows them. One per server; the gRPC bootstrap calls it before every handler,
 * so a refusal never depends on what the request names (a missing and an existing model get
 * the same answer).
 */
export class Authorizer {
  readonly required: boolean;
  private readonly tokens: Map<string, { name: string; role: Role }>;
  private readonly certRoles: Map<string, Role>;

  /** @throws Error naming the entry when a token or certificate mapping is malformed. */
  constructor(opts: AuthorizerOptions = {}) {
    this.required = opts.required ?? false;
    this.tokens = parseTokenEntries(opts.tokens ?? []);
    this.certRoles = parseCertRoles(opts.certRoles ?? []);
  }

  /** How many tokens and certificate mappings are configured (for the start-up log line). */
  get summary(): { required: boolean; tokens: number; certRoles: number } {
    return { required: this.required, tokens: this.tokens.size, certRoles: this.certRoles.size };
  }

  /**
   * The caller's identity: the token when one is sent (a token that is not known fails, even
   * with a good certificate), else the certificate, else anonymous.
   * @throws UnauthenticatedError for a malformed or unknown token (only when `required`;
   *   otherwise the caller is anonymous).
   */
  identify(creds: CallerCredentials): Identity {
    if (creds.authorization !== undefined) {
      const m = BEARER.exec(creds.authorization);
      const entry = m?.[1] ? this.tokens.get(hashToken(m[1])) : undefined;
      if (entry) return { name: entry.name, via: 'token', role: entry.role };
      if (this.required) throw new UnauthenticatedError(m ? 'the bearer token is not known' : 'the authorization header is not "Bearer <token>"');
    }
    if (creds.certificateCn !== undefined) {
      return { name: creds.certificateCn, via: 'certificate', role: this.certRoles.get(creds.certificateCn) ?? this.certRoles.get('*') };
    }
    return ANONYMOUS;
  }

  /**
   * Identifies the caller and checks `needed`; a no-op check (anyone passes) when not `required`.
   * @throws UnauthenticatedError without an identity; PermissionDeniedError when its role is short.
   */
  authorize(creds: CallerCredentials, method: string, needed: Role): Identity {
    const identity = this.identify(creds);
    if (!this.required) return identity;
    if (identity.via === 'none') throw new UnauthenticatedError('no credentials: present a client certificate or an "authorization: Bearer <token>" header');
    if (identity.role === undefined) throw new PermissionDeniedError(`${identity.via} ${identity.name} has no role`);
    if (!roleAllows(identity.role, needed)) throw new PermissionDeniedError(`${identity.via} ${identity.name} (role ${identity.role}) may not call ${method}: it needs role ${needed}`);
    return identity;
  }

  /** Writes the audit line of one admin call (info level, `audit: true`, message `audit`). */
  audit(log: Logger, e: AuditEntry): void {
    log.info(
      {
        audit: true,
        who: e.identity.name,
        via: e.identity.via,
        role: e.identity.role ?? null,
        api: e.service,
        rpc: e.method,
        outcome: e.outcome,
        requestId: e.requestId,
        ...(e.target !== undefined ? { target: e.target } : {}),
      },
      'audit',
    );
  }
}

const TARGET_FIELDS = ['model_name', 'name', 'model', 'pipeline', 'feature_view', 'deployment'] as const;

/** The first of the usual naming fields a request carries (for the audit line), clipped. */
export function auditTarget(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  for (const f of TARGET_FIELDS) {
    const v = (request as Record<string, unknown>)[f];
    if (typeof v === 'string' && v !== '') return v.slice(0, 200);
  }
  return undefined;
}
