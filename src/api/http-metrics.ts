import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

/** Counts and times every answered request by its route pattern (bounded labels: never the raw URL). */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.httpRequestSeconds.observe({ route }, reply.elapsedTime / 1000);
  });
}
