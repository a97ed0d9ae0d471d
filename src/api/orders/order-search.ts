import type { ClickHouseClient } from '@clickhouse/client';
import { GOLDEN_ORDER_FILTERS, searchGoldenOrders, type GoldenOrderFilters } from '../../sinks/index.js';
import type { SearchKey } from './search-cursor.js';
import { normalizeIdentifier, normalizePhone } from './search-terms.js';

/**
 * Search filters; every one given must match. `phone` matches the customer's or the ship-to phone,
 * compared without separators or +86 (see {@link normalizePhone}); `tracking_no` and
 * `fulfillment_id` compare case-insensitively (see {@link normalizeIdentifier}).
 */
export type OrderFilters = GoldenOrderFilters;

export interface OrderSearchPage {
  /** Golden views as stored, newest first. */
  orders: unknown[];
  /** Where the next page starts; null on the last page. */
  next: SearchKey | null;
}

/**
 * How a filter value is brought to the form its condition compares; the others compare as given.
 * The stored side is normalized by the same rule in SQL (`searchGoldenOrders`).
 */
const TERM: Partial<Record<keyof OrderFilters, (typed: string) => string>> = {
  phone: normalizePhone,
  tracking_no: normalizeIdentifier,
  fulfillment_id: normalizeIdentifier,
};

/**
 * One page of live orders matching the filters, newest first, with keyset pagination (see
 * `searchGoldenOrders`). A phone or identifier that normalizes to nothing (`---`, blanks) matches
 * no order.
 */
export async function searchOrders(
  target: { client: ClickHouseClient; database: string },
  filters: OrderFilters,
  page: { limit: number; after: SearchKey | null },
): Promise<OrderSearchPage> {
  const terms: OrderFilters = {};
  for (const name of GOLDEN_ORDER_FILTERS) {
    const typed = filters[name];
    if (typed === undefined) continue;
    const value = TERM[name]?.(typed) ?? typed;
    if (value === '') return { orders: [], next: null };
    terms[name] = value;
  }
  const found = await searchGoldenOrders({ client: target.client, database: target.database, filters: terms, limit: page.limit, after: page.after });
  const last = found.orders[found.orders.length - 1];
  return {
    orders: found.orders.map((o) => o.view),
    next: found.more && last !== undefined ? last.key : null,
  };
}
