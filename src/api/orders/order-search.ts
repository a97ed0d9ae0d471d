import type { ClickHouseClient } from '@clickhouse/client';
import { TABLES, qualifiedTable, queryJson } from '../../sinks/index.js';
import type { SearchKey } from './search-cursor.js';

/** Search filters; every one given must match. `phone` matches the customer's or the ship-to phone. */
export interface OrderFilters {
  customer_id?: string;
  phone?: string;
  tracking_no?: string;
  status?: string;
  exception?: string;
  channel?: string;
}

export interface OrderSearchPage {
  /** Golden views as stored, newest first. */
  orders: unknown[];
  /** Where the next page starts; null on the last page. */
  next: SearchKey | null;
}

/**
 * The condition each filter adds. Only these constant fragments are joined into the statement;
 * every value travels as a typed query parameter.
 */
const FILTER_SQL: Record<keyof OrderFilters, string> = {
  customer_id: 'customer_id = {customer_id:String}',
  phone: '(customer_phone = {phone:String} OR ship_phone = {phone:String})',
  tracking_no: 'has(tracking_nos, {tracking_no:String})',
  status: 'status = {status:String}',
  exception: 'has(exceptions, {exception:String})',
  channel: 'channel = {channel:String}',
};

/** The page order as one tuple, so "after the cursor" is a single tuple comparison. */
const SORT_KEY = '(isNotNull(created_at), ifNull(toUnixTimestamp64Milli(created_at), 0), order_id)';
const AFTER_CURSOR = `${SORT_KEY} < ({after_known:UInt8}, {after_ms:Int64}, {after_id:String})`;

/**
 * One page of live orders (`golden_orders FINAL`, newest version of each, deleted ones excluded)
 * matching the filters, newest first, with keyset pagination: a page never repeats or skips an
 * order that existed when the search started, however many pages follow. Reads `limit + 1` rows
 * to know whether another page exists.
 */
export async function searchOrders(
  target: { client: ClickHouseClient; database: string },
  filters: OrderFilters,
  page: { limit: number; after: SearchKey | null },
): Promise<OrderSearchPage> {
  const conditions = ['is_deleted = 0'];
  const params: Record<string, unknown> = { limit: page.limit + 1 };
  for (const name of Object.keys(FILTER_SQL) as Array<keyof OrderFilters>) {
    const value = filters[name];
    if (value === undefined) continue;
    conditions.push(FILTER_SQL[name]);
    params[name] = value;
  }
  if (page.after !== null) {
    conditions.push(AFTER_CURSOR);
    params.after_known = page.after.createdAt === null ? 0 : 1;
    params.after_ms = page.after.createdAt ?? 0;
    params.after_id = page.after.orderId;
  }
  const rows = await queryJson<{ order_id: string; created_ms: number | string | null; view: string }>(
    target.client,
    `SELECT order_id, toUnixTimestamp64Milli(created_at) AS created_ms, view
     FROM ${qualifiedTable(target.database, TABLES.golden)} FINAL
     WHERE ${conditions.join(' AND ')}
     ORDER BY ${SORT_KEY} DESC
     LIMIT {limit:UInt32}`,
    params,
  );
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  const last = shown[shown.length - 1];
  return {
    orders: shown.map((r) => JSON.parse(r.view) as unknown),
    next: more && last !== undefined ? { createdAt: last.created_ms === null ? null : Number(last.created_ms), orderId: last.order_id } : null,
  };
}
