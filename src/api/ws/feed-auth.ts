import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  credentialsFrom,
  hasRole,
  sendForbidden,
  sendUnauthorized,
  type Authenticator,
  type Principal,
  type Role,
} from '../auth/index.js';

/**
 * The upgrade check of the feed, with the API's authenticator and its 401/403 bodies. The token
 * comes from the `Authorization` header or, since browsers cannot set headers on a WebSocket,
 * from `?access_token=`. Runs before the upgrade: a refused client gets a plain HTTP answer.
 * Resolves to the principal, or null after replying.
 */
export async function authorizeUpgrade(
  request: FastifyRequest,
  reply: FastifyReply,
  auth: Pick<Authenticator, 'check'>,
  roles: readonly Role[],
): Promise<Principal | null> {
  const checked = await auth.check(credentialsFrom(request));
  if (checked.principal === null) {
    sendUnauthorized(reply, checked.failure);
    return null;
  }
  if (!hasRole(checked.principal, roles)) {
    sendForbidden(reply, checked.principal, roles);
    return null;
  }
  return checked.principal;
}
