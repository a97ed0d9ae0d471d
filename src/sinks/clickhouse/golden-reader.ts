import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/**
 * The stored golden view of one order, or null when it is unknown or deleted (a 404). `FINAL`
 * keeps only the newest version and drops it when that version is a delete; the lookup follows
 * the table's sort key, so it takes milliseconds.
 */
export async function getGoldenView(opts: { client: ClickHouseClient; database: string; orderId: string }): Promise<unknown> {
  const rows = await queryJson<{ view: string }>(
    opts.client,
    `SELECT view FROM ${qualifiedTable(opts.database, TABLES.golden)} FINAL WHERE order_id = {orderId:String} LIMIT 1`,
    { orderId: opts.orderId },
  );
  const row = rows[0];
  return row === undefined ? null : JSON.parse(row.view);
}

/** One stored view in an export page. */
export interface StoredGoldenView {
  orderId: string;
  version: number;
  view: unknown;
}

/**
 * A page of live golden views in `order_id` order (byte order of UTF-8, i.e. code point order),
 * starting after `afterOrderId`: pass the last `orderId` of a page to get the next one.
 */
export async function listGoldenViews(opts: {
  client: ClickHouseClient;
  database: string;
  limit: number;
  afterOrderId?: string;
}): Promise<StoredGoldenView[]> {
  const rows = await queryJson<{ order_id: string; version: number | string; view: string }>(
    opts.client,
    `SELECT order_id, version, view FROM ${qualifiedTable(opts.database, TABLES.golden)} FINAL
     WHERE order_id > {after:String} ORDER BY order_id LIMIT {limit:UInt32}`,
    { after: opts.afterOrderId ?? '', limit: opts.limit },
  );
  return rows.map((r) => ({ orderId: r.order_id, version: Number(r.version), view: JSON.parse(r.view) }));
}
