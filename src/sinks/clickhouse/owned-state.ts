import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/** What a worker needs to rebuild one order it has taken over. */
export interface OwnedOrderState {
  orderId: string;
  /**
   * The version to restore the order at: the highest its golden rows or its lake rows record
   * (`lake_events.order_version`, taken over every stored copy, not FINAL). Golden rows follow the
   * lake on their own cadence, so a worker that died may leave events stored whose golden row is
   * not; restoring from the golden row alone would then number versions already pushed again.
   * 0 when nothing records one.
   */
  version: number;
  /** The newest stored golden version (0 without a golden row): below `version` when the golden table lags the lake. */
  goldenVersion: number;
  /**
   * `updated_at` of `version`, epoch ms: from the golden row, or when the lake is ahead of it, the
   * `order_version_at` the lake rows of that version record (the merge stamps every row with the
   * `updated_at` of the version it records); with neither, the latest `ingested_at` of its events.
   */
  updatedAt: number;
  /** The order was deleted (per its newest golden row): it keeps no view, and must not come back whatever arrives later. */
  isDeleted: boolean;
  /**
   * Closed and quiet (see `sleepClosed`): its events were not loaded, and it is to be held as
   * dormant until an event for it arrives. Only an order whose golden row is as new as its lake.
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

/** The highest version the lake records for an order, and when the first row with it was stored. */
interface LakeHead {
  order_id: string;
  lake_version: number | string;
  lake_version_at: number | string;
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

// Over every stored copy, not FINAL: re-deliveries share the sort key, and whichever copy a merge
// keeps carries at least the version of the first, and the time that version was made (rows
// stored before migration 12 read their `ingested_at` there: the earliest is the batch that made it).
const LAKE_HEAD_COLUMNS = `order_id, max(order_version) AS lake_version,
            argMax(toUnixTimestamp64Milli(order_version_at), (order_version, -toUnixTimestamp64Milli(order_version_at))) AS lake_version_at`;

/**
 * Loads the stored state of every order owned by `partitions`: the events from `lake_events`
 * (re-deliveries collapsed with FINAL) and the version to restore — the highest of the newest
 * golden version and the versions the lake rows record — deleted ones included (`FINAL` would
 * hide those, so the golden head comes from `argMax` instead). Events are fetched `pageSize`
 * orders at a time to bound each result. With `sleepClosed`, closed quiet orders whose golden row
 * is up to date come back dormant, without their events, so memory after a takeover follows the
 * open orders.
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
  const lakeHeads = await queryJson<LakeHead>(
    client,
    `SELECT ${LAKE_HEAD_COLUMNS}
     FROM ${lake} WHERE owner_partition IN {partitions:Array(UInt16)}
     GROUP BY order_id`,
    { partitions },
  );
  const ids = new Set<string>();
  for (const h of heads) ids.add(h.order_id);
  for (const h of lakeHeads) ids.add(h.order_id);
  // Byte order, as ClickHouse's ORDER BY order_id gave it.
  const orderIds = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return loadStates({ client, lake, partitions, orderIds, heads, lakeHeads, pageSize: opts.pageSize, sleepClosed: opts.sleepClosed });
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
  const lake = qualifiedTable(database, TABLES.lake);
  const heads = await queryJson<GoldenHead>(
    client,
    `SELECT ${HEAD_COLUMNS}
     FROM ${qualifiedTable(database, TABLES.golden)}
     WHERE owner_partition IN {partitions:Array(UInt16)} AND order_id IN {ids:Array(String)}
     GROUP BY order_id`,
    { partitions, ids: orderIds },
  );
  const lakeHeads = await queryJson<LakeHead>(
    client,
    `SELECT ${LAKE_HEAD_COLUMNS}
     FROM ${lake}
     WHERE owner_partition IN {partitions:Array(UInt16)} AND order_id IN {ids:Array(String)}
     GROUP BY order_id`,
    { partitions, ids: orderIds },
  );
  return loadStates({ client, lake, partitions, orderIds, heads, lakeHeads });
}

async function loadStates(opts: {
  client: ClickHouseClient;
  lake: string;
  partitions: number[];
  orderIds: readonly string[];
  heads: GoldenHead[];
  lakeHeads: LakeHead[];
  pageSize?: number | undefined;
  sleepClosed?: SleepClosed | undefined;
}): Promise<OwnedOrderState[]> {
  const { client, lake, partitions, sleepClosed } = opts;
  const pageSize = opts.pageSize ?? 1000;
  const headById = new Map(opts.heads.map((h) => [h.order_id, h]));
  const lakeHeadById = new Map(opts.lakeHeads.map((h) => [h.order_id, h]));
  const lakeVersionOf = (orderId: string): number => Number(lakeHeadById.get(orderId)?.lake_version ?? 0);
  // Asleep only when the golden row is as new as the lake: an order whose golden row did not make
  // it is loaded, so that its restored view can be written as that row.
  const asleep = (orderId: string, head: GoldenHead | undefined): boolean =>
    sleepClosed !== undefined &&
    head !== undefined &&
    Number(head.head_version) >= lakeVersionOf(orderId) &&
    Number(head.head_updated_at) < sleepClosed.updatedBefore &&
    (Number(head.head_deleted) === 1 || (head.head_status !== null && sleepClosed.statuses.has(head.head_status)));

  const states: OwnedOrderState[] = [];
  const toLoad: string[] = [];
  for (const orderId of opts.orderIds) {
    const head = headById.get(orderId);
    if (asleep(orderId, head)) {
      states.push({
        orderId,
        version: Number(head!.head_version),
        goldenVersion: Number(head!.head_version),
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
      const lakeHead = lakeHeadById.get(orderId);
      const stored = eventsById.get(orderId);
      const goldenVersion = head ? Number(head.head_version) : 0;
      const lakeVersion = lakeVersionOf(orderId);
      let updatedAt: number;
      if (lakeVersion > goldenVersion) updatedAt = Number(lakeHead!.lake_version_at);
      else if (head) updatedAt = Number(head.head_updated_at);
      else updatedAt = stored?.lastIngestedAt ?? 0;
      states.push({
        orderId,
        version: Math.max(goldenVersion, lakeVersion),
        goldenVersion,
        updatedAt,
        isDeleted: head ? Number(head.head_deleted) === 1 : false,
        dormant: false,
        events: stored?.events ?? [],
      });
    }
  }
  return states;
}
