import type { ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import {
  CASE_ENCODING,
  GOLDEN_ENCODING, LAKE_ENCODING,
  MIGRATIONS,
  encodeJsonCompactRows,
  insertEncoded,
  recordConfigChanges,
  runMigrations,
  type CaseRow,
  type GoldenRow,
  type LakeRow,
  type Migration,
  type TableEncoding
} from '../../src/sinks/index.js';

/**
 * A small, hand-counted data set for the health views: golden views, exception cases, lake events
 * and config changes whose every figure is written out below, so the views, the reader, the API
 * route and the Grafana queries can be checked exactly.
 */

const at = (iso: string): number => Date.parse(iso);

/** The schema with the health views (every migration). */
export function healthTestMigrations(): Migration[] {
  return [...MIGRATIONS];
}

export async function migrateForHealth(client: ClickHouseClient, database: string): Promise<void> {
  await runMigrations({ client, database, logger: pino({ level: 'silent' }), migrations: healthTestMigrations() });
}

async function insertRows<Row>(client: ClickHouseClient, database: string, encoding: TableEncoding<Row>, rows: readonly Row[]): Promise<void> {
  for (const row of rows) {
    const problem = encoding.check(row);
    if (problem !== undefined) throw new Error(`fixture row does not fit ${encoding.table}: ${problem}`);
  }
  await insertEncoded(client, { database, table: encoding.table, columns: encoding.columns, body: await encodeJsonCompactRows(rows, encoding.values) });
}

// ---------------------------------------------------------------------------------------------
// Golden views

interface ViewParts {
  channel?: string | null;
  status?: string | null;
  delivered_at?: string | null;
  promised_delivery_at?: string | null;
  cancelled_at?: string | null;
  after_sales?: Array<{ case_type: string; status: string }>;
}

function golden(orderId: string, version: number, parts: ViewParts): GoldenRow {
  const channel = parts.channel === undefined ? 'TMALL' : parts.channel;
  const status = parts.status ?? null;
  const view = {
    order_id: orderId,
    channel,
    after_sales: (parts.after_sales ?? []).map((c, i) => ({
      case_id: `AS-${orderId}-${i}`,
      case_type: c.case_type,
      status: c.status,
      sku: 'SKU-1',
      quantity: 1,
      refund_amount: null,
      replacement_sku: null,
    })),
    promised_delivery_at: parts.promised_delivery_at ?? null,
    delivered_at: parts.delivered_at ?? null,
    cancelled_at: parts.cancelled_at ?? null,
    status,
    version,
    updated_at: '2026-11-22T00:00:00.000Z',
  };
  return {
    order_id: orderId,
    version,
    updated_at: at('2026-11-22T00:00:00.000Z') + version,
    is_deleted: 0,
    owner_partition: 0,
    status,
    channel,
    customer_id: null,
    customer_phone: null,
    ship_phone: null,
    tracking_nos: [],
    exceptions: [],
    created_at: null,
    view,
  };
}

const GOLDEN_ROWS: GoldenRow[] = [
  // 2026-11-20, TMALL: on time, late, exactly at the promise (on time).
  golden('A1', 1, { status: 'DELIVERED', delivered_at: '2026-11-20T10:00:00.000Z', promised_delivery_at: '2026-11-20T12:00:00.000Z' }),
  golden('A2', 1, { status: 'DELIVERED', delivered_at: '2026-11-20T15:00:00.000Z', promised_delivery_at: '2026-11-20T12:00:00.000Z' }),
  golden('A3', 1, { status: 'DELIVERED', delivered_at: '2026-11-20T12:00:00.000Z', promised_delivery_at: '2026-11-20T12:00:00.000Z' }),
  // 2026-11-21, JD: delivered without a known promise (delivered, neither on time nor late).
  golden('A4', 1, { channel: 'JD', status: 'DELIVERED', delivered_at: '2026-11-21T01:00:00.000Z' }),
  // The last millisecond of 2026-11-21 (UTC), on time.
  golden('A5', 1, { status: 'DELIVERED', delivered_at: '2026-11-21T23:59:59.999Z', promised_delivery_at: '2026-11-22T00:00:00.000Z' }),
  // Version 1 delivered late, version 2 (newest) is a cancellation with no delivery: only v2 counts.
  golden('A6', 1, { status: 'DELIVERED', delivered_at: '2026-11-20T18:00:00.000Z', promised_delivery_at: '2026-11-20T12:00:00.000Z' }),
  golden('A6', 2, { status: 'CANCELLED', cancelled_at: '2026-11-20T09:00:00.000Z', promised_delivery_at: '2026-11-20T12:00:00.000Z' }),
  // Delivered, then deleted in the CRM: counts nowhere.
  golden('A7', 1, { status: 'DELIVERED', delivered_at: '2026-11-20T10:00:00.000Z', promised_delivery_at: '2026-11-20T12:00:00.000Z' }),
  { ...golden('A7', 2, { channel: null }), is_deleted: 1, view: '' },
  // A partial view (no CRM row: no channel, no promise), delivered.
  golden('A8', 1, { channel: null, status: 'DELIVERED', delivered_at: '2026-11-20T20:00:00.000Z' }),
  // Cancellations and returns.
  golden('C1', 1, { status: 'CANCELLED', cancelled_at: '2026-11-19T08:00:00.000Z' }),
  golden('C2', 1, { channel: 'JD', status: 'SHIPPED', cancelled_at: '2026-11-19T09:00:00.000Z' }),
  golden('R1', 1, { status: 'REFUNDED', after_sales: [{ case_type: 'RETURN', status: 'REFUNDED' }] }),
  golden('R2', 1, { status: 'PAID', after_sales: [{ case_type: 'RETURN', status: 'REJECTED' }] }),
  golden('R3', 1, { channel: 'JD', status: 'RETURN_REQUESTED', after_sales: [{ case_type: 'EXCHANGE', status: 'REQUESTED' }, { case_type: 'RETURN', status: 'REQUESTED' }] }),
  golden('R4', 1, { channel: 'JD', status: 'REFUNDED', after_sales: [{ case_type: 'REFUND_ONLY', status: 'REFUNDED' }] }),
  // Orders with stuck cases (P5 has no golden view).
  golden('P1', 1, { channel: 'MEITUAN', status: 'PICKING' }),
  golden('P2', 1, { channel: 'MEITUAN', status: 'PAID' }),
];

// ---------------------------------------------------------------------------------------------
// Exception cases

interface CaseParts {
  case_id: string;
  rule: string;
  version?: number;
  subject?: 'order' | 'shipment' | 'source';
  order_id?: string | null;
  status?: 'open' | 'acknowledged' | 'resolved';
  breached?: boolean;
  opened_at: string;
  resolved_at?: string | null;
  resolution?: 'self_healed' | 'by_agent' | null;
  evidence?: Record<string, unknown>;
}

function caseRow(p: CaseParts): CaseRow {
  const subject = p.subject ?? 'order';
  const orderId = p.order_id === undefined ? (subject === 'order' ? 'P1' : null) : p.order_id;
  const opened = at(p.opened_at);
  const breachedAt = p.breached ? opened : null;
  const body = {
    case_id: p.case_id,
    rule: p.rule,
    subject,
    order_id: orderId,
    tracking_no: subject === 'shipment' ? 'SF-1' : null,
    source: subject === 'source' ? 'wms' : null,
    status: p.status ?? 'open',
    at_risk: !p.breached,
    opened_at: p.opened_at,
    breached_at: p.breached ? p.opened_at : null,
    resolved_at: p.resolved_at ?? null,
    resolution: p.resolution ?? null,
    evidence: p.evidence ?? { status: 'PAID', paid_at: p.opened_at, released_at: null },
    version: p.version ?? 1,
    history: [],
  };
  return {
    case_id: p.case_id,
    version: p.version ?? 1,
    rule: p.rule,
    subject,
    order_id: orderId,
    tracking_no: subject === 'shipment' ? 'SF-1' : null,
    source: subject === 'source' ? 'wms' : null,
    owner_partition: 0,
    severity: 'warning',
    queue: 'fulfillment-ops',
    status: p.status ?? 'open',
    at_risk: p.breached ? 0 : 1,
    channel: null,
    threshold_ms: 45 * 60_000,
    since: opened,
    due_at: opened,
    opened_at: opened,
    at_risk_at: p.breached ? null : opened,
    breached_at: breachedAt,
    updated_at: p.resolved_at ? at(p.resolved_at) : opened,
    resolved_at: p.resolved_at ? at(p.resolved_at) : null,
    resolution: p.resolution ?? null,
    assignee: null,
    written_at: at('2026-11-22T00:00:00.000Z'),
    body,
  };
}

const PAID = 'paid-not-released';
const RELEASED = 'released-not-shipped';
const resolved = (case_id: string, rule: string, opened_at: string, resolved_at: string, resolution: 'self_healed' | 'by_agent', order_id: string): CaseParts => ({
  case_id, rule, order_id, opened_at, resolved_at, resolution, status: 'resolved',
});

const CASE_ROWS: CaseRow[] = [
  // paid-not-released: three open (two of them on P2), three resolved in 60 s, 300 s and 120 s.
  caseRow({ case_id: 'K1', rule: PAID, order_id: 'P1', opened_at: '2026-11-21T10:00:00.000Z' }),
  caseRow({ case_id: 'K2', rule: PAID, order_id: 'P2', breached: true, opened_at: '2026-11-21T10:00:00.000Z' }),
  caseRow({ case_id: 'K11', rule: PAID, order_id: 'P2', opened_at: '2026-11-21T11:00:00.000Z' }),
  caseRow(resolved('K3', PAID, '2026-11-21T10:00:00.000Z', '2026-11-21T10:01:00.000Z', 'self_healed', 'Q3')),
  caseRow(resolved('K4', PAID, '2026-11-21T10:00:00.000Z', '2026-11-21T10:05:00.000Z', 'by_agent', 'Q4')),
  // K5: version 1 open, version 2 self-healed after 120 s; only version 2 counts.
  caseRow({ case_id: 'K5', rule: PAID, order_id: 'Q5', opened_at: '2026-11-21T10:00:00.000Z' }),
  caseRow({ ...resolved('K5', PAID, '2026-11-21T10:00:00.000Z', '2026-11-21T10:02:00.000Z', 'self_healed', 'Q5'), version: 2 }),
  // released-not-shipped: two open, one acknowledged; P5 has no golden view.
  caseRow({ case_id: 'K6', rule: RELEASED, order_id: 'P1', breached: true, opened_at: '2026-11-21T12:00:00.000Z' }),
  caseRow({ case_id: 'K7', rule: RELEASED, order_id: 'P5', status: 'acknowledged', opened_at: '2026-11-21T12:30:00.000Z' }),
  // An exception rule's case (evidence with codes): counted by rule, never as stuck.
  caseRow({
    case_id: 'K8', rule: 'carrier-exception', order_id: 'P2', breached: true, opened_at: '2026-11-21T13:00:00.000Z',
    evidence: { codes: ['DELIVERY_EXCEPTION'], status: 'DELIVERY_EXCEPTION' },
  }),
  // A source case and a shipment case: not order cases, never stuck.
  caseRow({ case_id: 'K9', rule: 'source-silent', subject: 'source', order_id: null, breached: true, opened_at: '2026-11-21T14:00:00.000Z', evidence: { last_event_at: null } }),
  caseRow({
    ...resolved('K10', 'unlinked-shipment', '2026-11-21T15:00:00.000Z', '2026-11-21T15:00:00.500Z', 'self_healed', 'unused'),
    subject: 'shipment', order_id: null, evidence: { events: 2 },
  }),
];

// ---------------------------------------------------------------------------------------------
// Lake events (relative to now: the freshness view reads the last hour by ClickHouse's clock)

function lake(uid: string, source: string, ingestedAt: number, delayMs: number): LakeRow {
  return {
    event_uid: uid,
    source,
    kind: source,
    order_id: 'P1',
    owner_partition: 0,
    topic: `${source}.topic`,
    partition: 0,
    offset: '0',
    line: 0,
    event_time: ingestedAt - delayMs,
    kafka_time: ingestedAt - delayMs,
    ingested_at: ingestedAt,
    payload: { source, uid },
  };
}

const MINUTE = 60_000;

/** The lake rows, stored at `now` minus a few minutes (and some hours ago, outside the window). */
function lakeRows(now: number): LakeRow[] {
  return [
    lake('crm-1', 'crm', now - 10 * MINUTE, 100),
    lake('crm-2', 'crm', now - 5 * MINUTE, 200),
    lake('crm-3', 'crm', now - 1 * MINUTE, 900),
    lake('crm-old', 'crm', now - 120 * MINUTE, 50),
    lake('wms-old', 'wms', now - 180 * MINUTE, 1000),
  ];
}

// ---------------------------------------------------------------------------------------------
// Config changes

export const CONFIG_CHANGES = [
  // The first version of each file a deployment sees is its baseline: not a change, not in the view.
  { kind: 'rules' as const, file: 'pipelines/rules/paid-not-released.yaml', changedAt: at('2026-11-01T08:00:00.000Z'), liveAt: at('2026-11-02T09:00:00.000Z') },
  { kind: 'pipelines' as const, file: 'pipelines/crm.public.orders.yaml', changedAt: at('2026-11-01T08:00:00.000Z'), liveAt: at('2026-11-02T09:00:00.000Z') },
  { kind: 'rules' as const, file: 'pipelines/rules/paid-not-released.yaml', changedAt: at('2026-11-20T10:00:00.000Z'), liveAt: at('2026-11-20T10:00:02.500Z') },
  { kind: 'pipelines' as const, file: 'pipelines/crm.public.orders.yaml', changedAt: at('2026-11-20T09:00:00.000Z'), liveAt: at('2026-11-20T10:00:00.250Z') },
];

/** Inserts every row of the fixture; `now` anchors the lake rows (use the wall clock). */
export async function seedHealthFixture(client: ClickHouseClient, database: string, now: number): Promise<void> {
  // Versions of one key go in separate inserts, as the sink writes them over time.
  await insertRows(client, database, GOLDEN_ENCODING, GOLDEN_ROWS.filter((r) => r.version === 1));
  await insertRows(client, database, GOLDEN_ENCODING, GOLDEN_ROWS.filter((r) => r.version === 2));
  await insertRows(client, database, CASE_ENCODING, CASE_ROWS.filter((r) => r.version === 1));
  await insertRows(client, database, CASE_ENCODING, CASE_ROWS.filter((r) => r.version === 2));
  await insertRows(client, database, LAKE_ENCODING, lakeRows(now));
  await recordConfigChanges(client, database, CONFIG_CHANGES);
}

// ---------------------------------------------------------------------------------------------
// What the views must say

/** `health_otd_daily`, every row, by day then channel. */
export const EXPECTED_OTD = [
  { day: '2026-11-20', channel: 'TMALL', delivered: 3, on_time: 2, late: 1, otd_rate: 2 / 3 },
  { day: '2026-11-20', channel: 'UNKNOWN', delivered: 1, on_time: 0, late: 0, otd_rate: null },
  { day: '2026-11-21', channel: 'JD', delivered: 1, on_time: 0, late: 0, otd_rate: null },
  { day: '2026-11-21', channel: 'TMALL', delivered: 1, on_time: 1, late: 0, otd_rate: 1 },
];

/** `health_cases_by_rule`, by rule. */
export const EXPECTED_CASES_BY_RULE = [
  { rule: 'carrier-exception', opened: 1, open: 1, self_healed: 0, by_agent: 0, self_heal_rate: null, resolve_p50_s: null, resolve_p90_s: null },
  // Resolution times 60, 120, 300 s: quantileExact takes the value at ⌊level × 3⌋ of the sorted set.
  { rule: PAID, opened: 6, open: 3, self_healed: 2, by_agent: 1, self_heal_rate: 2 / 3, resolve_p50_s: 120, resolve_p90_s: 300 },
  { rule: RELEASED, opened: 2, open: 2, self_healed: 0, by_agent: 0, self_heal_rate: null, resolve_p50_s: null, resolve_p90_s: null },
  { rule: 'source-silent', opened: 1, open: 1, self_healed: 0, by_agent: 0, self_heal_rate: null, resolve_p50_s: null, resolve_p90_s: null },
  { rule: 'unlinked-shipment', opened: 1, open: 0, self_healed: 1, by_agent: 0, self_heal_rate: 1, resolve_p50_s: 0.5, resolve_p90_s: 0.5 },
];

/** `health_source_freshness` without `lag_ms` (which moves with the clock), crm, wms, tms. */
export const EXPECTED_FRESHNESS = [
  // Delays 100, 200, 900 ms in the last hour (the event two hours old is outside the window).
  { source: 'crm', events: 3, p50_ms: 200, p99_ms: 900 },
  { source: 'wms', events: 0, p50_ms: null, p99_ms: null },
  { source: 'tms', events: 0, p50_ms: null, p99_ms: null },
];

/**
 * The least `lag_ms` each source can show when read at or after the `now` the fixture was seeded
 * with (the newest event time's distance from `now`); null for a source the lake never saw.
 */
export const EXPECTED_MIN_LAG_MS: Record<string, number | null> = {
  crm: 1 * MINUTE + 900,
  wms: 180 * MINUTE + 1000,
  tms: null,
};

/** `health_stuck_now`, by orders descending, then stage, then rule. */
export const EXPECTED_STUCK = [
  { stage: 'PAID', rule: PAID, orders: 1, breached: 1 },
  { stage: 'PICKING', rule: PAID, orders: 1, breached: 0 },
  { stage: 'PICKING', rule: RELEASED, orders: 1, breached: 1 },
  { stage: 'UNKNOWN', rule: RELEASED, orders: 1, breached: 0 },
];

/** `health_cancellations`, by channel. */
export const EXPECTED_CANCELLATIONS = [
  { channel: 'JD', orders: 4, cancelled: 1, returned: 1, cancel_rate: 1 / 4, return_rate: 1 / 4 },
  { channel: 'MEITUAN', orders: 2, cancelled: 0, returned: 0, cancel_rate: 0, return_rate: 0 },
  { channel: 'TMALL', orders: 8, cancelled: 2, returned: 1, cancel_rate: 2 / 8, return_rate: 1 / 8 },
  { channel: 'UNKNOWN', orders: 1, cancelled: 0, returned: 0, cancel_rate: 0, return_rate: 0 },
];

/** `health_strategy_changes`, newest live_at first. */
export const EXPECTED_STRATEGY_CHANGES = [
  { kind: 'rules', file: 'pipelines/rules/paid-not-released.yaml', changed_at: '2026-11-20T10:00:00.000Z', live_at: '2026-11-20T10:00:02.500Z', response_s: 2.5 },
  { kind: 'pipelines', file: 'pipelines/crm.public.orders.yaml', changed_at: '2026-11-20T09:00:00.000Z', live_at: '2026-11-20T10:00:00.250Z', response_s: 3600.25 },
];

/** A clock for the reader: the day after the last delivery, so `otd` covers every fixture day. */
export const READ_AT = at('2026-11-22T08:00:00.000Z');
