import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI document (built from the route schemas, so it cannot drift from what the routes
 * validate) at `/openapi.json`, and interactive docs at `/docs`. Registered before the routes:
 * the document collects routes as they are added. OpenAPI 3.1, whose schemas are JSON Schema, so
 * nullable fields keep their `type: [..., "null"]` form.
 */
export async function registerOpenApi(app: FastifyInstance, info: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'orderlake API',
        version: info.version,
        description:
          'Golden order views, search, timelines and read-only SQL over the orderlake data lake. ' +
          'Send `Authorization: Bearer <token>`: a static token or an HS256 JWT whose `role` (or `roles`) claim ' +
          'names agent, analyst, service or admin. /health, /ready, /metrics, /openapi.json and /docs are public. ' +
          'The live feed of orders and exception cases is a WebSocket at /ws (not listed below): token in the Authorization header or in ' +
          '`?access_token=` (browsers cannot set WebSocket headers); roles agent, service or admin.',
      },
      tags: [
        { name: 'orders', description: 'Order lookups for agents (role agent or admin)' },
        { name: 'insights', description: 'Health figures of the order flow for the console and dashboards (role agent or admin)' },
        { name: 'cases', description: 'Exception cases the health rules open, and agent actions on them (role agent or admin)' },
        { name: 'sql', description: 'Read-only SQL for analysts (role analyst or admin)' },
        { name: 'operations', description: 'Liveness, readiness, metrics (public)' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Static token or HS256 JWT' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
