import { auditTarget } from '../auth/index.js';
import type { Authorizer, CallerCredentials, Identity, Role } from '../auth/index.js';
import type { AnyServerCall, CallContext } from './context.js';
import { firstMetadataValue } from './context.js';
import { MalformedRequest } from './malformed.js';
import { statusName } from './status.js';

/** What a call shows of its caller: the `authorization` header and the CN of the client certificate the TLS handshake verified. */
export function callerCredentials(call: AnyServerCall): CallerCredentials {
  const header = firstMetadataValue(call, 'authorization');
  // grpc-js gives the peer certificate only on a TLS connection whose client certificate was verified.
  const cn: unknown = call.getAuthContext().sslPeerCertificate?.subject?.CN;
  return { authorization: header, certificateCn: typeof cn === 'string' ? cn : Array.isArray(cn) && typeof cn[0] === 'string' ? cn[0] : undefined };
}

/** Who the audit line names for a call refused before an identity was established. */
function identityForAudit(authorizer: Authorizer, creds: CallerCredentials): Identity {
  try {
    return authorizer.identify(creds);
  } catch {
    // The token was refused: the audit line says a token was tried, not whose.
    return { name: 'unknown token', via: 'token', role: undefined };
  }
}

/** One ended call, for {@link auditCall}. */
export interface EndedCall {
  service: string;
  method: string;
  /** The role the RPC needs: only admin calls are audited. */
  needed: Role;
  creds: CallerCredentials;
  /** The identity established before the handler ran, when it was. */
  identity: Identity | undefined;
  code: number;
  ctx: CallContext;
  request: unknown;
}

/** Writes the audit line of an admin call once it has ended (nothing for other calls). */
export function auditCall(authorizer: Authorizer, c: EndedCall): void {
  if (c.needed !== 'admin') return;
  authorizer.audit(c.ctx.log, {
    identity: c.identity ?? identityForAudit(authorizer, c.creds),
    service: c.service,
    method: c.method,
    outcome: statusName(c.code),
    requestId: c.ctx.requestId,
    target: c.request instanceof MalformedRequest ? undefined : auditTarget(c.request),
  });
}
