import { qualifiedTable } from './identifier.js';
import type { Migration } from './migrations.js';
import { TABLES } from './table-names.js';
import { checkRow, type FieldCheck, flag, millis, text, uint, unsignedDecimal } from './row-checks.js';
import type { TableEncoding } from './table-encoding.js';

/**
 * One source message exactly as it arrived, kept so that it can be decoded again with other
 * pipeline files (`orderlake sandbox`). Written by ingest in the commit lane, beside dead letters:
 * a Kafka offset is committed only once its message is stored here.
 */
export interface RawEventRow {
  /** The order the message names once decoded by the pipelines of the time; '' when unknown (tracking events that name no order, dead letters). */
  order_id: string;
  topic: string;
  partition: number;
  /** Kafka offset (or the replay line's position within its topic), decimal. */
  offset: string;
  /** Replay file line, 0 for Kafka and the simulator. */
  line: number;
  /** Kafka timestamp (or the replay line's), epoch ms. */
  kafka_time: number;
  ingested_at: number;
  /** Base64 of the key bytes ('' for a null key). */
  key: string;
  /** Base64 of the value bytes ('' for a tombstone). */
  value: string;
  /** 1 for a null value (a tombstone). */
  tombstone: 0 | 1;
}

const RAW_EVENT_FIELDS: Record<keyof RawEventRow, FieldCheck> = {
  order_id: text, topic: text, partition: uint(32), offset: unsignedDecimal, line: uint(32), kafka_time: millis,
  ingested_at: millis, key: text, value: text, tombstone: flag,
};

export const RAW_EVENT_ENCODING: TableEncoding<RawEventRow> = {
  table: TABLES.rawEvents,
  columns: ['order_id', 'topic', 'partition', 'offset', 'line', 'kafka_time', 'ingested_at', 'key', 'value', 'tombstone'],
  values: (r) => [r.order_id, r.topic, r.partition, r.offset, r.line, r.kafka_time, r.ingested_at, r.key, r.value, r.tombstone],
  check: (r) => checkRow(r, RAW_EVENT_FIELDS),
};

const UTC_MS = "DateTime64(3, 'UTC')";

/**
 * Migration 9: `raw_events`. Sorted by order first, so "every message of these orders" (what the
 * sandbox asks, batch after batch) reads a few ranges; the messages of no known order share the ''
 * range, sorted by position, so the sandbox finds a linked tracking message by the position its lake
 * row records. A re-delivered message has the same key and collapses. The minmax index on
 * `kafka_time` keeps a window scan to the parts of that window. Values are base64 text: the insert
 * format is JSON, which cannot carry arbitrary bytes; ZSTD takes most of the inflation back.
 */
export const RAW_EVENTS_MIGRATION: Migration = {
  version: 9,
  name: 'create_raw_events',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.rawEvents)} (
      order_id String,
      topic LowCardinality(String),
      \`partition\` UInt32,
      \`offset\` UInt64,
      line UInt32,
      kafka_time ${UTC_MS},
      ingested_at ${UTC_MS},
      key String CODEC(ZSTD(1)),
      value String CODEC(ZSTD(1)),
      tombstone UInt8,
      INDEX raw_kafka_time kafka_time TYPE minmax GRANULARITY 1
    ) ENGINE = ReplacingMergeTree
    ORDER BY (order_id, topic, \`partition\`, \`offset\`)`,
  ],
};
