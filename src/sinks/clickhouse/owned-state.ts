import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/** What a worker needs to rebuild one order it has taken over. */
export interface OwnedOrderState {
  orderId: string;
  /** The newest stored golden version; 0 when events are stored but no golden row is yet. */
  version: number;
  /** `updated_at` of that version, epoch ms; without a golden row, the latest `ingested_at` of its events. */
  updatedAt: number;
  /** The order was deleted: it keeps no view, and must not come back whatever arrives later. */
  isDeleted: boolean;
  /** Its de-duplicated canonical events (parsed lake payloads), in `event_uid` order. */
  events: unknown[];
}

interface GoldenHead {
  order_id: string;
  head_version: number | string;
  head_updated_at: number | string;
  head_deleted: number | string;
}

/**
 * Loads the stored state of every order owned by `partitions`: the events from `lake_events`
 * (re-deliveries collapsed with FINAL) and the newest golden version, deleted ones included —
 * `FINAL` would hide those, so the version comes from `argMax` instead. Events are fetched
 * `pageSize` orders at a time to bound each result.
 */
export async function loadOwnedState(opts: {
  client: ClickHouseClient;
  database: string;
  partitions: readonly number[];
  /** Orders per events query. Default 1000. */
  pageSize?: number;
}): Promise<OwnedOrderState[]> {
  const { client, database } = opts;
  if (opts.partitions.length === 0) return [];
  const partitions = [...opts.partitions];
  const pageSize = opts.pageSize ?? 1000;
  const lake = qualifiedTable(database, TABLES.lake);
  const golden = qualifiedTable(database, TABLES.golden);

  const heads = await queryJson<GoldenHead>(
    client,
    `SELECT order_id, max(version) AS head_version,
            argMax(toUnixTimestamp64Milli(updated_at), version) AS head_updated_at,
            argMax(is_deleted, version) AS head_deleted
     FROM ${golden} WHERE owner_partition IN {partitions:Array(UInt16)}
     GROUP BY order_id`,
    { partitions },
  );
  const headById = new Map(heads.map((h) => [h.order_id, h]));
  const ids = await queryJson<{ order_id: string }>(
    client,
    `SELECT order_id FROM (
       SELECT order_id FROM ${lake} WHERE owner_partition IN {partitions:Array(UInt16)}
       UNION ALL
       SELECT order_id FROM ${golden} WHERE owner_partition IN {partitions:Array(UInt16)}
     ) GROUP BY order_id ORDER BY order_id`,
    { partitions },
  );

  const states: OwnedOrderState[] = [];
  for (let start = 0; start < ids.length; start += pageSize) {
    const page = ids.slice(start, start + pageSize).map((r) => r.order_id);
    const rows = await queryJson<{ order_id: string; payload: string; ingested_ms: number | string }>(
      client,
      `SELECT order_id, payload, toUnixTimestamp64Milli(ingested_at) AS ingested_ms
       FROM ${lake} FINAL
       WHERE owner_partition IN {partitions:Array(UInt16)} AND order_id IN {ids:Array(String)}
       ORDER BY order_id, event_uid`,
      { partitions, ids: page },
    );
    const eventsById = new Map<string, { events: unknown[]; lastIngestedAt: number }>();
    for (const row of rows) {
      let entry = eventsById.get(row.order_id);
      if (entry === undefined) {
        entry = { events: [], lastIngestedAt: 0 };
        eventsById.set(row.order_id, entry);
      }
      entry.events.push(JSON.parse(row.payload));
      entry.lastIngestedAt = Math.max(entry.lastIngestedAt, Number(row.ingested_ms));
    }
    for (const orderId of page) {
      const head = headById.get(orderId);
      const stored = eventsById.get(orderId);
      states.push({
        orderId,
        version: head ? Number(head.head_version) : 0,
        updatedAt: head ? Number(head.head_updated_at) : (stored?.lastIngestedAt ?? 0),
        isDeleted: head ? Number(head.head_deleted) === 1 : false,
        events: stored?.events ?? [],
      });
    }
  }
  return states;
}
