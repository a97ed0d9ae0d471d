import { TABLES } from './table-names.js';
import { checkRow, type FieldCheck, flag, millis, text, texts, uint, unsignedDecimal } from './row-checks.js';
import type { TableEncoding } from './table-encoding.js';

/**
 * A TMS event that names no known order yet, waiting in `pending_shipment_events` for its link.
 * Resolving it is writing the same row again with `resolved: 1`: the table's version column is
 * `resolved`, so the resolved copy always wins and a resolved event never comes back.
 */
export interface PendingShipmentRow {
  event_uid: string;
  tracking_no: string;
  /** The internal link partition that owns the tracking number: what a worker reloads on takeover. */
  link_partition: number;
  /** Every key the event can be linked by (tracking number, fulfillment id, order ref). */
  link_keys: string[];
  topic: string;
  partition: number;
  /** Decimal int64 string. */
  offset: string;
  line: number;
  /** Epoch ms. */
  event_time: number;
  kafka_time: number;
  /** When the event started waiting; the orphan age is measured from here. */
  ingested_at: number;
  /** The canonical TMS event as JSON. */
  payload: string;
  resolved: 0 | 1;
}

const PENDING_SHIPMENT_FIELDS: Record<keyof PendingShipmentRow, FieldCheck> = {
  event_uid: text, tracking_no: text, link_partition: uint(16), link_keys: texts, topic: text,
  partition: uint(32), offset: unsignedDecimal, line: uint(32), event_time: millis, kafka_time: millis,
  ingested_at: millis, payload: text, resolved: flag,
};

export const PENDING_SHIPMENT_ENCODING: TableEncoding<PendingShipmentRow> = {
  table: TABLES.pendingShipments,
  columns: ['event_uid', 'tracking_no', 'link_partition', 'link_keys', 'topic', 'partition', 'offset', 'line', 'event_time', 'kafka_time', 'ingested_at', 'payload', 'resolved'],
  values: (r) => [r.event_uid, r.tracking_no, r.link_partition, r.link_keys, r.topic, r.partition, r.offset, r.line, r.event_time, r.kafka_time, r.ingested_at, r.payload, r.resolved],
  check: (r) => checkRow(r, PENDING_SHIPMENT_FIELDS),
};
