import type { ClickHouseClient } from '@clickhouse/client';
import type { HealthCase } from '../../health/index.js';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/** Which cases a search returns: every given condition must hold. */
export interface CaseSearch {
  queues?: readonly string[];
  severities?: readonly string[];
  rules?: readonly string[];
  /** `active`: open or acknowledged. */
  status?: 'active' | 'open' | 'acknowledged' | 'resolved' | 'all';
  orderId?: string;
  trackingNo?: string;
  /** Largest number of cases returned. */
  limit: number;
}

/**
 * The queue order: severity (critical, warning, info), then age (oldest opened first), then id —
 * a total order, so a page never reshuffles between two reads of unchanged cases.
 */
const QUEUE_ORDER = `multiIf(severity = 'critical', 0, severity = 'warning', 1, 2), opened_at, case_id`;

const parse = (rows: Array<{ body: string }>): HealthCase[] => rows.map((r) => JSON.parse(r.body) as HealthCase);

/** Cases matching `search`, in queue order; `truncated` when more matched than `limit`. */
export async function searchCases(opts: {
  client: ClickHouseClient;
  database: string;
  search: CaseSearch;
}): Promise<{ cases: HealthCase[]; truncated: boolean }> {
  const { search } = opts;
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: search.limit + 1 };
  if (search.queues?.length) {
    where.push('queue IN {queues:Array(String)}');
    params.queues = search.queues;
  }
  if (search.severities?.length) {
    where.push('severity IN {severities:Array(String)}');
    params.severities = search.severities;
  }
  if (search.rules?.length) {
    where.push('rule IN {rules:Array(String)}');
    params.rules = search.rules;
  }
  const status = search.status ?? 'active';
  if (status === 'active') where.push(`status != 'resolved'`);
  else if (status !== 'all') {
    where.push('status = {status:String}');
    params.status = status;
  }
  if (search.orderId !== undefined) {
    where.push('order_id = {orderId:String}');
    params.orderId = search.orderId;
  }
  if (search.trackingNo !== undefined) {
    where.push('tracking_no = {trackingNo:String}');
    params.trackingNo = search.trackingNo;
  }
  const rows = await queryJson<{ body: string }>(
    opts.client,
    `SELECT body FROM ${qualifiedTable(opts.database, TABLES.cases)} FINAL
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ${QUEUE_ORDER} LIMIT {limit:UInt32}`,
    params,
  );
  const cases = parse(rows);
  const truncated = cases.length > search.limit;
  return { cases: truncated ? cases.slice(0, search.limit) : cases, truncated };
}

/** The newest stored version of one case, or null. */
export async function getStoredCase(opts: { client: ClickHouseClient; database: string; caseId: string }): Promise<HealthCase | null> {
  const rows = await queryJson<{ body: string }>(
    opts.client,
    `SELECT body FROM ${qualifiedTable(opts.database, TABLES.cases)} FINAL WHERE case_id = {caseId:String} LIMIT 1`,
    { caseId: opts.caseId },
  );
  return parse(rows)[0] ?? null;
}

/**
 * The stored cases a worker takes over with its partitions: every case (resolved ones too, so a
 * case that reopens goes on from its stored version) of the orders those partitions own, and,
 * with `withShared`, the shipment and source cases.
 */
export async function loadStoredCases(opts: {
  client: ClickHouseClient;
  database: string;
  partitions: readonly number[];
  withShared: boolean;
}): Promise<HealthCase[]> {
  const rows = await queryJson<{ body: string }>(
    opts.client,
    `SELECT body FROM ${qualifiedTable(opts.database, TABLES.cases)} FINAL
     WHERE (subject = 'order' AND owner_partition IN {partitions:Array(UInt16)})
        OR (subject != 'order' AND {withShared:UInt8} = 1)
     ORDER BY case_id`,
    { partitions: opts.partitions, withShared: opts.withShared ? 1 : 0 },
  );
  return parse(rows);
}

/**
 * Orders of `partitions` whose stored golden view carries exception codes but that have no stored
 * case at all: after a crash, a case still on its way to ClickHouse is lost, and an order that
 * restarts asleep is not judged again unless it is woken (see `restoreHealth`).
 */
export async function ordersWithExceptionsAndNoCase(opts: { client: ClickHouseClient; database: string; partitions: readonly number[] }): Promise<string[]> {
  const rows = await queryJson<{ order_id: string }>(
    opts.client,
    `SELECT order_id FROM ${qualifiedTable(opts.database, TABLES.golden)} FINAL
     WHERE owner_partition IN {partitions:Array(UInt16)} AND notEmpty(exceptions)
       AND order_id NOT IN (
         SELECT assumeNotNull(order_id) FROM ${qualifiedTable(opts.database, TABLES.cases)} FINAL
         WHERE subject = 'order' AND order_id IS NOT NULL AND owner_partition IN {partitions:Array(UInt16)}
       )
     ORDER BY order_id`,
    { partitions: opts.partitions },
  );
  return rows.map((r) => r.order_id);
}
