import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import type { ViewSource } from '../../golden/index.js';
import { readOrderEvents } from '../../sinks/index.js';
import { requireRole } from '../auth/index.js';
import { HttpError, errorBodySchema } from '../http-error.js';
import { findOrder, lookupOrder } from '../orders/order-lookup.js';
import { searchOrders, type OrderFilters } from '../orders/order-search.js';
import { computeProvenance } from '../orders/provenance.js';
import { decodeCursor, encodeCursor } from '../orders/search-cursor.js';
import { toTimeline } from '../orders/timeline.js';
import { EXCEPTION_CODES, ORDER_STATUSES, goldenViewSchema } from '../schemas/golden-view-schema.js';
import { provenanceSchema } from '../schemas/provenance-schema.js';
import { timelineEntrySchema } from '../schemas/timeline-schema.js';
import { bearerSecurity, orderIdParams, protectedErrors } from './route-schemas.js';

export interface OrderRouteDeps {
  store: ViewSource;
  client: ClickHouseClient;
  database: string;
}

/** Most orders one search page returns; the default is {@link DEFAULT_PAGE_SIZE}. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

const notFound = { ...errorBodySchema, description: 'No such order (unknown, or deleted in the CRM).' };
const text = (max: number, description: string) => ({ type: 'string', minLength: 1, maxLength: max, description }) as const;

function orderNotFound(orderId: string): HttpError {
  return new HttpError(404, 'OL_ERR_HTTP_NOT_FOUND', `no order ${orderId}`);
}

/** Order lookup (with optional provenance), search and timeline: the agent's routes. */
export function registerOrderRoutes(app: FastifyInstance, deps: OrderRouteDeps): void {
  const agent = requireRole('agent');

  app.get<{ Params: { order_id: string }; Querystring: { include?: 'provenance' } }>(
    '/orders/:order_id',
    {
      onRequest: agent,
      schema: {
        tags: ['orders'],
        summary: 'The golden view of one order',
        description:
          'From this worker\'s memory when it owns the order, else the newest version stored in ClickHouse. ' +
          'An id as typed by a person finds the order too: tried exactly first, then trimmed, then upper case (`so-000725` finds `SO-000725`). ' +
          '`include=provenance` adds, per field group, the source event that set it (computed from the lake at request time).',
        security: bearerSecurity,
        params: orderIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { include: { type: 'string', enum: ['provenance'] } },
        },
        response: {
          200: { ...goldenViewSchema, properties: { ...goldenViewSchema.properties, provenance: provenanceSchema } },
          ...protectedErrors,
          404: notFound,
        },
      },
    },
    async (request) => {
      const view = await findOrder(deps, request.params.order_id);
      if (view === null) throw orderNotFound(request.params.order_id);
      if (request.query.include !== 'provenance') return view;
      return { ...view, provenance: computeProvenance(view, await readOrderEvents({ client: deps.client, database: deps.database, orderId: view.order_id })) };
    },
  );

  app.get<{ Querystring: OrderFilters & { limit: number; cursor?: string } }>(
    '/orders',
    {
      onRequest: agent,
      schema: {
        tags: ['orders'],
        summary: 'Search orders, newest first',
        description:
          'Live orders (`golden_orders FINAL`, deleted ones excluded) matching every filter given, by `created_at` descending then ' +
          '`order_id` descending; orders whose CRM row is not known yet come last. Pass `next_cursor` back as `cursor` for the next page. ' +
          '`phone` compares without spaces, dashes, dots, parentheses or a leading +86/0086 (`+86 155-2439-1640` finds `15524391640`); ' +
          '`tracking_no` and `fulfillment_id` ignore case and surrounding blanks.',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            customer_id: text(128, 'CRM customer id'),
            phone: text(64, 'customer or ship-to phone, in any formatting'),
            tracking_no: text(128, 'tracking number of any shipment or fulfillment, any case'),
            fulfillment_id: text(128, 'WMS fulfillment id, any case'),
            status: { type: 'string', enum: [...ORDER_STATUSES], description: 'canonical status' },
            exception: { type: 'string', enum: [...EXCEPTION_CODES], description: 'exception code the order has' },
            channel: text(64, 'sales channel'),
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
            cursor: text(1024, 'opaque position from a previous page'),
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              orders: { type: 'array', items: goldenViewSchema },
              next_cursor: { type: ['string', 'null'], description: 'null on the last page' },
            },
            required: ['orders', 'next_cursor'],
          },
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filters } = request.query;
      const after = cursor === undefined ? null : decodeCursor(cursor);
      if (after === null && cursor !== undefined) {
        throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', 'querystring/cursor is not a cursor this API returned');
      }
      const page = await searchOrders(deps, filters, { limit, after });
      return { orders: page.orders, next_cursor: page.next === null ? null : encodeCursor(page.next) };
    },
  );

  app.get<{ Params: { order_id: string } }>(
    '/orders/:order_id/timeline',
    {
      onRequest: agent,
      schema: {
        tags: ['orders'],
        summary: 'Every normalized event of one order, in event time',
        description:
          'From the lake (`lake_events FINAL`, re-deliveries collapsed): source, kind, a short summary, source position, ' +
          'arrival time and lag (arrival − event time). A deleted order keeps its timeline.',
        security: bearerSecurity,
        params: orderIdParams,
        response: {
          200: {
            type: 'object',
            properties: { order_id: { type: 'string' }, events: { type: 'array', items: timelineEntrySchema } },
            required: ['order_id', 'events'],
          },
          ...protectedErrors,
          404: notFound,
        },
      },
    },
    async (request) => {
      const orderId = request.params.order_id;
      const events = await readOrderEvents({ client: deps.client, database: deps.database, orderId });
      if (events.length === 0 && (await lookupOrder(deps, orderId)) === null) throw orderNotFound(orderId);
      return { order_id: orderId, events: toTimeline(events) };
    },
  );
}
