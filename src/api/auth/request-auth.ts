import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailure, Authenticator } from './authenticator.js';
import { hasRole, type Principal, type Role } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; null when the request carried no valid credential. Set by {@link installAuth}. */
    principal: Principal | null;
    /** Why `principal` is null (`missing`, `invalid`, `expired`, …). */
    authFailure: AuthFailure | null;
  }
}

/**
 * The credential a request carries: its `Authorization` header, or — for a WebSocket upgrade only,
 * since browsers cannot set headers on WebSockets — the `access_token` query parameter. Plain HTTP
 * requests never take tokens from the URL, where they would end up in logs and histories.
 */
export function credentialsFrom(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined && header !== '') return header;
  if (String(request.headers.upgrade ?? '').toLowerCase() !== 'websocket') return undefined;
  const token = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * Authenticates every request once, before routing hooks run, and records the outcome on the
 * request; routes then decide with {@link requireRole}. Public routes simply do not ask.
 */
export function installAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  app.addHook('onRequest', async (request) => {
    const checked = await auth.check(credentialsFrom(request));
    request.principal = checked.principal;
    request.authFailure = checked.failure;
  });
}

const FAILURE_TEXT: Record<AuthFailure, string> = {
  missing: 'a bearer token is required (Authorization: Bearer <token>)',
  invalid: 'the bearer token is not valid',
  malformed: 'the JWT is malformed',
  unsupported_alg: 'the JWT must be signed with HS256',
  bad_signature: 'the JWT signature does not verify',
  expired: 'the JWT has expired',
  not_yet_valid: 'the JWT is not valid yet (nbf)',
};

/** Sends the API's 401 (JSON body, `WWW-Authenticate: Bearer`). */
export function sendUnauthorized(reply: FastifyReply, failure: AuthFailure): FastifyReply {
  const challenge = failure === 'missing' ? 'Bearer realm="orderlake"' : 'Bearer realm="orderlake", error="invalid_token"';
  return reply.code(401).header('www-authenticate', challenge).send({ error: 'OL_ERR_HTTP_UNAUTHORIZED', message: FAILURE_TEXT[failure] });
}

/** Sends the API's 403 naming the roles that would have been accepted. */
export function sendForbidden(reply: FastifyReply, principal: Principal, roles: readonly Role[]): FastifyReply {
  const wanted = [...new Set([...roles, 'admin'])].join(' or ');
  const held = principal.roles.length === 0 ? 'no role' : `role ${principal.roles.join(', ')}`;
  return reply.code(403).send({ error: 'OL_ERR_HTTP_FORBIDDEN', message: `requires role ${wanted}; ${principal.name} has ${held}` });
}

/**
 * A route hook (use it as `onRequest`, `preValidation` or `preHandler`) that lets through callers
 * holding one of `roles` — admins always — and answers 401 without a valid credential, 403 with
 * the wrong role. Relies on {@link installAuth} having run for the request.
 */
export function requireRole(...roles: Role[]) {
  return async function checkRole(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.principal === null || request.principal === undefined) {
      return sendUnauthorized(reply, request.authFailure ?? 'missing');
    }
    if (!hasRole(request.principal, roles)) return sendForbidden(reply, request.principal, roles);
    return undefined;
  };
}
