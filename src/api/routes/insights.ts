import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import { readHealthInsights } from '../../sinks/index.js';
import { requireRole } from '../auth/index.js';
import { bearerSecurity, protectedErrors } from './route-schemas.js';

export interface InsightRouteDeps {
  client: ClickHouseClient;
  database: string;
  /** Wall clock, epoch ms: `generated_at` and the last day of `otd`. Default `Date.now`. */
  now?: () => number;
}

/** Most days of on-time delivery one request may ask for. */
export const MAX_OTD_DAYS = 366;
export const DEFAULT_OTD_DAYS = 30;

const int = (description: string) => ({ type: 'integer', minimum: 0, description }) as const;
const nullableNumber = (description: string) => ({ type: ['number', 'null'], description }) as const;
const nullableInt = (description: string) => ({ type: ['integer', 'null'], description }) as const;
const str = (description: string) => ({ type: 'string', description }) as const;

/** An array of objects whose every listed property is required. */
function rows(description: string, properties: Record<string, object>) {
  return {
    type: 'array',
    description,
    items: { type: 'object', properties, required: Object.keys(properties) },
  } as const;
}

const healthSchema = {
  type: 'object',
  properties: {
    generated_at: { type: 'string', format: 'date-time', description: 'When the figures were read (server clock).' },
    otd_days: int('UTC days `otd` covers, today included.'),
    otd: rows('On-time delivery by UTC day of delivery and channel (health_otd_daily).', {
      day: { type: 'string', format: 'date', description: 'UTC day of delivery.' },
      channel: str('Sales channel; UNKNOWN while the CRM row is unknown.'),
      delivered: int('Orders delivered that day.'),
      on_time: int('Delivered at or before promised_delivery_at.'),
      late: int('Delivered after promised_delivery_at.'),
      otd_rate: nullableNumber('on_time / (on_time + late); null when no delivered order had a promise.'),
    }),
    cases_by_rule: rows('Exception cases per rule, every case stored (health_cases_by_rule).', {
      rule: str('Rule name.'),
      opened: int('Cases opened.'),
      open: int('Cases not resolved now.'),
      self_healed: int('Resolved by the missing event arriving.'),
      by_agent: int('Resolved by an agent.'),
      self_heal_rate: nullableNumber('self_healed / resolved; null while none is resolved.'),
      resolve_p50_s: nullableNumber('Opening to resolution, seconds, median.'),
      resolve_p90_s: nullableNumber('Opening to resolution, seconds, 90th percentile.'),
    }),
    freshness: rows('Per source system: source event time to stored (health_source_freshness).', {
      source: str('crm, wms or tms.'),
      events: int('Events stored in the last hour.'),
      p50_ms: nullableInt('Event time to stored, ms, median over the last hour.'),
      p99_ms: nullableInt('Event time to stored, ms, 99th percentile over the last hour.'),
      lag_ms: nullableInt('Now minus the newest event time of the source, ms.'),
    }),
    stuck: rows('Orders with an open case of a waiting rule, by current status and rule (health_stuck_now).', {
      stage: str("The order's canonical status now; UNKNOWN without a golden view."),
      rule: str('Waiting rule.'),
      orders: int('Orders stuck.'),
      breached: int('Of those, past the threshold (the rest are at risk).'),
    }),
    cancellations: rows('Cancellations and returns per channel (health_cancellations).', {
      channel: str('Sales channel; UNKNOWN while the CRM row is unknown.'),
      orders: int('Orders (deleted ones excluded).'),
      cancelled: int('Orders whose newest CRM row is CANCELLED.'),
      returned: int('Orders with a RETURN after-sales case not rejected.'),
      cancel_rate: { type: 'number', description: 'cancelled / orders.' },
      return_rate: { type: 'number', description: 'returned / orders.' },
    }),
    strategy_changes: rows('Rule and pipeline file versions going live, newest first (health_strategy_changes).', {
      kind: str('rules or pipelines.'),
      file: str('The file.'),
      changed_at: { type: 'string', format: 'date-time', description: 'File modification time.' },
      live_at: { type: 'string', format: 'date-time', description: 'First loaded by a worker.' },
      response_s: { type: 'number', description: 'live_at − changed_at, seconds.' },
    }),
  },
  required: ['generated_at', 'otd_days', 'otd', 'cases_by_rule', 'freshness', 'stuck', 'cancellations', 'strategy_changes'],
} as const;

/** `GET /insights/health`: the health figures, read from the ClickHouse health views. */
export function registerInsightRoutes(app: FastifyInstance, deps: InsightRouteDeps): void {
  const now = deps.now ?? Date.now;
  app.get<{ Querystring: { days: number } }>(
    '/insights/health',
    {
      onRequest: requireRole('agent'),
      schema: {
        tags: ['insights'],
        summary: 'Order health figures: on-time delivery, cases per rule, source freshness, stuck orders, cancellations, strategy changes',
        description:
          'Read at request time from the ClickHouse views health_* (the same ones the Grafana dashboard ' +
          'dashboards/grafana/orderlake-health.json reads). `days` bounds `otd` only; the other figures cover every case, ' +
          'every current order, and the last hour of the lake (freshness).',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            days: { type: 'integer', minimum: 1, maximum: MAX_OTD_DAYS, default: DEFAULT_OTD_DAYS, description: 'UTC days of on-time delivery, today included.' },
          },
        },
        response: { 200: healthSchema, ...protectedErrors },
      },
    },
    async (request) => readHealthInsights({ client: deps.client, database: deps.database, now: now(), otdDays: request.query.days }),
  );
}
