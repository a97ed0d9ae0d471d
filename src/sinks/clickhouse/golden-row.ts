import { TABLES } from './table-names.js';
import { checkRow, type FieldCheck, flag, jsonDocument, type JsonObject, millis, nullableMillis, nullableText, text, texts, uint } from './row-checks.js';
import type { TableEncoding } from './table-encoding.js';

/**
 * One version of an order's golden view in `golden_orders`: the full view JSON plus the columns
 * worth filtering on. Built from plain values so the sink does not depend on the golden stage.
 */
export interface GoldenRow {
  order_id: string;
  /** Rises by one per view change; ReplacingMergeTree keeps the highest. */
  version: number;
  /** Epoch ms. */
  updated_at: number;
  /** 1 when the order was deleted: the row hides the order from lookups but keeps its version. */
  is_deleted: 0 | 1;
  owner_partition: number;
  status: string | null;
  channel: string | null;
  customer_id: string | null;
  customer_phone: string | null;
  ship_phone: string | null;
  tracking_nos: string[];
  exceptions: string[];
  /** Epoch ms, or null while the CRM row is unknown. */
  created_at: number | null;
  /** The golden view: its JSON text or the view object (stored as its JSON text); '' for a deleted order. */
  view: string | JsonObject;
  /** The pipeline and rule version of the batch that produced this version (live reload, migration 11); '' when unknown. */
  config_version?: string;
}

const GOLDEN_FIELDS: Record<keyof GoldenRow, FieldCheck> = {
  order_id: text, version: uint(64), updated_at: millis, is_deleted: flag, owner_partition: uint(16),
  status: nullableText, channel: nullableText, customer_id: nullableText, customer_phone: nullableText,
  ship_phone: nullableText, tracking_nos: texts, exceptions: texts, created_at: nullableMillis, view: jsonDocument,
  config_version: (v) => v === undefined || text(v),
};

export const GOLDEN_ENCODING: TableEncoding<GoldenRow> = {
  table: TABLES.golden,
  columns: ['order_id', 'version', 'updated_at', 'is_deleted', 'owner_partition', 'status', 'channel', 'customer_id', 'customer_phone', 'ship_phone', 'tracking_nos', 'exceptions', 'created_at', 'view', 'config_version'],
  values: (r) => [r.order_id, r.version, r.updated_at, r.is_deleted, r.owner_partition, r.status, r.channel, r.customer_id, r.customer_phone, r.ship_phone, r.tracking_nos, r.exceptions, r.created_at, r.view, r.config_version ?? ''],
  check: (r) => checkRow(r, GOLDEN_FIELDS),
};
