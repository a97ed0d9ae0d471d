import type { ClickHouseClient } from '@clickhouse/client';
import { TABLES, qualifiedTable, queryJson } from '../../sinks/index.js';
import type { SearchKey } from './search-cursor.js';
import { identifierSql, normalizeIdentifier, normalizePhone, phoneSql } from './search-terms.js';

/**
 * Search filters; every one given must match. `phone` matches the customer's or the ship-to phone,
 * compared without separators or +86 (see {@link normalizePhone}); `tracking_no` and
 * `fulfillment_id` compare case-insensitively (see {@link normalizeIdentifier}).
 */
export interface OrderFilters {
  customer_id?: string;
  phone?: string;
  tracking_no?: string;
  fulfillment_id?: string;
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
 * every value travels as a typed query parameter, normalized by {@link TERM} while the stored side
 * is normalized by the same rule in SQL. Fulfillment ids have no column of their own: they are
 * read from the view, as a search by fulfillment id is rare.
 */
const FILTER_SQL: Record<keyof OrderFilters, string> = {
  customer_id: 'customer_id = {customer_id:String}',
  phone: `(${phoneSql('customer_phone')} = {phone:String} OR ${phoneSql('ship_phone')} = {phone:String})`,
  tracking_no: `arrayExists(t -> ${identifierSql('t')} = {tracking_no:String}, tracking_nos)`,
  fulfillment_id: `arrayExists(f -> ${identifierSql("JSONExtractString(f, 'fulfillment_id')")} = {fulfillment_id:String}, JSONExtractArrayRaw(view, 'fulfillments'))`,
  status: 'status = {status:String}',
  exception: 'has(exceptions, {exception:String})',
  channel: 'channel = {channel:String}',
};

/** How a filter value is brought to the form its condition compares; the others compare as given. */
const TERM: Partial<Record<keyof OrderFilters, (typed: string) => string>> = {
  phone: normalizePhone,
  tracking_no: normalizeIdentifier,
  fulfillment_id: normalizeIdentifier,
};

/** The page order as one tuple, so "after the cursor" is a single tuple comparison. */
const SORT_KEY = '(isNotNull(created_at), ifNull(toUnixTimestamp64Milli(created_at), 0), order_id)';
const AFTER_CURSOR = `${SORT_KEY} < ({after_known:UInt8}, {after_ms:Int64}, {after_id:String})`;

/**
 * One page of live orders (`golden_orders FINAL`, newest version of each, deleted ones excluded)
 * matching the filters, newest first, with keyset pagination: a page never repeats or skips an
 * order that existed when the search started, however many pages follow. Reads `limit + 1` rows
 * to know whether another page exists. A phone or identifier that normalizes to nothing (`---`,
 * blanks) matches no order.
 */
export async function searchOrders(
  target: { client: ClickHouseClient; database: string },
  filters: OrderFilters,
  page: { limit: number; after: SearchKey | null },
): Promise<OrderSearchPage> {
  const conditions = ['is_deleted = 0'];
  const params: Record<string, unknown> = { limit: page.limit + 1 };
  for (const name of Object.keys(FILTER_SQL) as Array<keyof OrderFilters>) {
    const typed = filters[name];
    if (typed === undefined) continue;
    const value = TERM[name]?.(typed) ?? typed;
    if (value === '') return { orders: [], next: null };
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
