/**
 * Authorization: the role table of every RPC ({@link RPC_ROLES}), caller identities (bearer
 * tokens by their SHA-256, client-certificate CNs), the check that runs before every handler,
 * and the audit line of admin calls.
 */
export { ROLES, RPC_ROLES, roleAllows, roleOf, isRole, missingRoles } from './roles.js';
export type { Role } from './roles.js';
export { ANONYMOUS, hashToken, parseTokenEntries, parseCertRoles, TOKEN_ENTRY_PATTERN, CERT_ROLE_PATTERN } from './identity.js';
export type { Identity } from './identity.js';
export { Authorizer, auditTarget } from './authorizer.js';
export type { AuthorizerOptions, CallerCredentials, AuditEntry } from './authorizer.js';
export { UnauthenticatedError, PermissionDeniedError } from './errors.js';
