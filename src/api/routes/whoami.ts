import type { FastifyInstance } from 'fastify';
import { ROLES, requireRole } from '../auth/index.js';
import { bearerSecurity, protectedErrors } from './route-schemas.js';

const whoamiSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: 'The token\'s name in the auth configuration, or the JWT `sub` claim.' },
    roles: { type: 'array', items: { type: 'string', enum: [...ROLES] }, description: 'Roles the credential grants (an admin may do everything).' },
    permissions: { type: 'array', items: { type: 'string' }, description: 'Permissions beyond the roles (`pii`).' },
    via: { type: 'string', enum: ['token', 'jwt'], description: 'A static token or a signed JWT.' },
  },
  required: ['name', 'roles', 'permissions', 'via'],
} as const;

/**
 * `GET /whoami`: the caller's name, roles and permissions, as the server reads its credential, so a
 * client (the console) shows what the caller may use without trying a route for a 403. Never the
 * credential itself.
 */
export function registerWhoamiRoutes(app: FastifyInstance): void {
  app.get(
    '/whoami',
    {
      onRequest: requireRole(...ROLES),
      schema: {
        tags: ['operations'],
        summary: 'Who the credential is: name, roles and permissions',
        security: bearerSecurity,
        response: { 200: whoamiSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const principal = request.principal!;
      return { name: principal.name, roles: [...principal.roles], permissions: [...(principal.permissions ?? [])], via: principal.via };
    },
  );
}
