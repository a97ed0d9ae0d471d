/** API access control: bearer tokens and HS256 JWTs carrying roles, shared by HTTP routes and the WebSocket feed. */
export { PERMISSIONS, ROLES, hasPermission, hasRole, isPermission, isRole, type Permission, type Principal, type Role } from './principal.js';
export { createHs256Verifier, looksLikeJwt, type JwtClaims, type JwtFailure, type JwtResult, type JwtVerifier } from './jwt.js';
export {
  hasCredentials,
  loadAuthConfig,
  parseTokenList,
  readAuthFile,
  type AuthConfig,
  type TokenEntry,
} from './auth-config.js';
export { bareCredential, createAuthenticator, type AuthCheck, type AuthFailure, type Authenticator } from './authenticator.js';
export { credentialsFrom, installAuth, requireRole, sendForbidden, sendUnauthorized } from './request-auth.js';
export { ensureDemoToken } from './demo-token.js';
