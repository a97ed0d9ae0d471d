import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.js';

/** What `/ready` reports: ready only when every check passed. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean | string>;
}

/** Liveness, readiness and Prometheus metrics: public, for orchestrators and scrapers. */
export function registerOpsRoutes(app: FastifyInstance, deps: { metrics: Metrics; readiness: () => Promise<Readiness> }): void {
  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] } },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const readinessSchema = {
    type: 'object',
    properties: {
      ready: { type: 'boolean' },
      checks: {
        type: 'object',
        description: 'kafka_assigned, clickhouse, state_rebuilt: true, or why not',
        additionalProperties: { type: ['boolean', 'string'] },
      },
    },
    required: ['ready', 'checks'],
  } as const;

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: Kafka partitions assigned, ClickHouse reachable, golden state rebuilt',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const result = await deps.readiness();
      return reply.code(result.ready ? 200 : 503).send(result);
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.header('content-type', deps.metrics.registry.contentType).send(body);
    },
  );
}
