import { TABLES } from './table-names.js';
import { checkRow, type FieldCheck, jsonDocument, type JsonObject, millis, text, uint, unsignedDecimal } from './row-checks.js';
import type { TableEncoding } from './table-encoding.js';

/**
 * One normalized event routed to an order, as stored in `lake_events`. Every time is epoch ms.
 * Re-delivered events share `event_uid` and collapse in the table's ReplacingMergeTree.
 */
export interface LakeRow {
  event_uid: string;
  source: string;
  kind: string;
  order_id: string;
  /** The internal partition that owns the order: what a worker reloads on takeover. */
  owner_partition: number;
  topic: string;
  partition: number;
  /** Kafka offset as a decimal string (int64), as in `SourcePosition`. */
  offset: string;
  /** Replay file line, 0 when the event came from Kafka or the simulator. */
  line: number;
  event_time: number;
  kafka_time: number;
  ingested_at: number;
  /** The canonical event: its JSON text, or the event object itself (stored as its JSON text). */
  payload: string | JsonObject;
  /**
   * The order's version right after the batch that merged this event (a re-delivery that changed
   * nothing carries the version the order had then, never less than its first copy, so whichever
   * copy ReplacingMergeTree keeps still records it). A takeover restores each order at the highest
   * version of its lake rows or golden rows: golden rows may lag the lake. The merge always sets
   * it; rows of other writers (fixtures, tools) default to 0, as do rows stored before migration 7.
   */
  order_version?: number;
  /**
   * `updated_at` of `order_version` (epoch ms), the same on every row that records that version, so
   * whichever copy ReplacingMergeTree keeps tells a takeover when the version was made (migration
   * 12). Defaults to `ingested_at` when absent (rows of other writers).
   */
  order_version_at?: number;
  /** The pipeline and rule version that normalized the event (live reload, migration 11); '' when unknown. */
  config_version?: string;
}

const LAKE_FIELDS: Record<keyof LakeRow, FieldCheck> = {
  event_uid: text, source: text, kind: text, order_id: text, owner_partition: uint(16), topic: text,
  partition: uint(32), offset: unsignedDecimal, line: uint(32), event_time: millis, kafka_time: millis,
  ingested_at: millis, payload: jsonDocument, order_version: (v) => v === undefined || uint(64)(v),
  order_version_at: (v) => v === undefined || millis(v),
  config_version: (v) => v === undefined || text(v),
};

export const LAKE_ENCODING: TableEncoding<LakeRow> = {
  table: TABLES.lake,
  columns: ['event_uid', 'source', 'kind', 'order_id', 'owner_partition', 'topic', 'partition', 'offset', 'line', 'event_time', 'kafka_time', 'ingested_at', 'payload', 'order_version', 'order_version_at', 'config_version'],
  values: (r) => [r.event_uid, r.source, r.kind, r.order_id, r.owner_partition, r.topic, r.partition, r.offset, r.line, r.event_time, r.kafka_time, r.ingested_at, r.payload, r.order_version ?? 0, r.order_version_at ?? r.ingested_at, r.config_version ?? ''],
  check: (r) => checkRow(r, LAKE_FIELDS),
};
