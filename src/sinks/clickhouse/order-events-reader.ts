import type { ClickHouseClient } from '@clickhouse/client';
import type { CanonicalEvent } from '../../normalize/index.js';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/** One normalized event of an order as the lake keeps it: the canonical event and where it came from. */
export interface StoredEvent {
  event_uid: string;
  source: CanonicalEvent['source'];
  kind: CanonicalEvent['kind'];
  topic: string;
  partition: number;
  /** Kafka offset (decimal string), or the line's position within its topic for a replay. */
  offset: string;
  /** Replay file line, 0 when the event came from Kafka or the simulator. */
  line: number;
  /** Source event time (CRM `ts_ms`, WMS/TMS `occurred_at`), epoch ms. */
  event_time: number;
  /** When the merge stage received it, epoch ms. */
  ingested_at: number;
  event: CanonicalEvent;
}

/** More events than any real order has; a bound so that one request cannot read the whole lake. */
export const MAX_ORDER_EVENTS = 20_000;

/**
 * Every event routed to the order, de-duplicated (`lake_events FINAL`: a re-delivery shares its
 * `event_uid`), in event time, then source position. Deleted orders keep their events.
 */
export async function readOrderEvents(opts: { client: ClickHouseClient; database: string; orderId: string }): Promise<StoredEvent[]> {
  const rows = await queryJson<{
    event_uid: string;
    source: StoredEvent['source'];
    kind: StoredEvent['kind'];
    topic: string;
    partition: number | string;
    offset: string;
    line: number | string;
    event_time: number | string;
    ingested_at: number | string;
    payload: string;
  }>(
    opts.client,
    `SELECT event_uid, source, kind, topic, \`partition\`, toString(\`offset\`) AS offset, line,
            toUnixTimestamp64Milli(event_time) AS event_time, toUnixTimestamp64Milli(ingested_at) AS ingested_at, payload
     FROM ${qualifiedTable(opts.database, TABLES.lake)} FINAL
     WHERE order_id = {orderId:String}
     ORDER BY event_time, topic, \`partition\`, \`offset\`, event_uid
     LIMIT {limit:UInt32}`,
    { orderId: opts.orderId, limit: MAX_ORDER_EVENTS },
  );
  return rows.map((r) => ({
    event_uid: r.event_uid,
    source: r.source,
    kind: r.kind,
    topic: r.topic,
    partition: Number(r.partition),
    offset: r.offset,
    line: Number(r.line),
    event_time: Number(r.event_time),
    ingested_at: Number(r.ingested_at),
    event: JSON.parse(r.payload) as CanonicalEvent,
  }));
}
