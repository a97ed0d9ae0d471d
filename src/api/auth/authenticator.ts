import { createHash } from 'node:crypto';
import type { AuthConfig, TokenEntry } from './auth-config.js';
import { createHs256Verifier, looksLikeJwt, type JwtClaims, type JwtFailure } from './jwt.js';
import { isPermission, isRole, type Permission, type Principal, type Role } from './principal.js';

/** Why a credential was not accepted; the API turns every one of them into a 401. */
export type AuthFailure = 'missing' | 'invalid' | JwtFailure;

export type AuthCheck = { principal: Principal; failure: null } | { principal: null; failure: AuthFailure };

/**
 * Checks credentials: a static token or an HS256 JWT, given bare or as an `Authorization` header
 * value (`Bearer …`). Shared by the HTTP routes and the WebSocket upgrade. Asynchronous because
 * JWT signatures are checked with WebCrypto (through jose).
 */
export interface Authenticator {
  /** The caller, or null when the credential is missing or not valid. */
  authenticate(authorizationHeaderOrToken: string | undefined): Promise<Principal | null>;
  /** Like `authenticate`, with the reason for a refusal (for the 401 message). */
  check(authorizationHeaderOrToken: string | undefined): Promise<AuthCheck>;
  /** Whether any credential could ever be accepted (false: every request is refused). */
  readonly configured: boolean;
}

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The bare credential of `Bearer xyz` or `xyz`; null for another scheme or a malformed value. */
export function bareCredential(value: string): string | null {
  const trimmed = value.trim();
  const scheme = /^(\S+)\s+(\S+)$/.exec(trimmed);
  if (scheme !== null) return scheme[1]!.toLowerCase() === 'bearer' ? scheme[2]! : null;
  return /\s/.test(trimmed) || trimmed === '' ? null : trimmed;
}

function rolesOf(claims: JwtClaims): Role[] {
  const claimed = [claims.role, ...(Array.isArray(claims.roles) ? claims.roles : [])];
  return [...new Set(claimed.filter(isRole))];
}

/**
 * Permissions a JWT grants: its `permissions` claim (an array, e.g. `["pii"]`) and its OAuth 2.0
 * `scope` claim (space-separated, RFC 8693 §4.2, e.g. `"orders:read pii"`). Unknown names are
 * ignored, as unknown roles are.
 */
function permissionsOf(claims: JwtClaims): Permission[] {
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const claimed = [...(Array.isArray(claims.permissions) ? claims.permissions : []), ...scope];
  return [...new Set(claimed.filter(isPermission))];
}

/** The principal's `permissions` field: left out when there are none. */
function withPermissions(permissions: readonly Permission[] | undefined): { permissions?: readonly Permission[] } {
  return permissions !== undefined && permissions.length > 0 ? { permissions } : {};
}

/**
 * Builds the authenticator. Static tokens are looked up by their SHA-256 digest, so the lookup time
 * says nothing about how close a guess was; JWTs are verified only when a secret is configured.
 * `now` is the clock for `exp`/`nbf`. An empty JWT secret is a configuration error.
 */
export function createAuthenticator(config: AuthConfig, options: { now?: () => number } = {}): Authenticator {
  const now = options.now ?? Date.now;
  const byDigest = new Map<string, TokenEntry>(config.tokens.map((t) => [digest(t.token), t]));
  const verifyJwt = config.jwtSecret !== undefined ? createHs256Verifier(config.jwtSecret) : undefined;

  async function check(value: string | undefined): Promise<AuthCheck> {
    if (value === undefined || value.trim() === '') return { principal: null, failure: 'missing' };
    const credential = bareCredential(value);
    if (credential === null) return { principal: null, failure: 'invalid' };
    const entry = byDigest.get(digest(credential));
    if (entry !== undefined) {
      return { principal: { name: entry.name, roles: [entry.role], ...withPermissions(entry.permissions), via: 'token' }, failure: null };
    }
    if (verifyJwt === undefined || !looksLikeJwt(credential)) return { principal: null, failure: 'invalid' };
    const verified = await verifyJwt(credential, now());
    if (!verified.ok) return { principal: null, failure: verified.reason };
    const sub = verified.claims.sub;
    const name = typeof sub === 'string' && sub !== '' ? sub : 'jwt';
    return { principal: { name, roles: rolesOf(verified.claims), ...withPermissions(permissionsOf(verified.claims)), via: 'jwt' }, failure: null };
  }

  return {
    check,
    authenticate: async (value) => (await check(value)).principal,
    configured: byDigest.size > 0 || verifyJwt !== undefined,
  };
}
