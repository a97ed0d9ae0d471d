import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { identifierSql, phoneSql } from './search-term-sql.js';
import { TABLES } from './table-names.js';

/**
 * What a search of live orders compares; every filter given must match. Values arrive already in
 * the form their condition compares: `phone` normalized as `normalizePhone` does, `tracking_no`
 * and `fulfillment_id` as `normalizeIdentifier` does (the stored side gets the same rule in SQL,
 * see search-term-sql.ts); the others compare as given.
 */
export interface GoldenOrderFilters {
  customer_id?: string;
  phone?: string;
  tracking_no?: string;
  fulfillment_id?: string;
  status?: string;
  exception?: string;
  channel?: string;
}

/** A position in the search order: after this order, the next page starts. */
export interface GoldenOrderSearchKey {
  /** `created_at` in epoch ms, or null for an order whose CRM row is not known yet. */
  createdAt: number | null;
  orderId: string;
}

/** One order of a search page: its view as stored and its position in the search order. */
export interface GoldenOrderHit {
  key: GoldenOrderSearchKey;
  view: unknown;
}

/**
 * The condition each filter adds. Only these constant fragments are joined into the statement;
 * every value travels as a typed query parameter. Fulfillment ids have no column of their own:
 * they are read from the view, as a search by fulfillment id is rare. Phones match the customer's
 * or the ship-to phone.
 */
const FILTER_SQL: Record<keyof GoldenOrderFilters, string> = {
  customer_id: 'customer_id = {customer_id:String}',
  phone: `(${phoneSql('customer_phone')} = {phone:String} OR ${phoneSql('ship_phone')} = {phone:String})`,
  tracking_no: `arrayExists(t -> ${identifierSql('t')} = {tracking_no:String}, tracking_nos)`,
  fulfillment_id: `arrayExists(f -> ${identifierSql("JSONExtractString(f, 'fulfillment_id')")} = {fulfillment_id:String}, JSONExtractArrayRaw(view, 'fulfillments'))`,
  status: 'status = {status:String}',
  exception: 'has(exceptions, {exception:String})',
  channel: 'channel = {channel:String}',
};

/** The filter names, in the order their conditions join the statement. */
export const GOLDEN_ORDER_FILTERS = Object.keys(FILTER_SQL) as ReadonlyArray<keyof GoldenOrderFilters>;

/** The page order as one tuple, so "after the key" is a single tuple comparison. */
const SORT_KEY = '(isNotNull(created_at), ifNull(toUnixTimestamp64Milli(created_at), 0), order_id)';
const AFTER_KEY = `${SORT_KEY} < ({after_known:UInt8}, {after_ms:Int64}, {after_id:String})`;

/**
 * One page of live orders (`golden_orders FINAL`, newest version of each, deleted ones excluded)
 * matching the filters, newest `created_at` first, then `order_id` descending, orders without
 * `created_at` last; with `after`, only the orders after that key (keyset pagination: a page never
 * repeats or skips an order that existed when the search started). Reads `limit + 1` rows so that
 * `more` tells whether another page exists.
 */
export async function searchGoldenOrders(opts: {
  client: ClickHouseClient;
  database: string;
  filters: GoldenOrderFilters;
  limit: number;
  after: GoldenOrderSearchKey | null;
}): Promise<{ orders: GoldenOrderHit[]; more: boolean }> {
  const conditions = ['is_deleted = 0'];
  const params: Record<string, unknown> = { limit: opts.limit + 1 };
  for (const name of GOLDEN_ORDER_FILTERS) {
    const value = opts.filters[name];
    if (value === undefined) continue;
    conditions.push(FILTER_SQL[name]);
    params[name] = value;
  }
  if (opts.after !== null) {
    conditions.push(AFTER_KEY);
    params.after_known = opts.after.createdAt === null ? 0 : 1;
    params.after_ms = opts.after.createdAt ?? 0;
    params.after_id = opts.after.orderId;
  }
  const rows = await queryJson<{ order_id: string; created_ms: number | string | null; view: string }>(
    opts.client,
    `SELECT order_id, toUnixTimestamp64Milli(created_at) AS created_ms, view
     FROM ${qualifiedTable(opts.database, TABLES.golden)} FINAL
     WHERE ${conditions.join(' AND ')}
     ORDER BY ${SORT_KEY} DESC
     LIMIT {limit:UInt32}`,
    params,
  );
  const more = rows.length > opts.limit;
  return {
    orders: (more ? rows.slice(0, opts.limit) : rows).map((r) => ({
      key: { createdAt: r.created_ms === null ? null : Number(r.created_ms), orderId: r.order_id },
      view: JSON.parse(r.view) as unknown,
    })),
    more,
  };
}
