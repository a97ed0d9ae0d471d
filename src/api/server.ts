import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { GoldenView } from '../golden/index.js';

export interface ApiDeps {
  logger: Logger;
  metrics: Metrics;
  /** The golden view: from memory when owned here, else from ClickHouse; null when unknown or deleted. */
  getOrder(orderId: string): Promise<GoldenView | null>;
  /** Readiness: Kafka assigned (Kafka mode), ClickHouse reachable, state rebuilt. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean | string> }>;
}

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

/** The HTTP API (fastify). Created by the composition root; tests drive it with `app.inject()`. */
export async function createApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger, disableRequestLogging: true });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
    const result = await deps.readiness();
    return reply.code(result.ready ? 200 : 503).send(result);
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  app.get<{ Params: { orderId: string } }>(
    '/orders/:orderId',
    {
      schema: {
        params: {
          type: 'object',
          properties: { orderId: { type: 'string', minLength: 1, maxLength: 128 } },
          required: ['orderId'],
        },
        response: { 404: errorSchema },
      },
    },
    async (req, reply) => {
      const view = await deps.getOrder(req.params.orderId);
      if (view === null) {
        return reply.code(404).send({ error: 'ORDER_NOT_FOUND', message: `no order ${req.params.orderId}` });
      }
      return view;
    },
  );

  return app;
}
