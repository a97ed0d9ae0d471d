import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/** A tracking event still waiting for its link. */
export interface PendingShipmentEvent {
  eventUid: string;
  trackingNo: string;
  linkPartition: number;
  linkKeys: string[];
  /** When it started waiting, epoch ms: the orphan age is measured from here. */
  waitingSince: number;
  /** The canonical TMS event (parsed payload). */
  event: unknown;
  /** Where the raw input came from. */
  position: { topic: string; partition: number; offset: string; timestamp: number; line?: number };
}

/**
 * The unresolved tracking events, oldest first, for the link partitions given (all when absent):
 * what the owner of those partitions reloads to keep joining shipments after a restart.
 */
export async function loadPendingShipmentEvents(opts: {
  client: ClickHouseClient;
  database: string;
  partitions?: readonly number[];
}): Promise<PendingShipmentEvent[]> {
  const filter = opts.partitions === undefined ? '' : 'AND link_partition IN {partitions:Array(UInt16)}';
  const rows = await queryJson<{
    event_uid: string;
    tracking_no: string;
    link_partition: number | string;
    link_keys: string[];
    waiting_since: number | string;
    payload: string;
    topic: string;
    partition: number | string;
    offset: number | string;
    line: number | string;
    kafka_ms: number | string;
  }>(
    opts.client,
    `SELECT event_uid, tracking_no, link_partition, link_keys,
            toUnixTimestamp64Milli(ingested_at) AS waiting_since, payload,
            topic, \`partition\`, toString(\`offset\`) AS offset, line, toUnixTimestamp64Milli(kafka_time) AS kafka_ms
     FROM ${qualifiedTable(opts.database, TABLES.pendingShipments)} FINAL
     WHERE resolved = 0 ${filter}
     ORDER BY ingested_at, event_uid`,
    opts.partitions === undefined ? {} : { partitions: [...opts.partitions] },
  );
  return rows.map((r) => ({
    eventUid: r.event_uid,
    trackingNo: r.tracking_no,
    linkPartition: Number(r.link_partition),
    linkKeys: r.link_keys,
    waitingSince: Number(r.waiting_since),
    event: JSON.parse(r.payload),
    position: {
      topic: r.topic,
      partition: Number(r.partition),
      offset: String(r.offset),
      timestamp: Number(r.kafka_ms),
      ...(Number(r.line) > 0 ? { line: Number(r.line) } : {}),
    },
  }));
}
