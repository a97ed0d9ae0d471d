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
  /**
   * Closed and quiet (see `sleepClosed`): its events were not loaded, and it is to be held as
   * dormant until an event for it arrives.
   */
  dormant: boolean;
  /** Its de-duplicated canonical events (parsed lake payloads), in `event_uid` order; [] when dormant. */
  events: unknown[];
}

interface GoldenHead {
  order_id: string;
  head_version: number | string;
  head_updated_at: number | string;
  head_deleted: number | string;
  head_status: string | null;
}

/** Which stored orders a rebuild leaves asleep in ClickHouse instead of loading their events. */
export interface SleepClosed {
  /** Orders whose newest version is older than this (epoch ms)… */
  updatedBefore: number;
  /** …and which are deleted or have one of these statuses. */
  statuses: ReadonlySet<string>;
}

const HEAD_COLUMNS = `order_id, max(version) AS head_version,
            argMax(toUnixTimestamp64Milli(updated_at), version) AS head_updated_at,
            argMax(is_deleted, version) AS head_deleted,
            argMax(status, version) AS head_status`;

/**
 * Loads the stored state of every order owned by `partitions`: the events from `lake_events`
 * (re-deliveries collapsed with FINAL) and the newest golden version, deleted ones included —
 * `FINAL` would hide those, so the version comes from `argMax` instead. Events are fetched
 * `pageSize` orders at a time to bound each result. With `sleepClosed`, closed quiet orders come
 * back dormant, without their events, so memory after a takeover follows the open orders.
 */
export async function loadOwnedState(opts: {
  client: ClickHouseClient;
  database: string;
  partitions: readonly number[];
  /** Orders per events query. Default 1000. */
  pageSize?: number;
  sleepClosed?: SleepClosed;
}): Promise<OwnedOrderState[]> {
  const { client, database } = opts;
  if (opts.partitions.length === 0) return [];
  const partitions = [...opts.partitions];
  const lake = qualifiedTable(database, TABLES.lake);
  const golden = qualifiedTable(database, TABLES.golden);

  const heads = await queryJson<GoldenHead>(
    client,
    `SELECT ${HEAD_COLUMNS}
     FROM ${golden} WHERE owner_partition IN {partitions:Array(UInt16)}
     GROUP BY order_id`,
    { partitions },
  );
  const ids = await queryJson<{ order_id: string }>(
    client,
    `SELECT order_id FROM (
       SELECT order_id FROM ${lake} WHERE owner_partition IN {partitions:Array(UInt16)}
       UNION ALL
       SELECT order_id FROM ${golden} WHERE owner_partition IN {partitions:Array(UInt16)}
     ) GROUP BY order_id ORDER BY order_id`,
    { partitions },
  );
  return loadStates({ client, lake, partitions, orderIds: ids.map((r) => r.order_id), heads, pageSize: opts.pageSize, sleepClosed: opts.sleepClosed });
}

/**
 * Loads the stored state of the named orders of `partitions` (a dormant order woken by a new event);
 * an order with nothing stored comes back with version 0 and no events.
 */
export async function loadOrderStates(opts: {
  client: ClickHouseClient;
  database: string;
  partitions: readonly number[];
  orderIds: readonly string[];
}): Promise<OwnedOrderState[]> {
  const { client, database } = opts;
  if (opts.orderIds.length === 0 || opts.partitions.length === 0) return [];
  const partitions = [...opts.partitions];
  const orderIds = [...opts.orderIds];
  const heads = await queryJson<GoldenHead>(
    client,
    `SELECT ${HEAD_COLUMNS}
     FROM ${qualifiedTable(database, TABLES.golden)}
     WHERE owner_partition IN {partitions:Array(UInt16)} AND order_id IN {ids:Array(String)}
     GROUP BY order_id`,
    { partitions, ids: orderIds },
  );
  return loadStates({ client, lake: qualifiedTable(database, TABLES.lake), partitions, orderIds, heads });
}

async function loadStates(opts: {
  client: ClickHouseClient;
  lake: string;
  partitions: number[];
  orderIds: readonly string[];
  heads: GoldenHead[];
  pageSize?: number | undefined;
  sleepClosed?: SleepClosed | undefined;
}): Promise<OwnedOrderState[]> {
  const { client, lake, partitions, sleepClosed } = opts;
  const pageSize = opts.pageSize ?? 1000;
  const headById = new Map(opts.heads.map((h) => [h.order_id, h]));
  const asleep = (head: GoldenHead | undefined): boolean =>
    sleepClosed !== undefined &&
    head !== undefined &&
    Number(head.head_updated_at) < sleepClosed.updatedBefore &&
    (Number(head.head_deleted) === 1 || (head.head_status !== null && sleepClosed.statuses.has(head.head_status)));

  const states: OwnedOrderState[] = [];
  const toLoad: string[] = [];
  for (const orderId of opts.orderIds) {
    const head = headById.get(orderId);
    if (asleep(head)) {
      states.push({
        orderId,
        version: Number(head!.head_version),
        updatedAt: Number(head!.head_updated_at),
        isDeleted: Number(head!.head_deleted) === 1,
        dormant: true,
        events: [],
      });
    } else {
      toLoad.push(orderId);
    }
  }
  for (let start = 0; start < toLoad.length; start += pageSize) {
    const page = toLoad.slice(start, start + pageSize);
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
        dormant: false,
        events: stored?.events ?? [],
      });
    }
  }
  return states;
}
