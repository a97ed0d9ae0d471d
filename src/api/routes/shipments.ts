import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/index.js';
import { bearerSecurity, protectedErrors } from './route-schemas.js';

/** A shipment whose tracking events wait for the link to their order. */
export interface OrphanShipment {
  trackingNo: string;
  waitingMs: number;
  events: number;
}

/**
 * Orphan shipments: tracking numbers whose events have waited longer than the configured time for
 * a WMS event (or a tracking event naming the order) that links them to an order. They still join
 * their order when the link arrives; this list is for chasing the ones that never get one.
 */
export function registerShipmentRoutes(
  app: FastifyInstance,
  deps: { orphans: () => OrphanShipment[]; orphanAfterMs: number },
): void {
  app.get(
    '/shipments/orphans',
    {
      onRequest: requireRole('agent'),
      schema: {
        tags: ['orders'],
        summary: 'Shipments waiting longer than ORDERLAKE_ORPHAN_AFTER_MS for the link to their order',
        security: bearerSecurity,
        response: {
          200: {
            type: 'object',
            properties: {
              orphan_after_ms: { type: 'integer' },
              shipments: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    tracking_no: { type: 'string' },
                    waiting_ms: { type: 'integer' },
                    events: { type: 'integer' },
                  },
                  required: ['tracking_no', 'waiting_ms', 'events'],
                },
              },
            },
            required: ['orphan_after_ms', 'shipments'],
          },
          ...protectedErrors,
        },
      },
    },
    async () => ({
      orphan_after_ms: deps.orphanAfterMs,
      shipments: deps
        .orphans()
        .sort((a, b) => b.waitingMs - a.waitingMs)
        .map((o) => ({ tracking_no: o.trackingNo, waiting_ms: o.waitingMs, events: o.events })),
    }),
  );
}
