import { eventTime, eventUid, type CanonicalEvent, type SourcePosition } from '../normalize/index.js';
import { CLOSED_STATUSES, type GoldenStore, type ViewChange } from '../golden/index.js';
import { OrderlakeError } from '../errors.js';
import type { LakeRow, OwnedOrderState } from '../sinks/index.js';
import type { ChangeFeed } from '../feed/index.js';
import type { Metrics } from '../metrics.js';
import { toGoldenRow } from './golden-row.js';

/** One canonical event routed to the order it belongs to, with the partition that owns the order. */
export interface MergeItem {
  orderId: string;
  event: CanonicalEvent;
  position: SourcePosition;
  ownerPartition: number;
}

/** The buffered writes the merge stage needs from a sink (rows are acknowledged on flush). */
export interface MergeSink {
  writeEvents(rows: LakeRow[]): void;
  writeGolden(rows: ReturnType<typeof toGoldenRow>[]): void;
  onBeforeFlush(collect: () => void): void;
  onFlushed(acknowledged: (writtenBefore: number) => void): void;
}

/**
 * Closed orders leave memory once quiet, and come back from ClickHouse when an event for them
 * arrives, so memory follows the open orders rather than every order ever seen.
 */
export interface Dormancy {
  /** A closed (or deleted) order with no change for this long goes to sleep, ms. */
  idleMs: number;
  /** Loads the stored state of the named orders of `partitions`. */
  load(orderIds: string[], partitions: number[]): Promise<OwnedOrderState[]>;
  /** Shortest time between two sweeps for quiet orders, ms. Default 10 000. */
  sweepEveryMs?: number;
  /** Called with the number of orders each sweep put to sleep. */
  onSlept?(count: number): void;
}

export interface MergeStage {
  /**
   * Restores the dormant orders among `items` from ClickHouse, so `apply` can take their events;
   * resolves at once when none is dormant. Batches touching the same order must not wake it
   * concurrently (each order belongs to one partition, whose batches run one at a time).
   */
  wake(items: readonly Pick<MergeItem, 'orderId' | 'ownerPartition'>[]): Promise<number>;
  /** Merges a batch into the in-memory golden state, buffers lake + golden rows, publishes changes. */
  apply(items: readonly MergeItem[]): ViewChange[];
}

/**
 * Stage 3: the owner of an order merges its events. Pure merge in the store; this stage adds the
 * I/O edges: lake rows for every routed event (re-deliveries collapse in the lake's
 * ReplacingMergeTree), one versioned golden row per changed view, and the change feed.
 */
export function createMergeStage(deps: {
  store: GoldenStore;
  sink: MergeSink;
  feed?: ChangeFeed;
  metrics?: Metrics;
  now: () => number;
  /** Absent: every order stays in memory. */
  dormancy?: Dormancy;
}): MergeStage {
  const { store, sink, feed, metrics, now, dormancy } = deps;
  // Newest unflushed version of each changed order: ClickHouse keeps only the newest version per
  // order anyway (ReplacingMergeTree), so intermediate versions between two flushes are skipped —
  // a hot order costs one golden row per flush instead of one per change.
  const dirty = new Map<string, { change: ViewChange; ownerPartition: number; updatedAt: number }>();
  sink.onBeforeFlush(() => {
    if (dirty.size === 0) return;
    const rows = [];
    for (const [orderId, d] of dirty) rows.push(toGoldenRow(orderId, d.change.view, d.change.version, d.updatedAt, d.ownerPartition));
    dirty.clear();
    sink.writeGolden(rows);
  });
  if (dormancy !== undefined) {
    const sweepEveryMs = dormancy.sweepEveryMs ?? 10_000;
    let lastSweep = -Infinity;
    // After a flush, every order changed before it started is fully stored (events and newest
    // golden row): only those may sleep.
    sink.onFlushed((writtenBefore) => {
      const at = now();
      if (at - lastSweep < sweepEveryMs) return;
      lastSweep = at;
      const slept = store.sleepIdle({ idleSince: Math.min(writtenBefore, at - dormancy.idleMs), closed: (view) => view.status !== null && CLOSED_STATUSES.has(view.status) });
      dormancy.onSlept?.(slept.length);
      metrics?.ordersInMemory.set(store.liveCount);
      metrics?.ordersDormant.set(store.dormantCount);
    });
  }

  return {
    async wake(items) {
      if (store.dormantCount === 0 || dormancy === undefined) return 0;
      const asleep = new Map<string, number>();
      for (const { orderId, ownerPartition } of items) if (store.dormant(orderId) !== undefined) asleep.set(orderId, ownerPartition);
      if (asleep.size === 0) return 0;
      const loaded = await dormancy.load([...asleep.keys()], [...new Set(asleep.values())]);
      const byId = new Map(loaded.map((o) => [o.orderId, o]));
      for (const orderId of asleep.keys()) {
        const sleeping = store.dormant(orderId);
        if (sleeping === undefined) continue;
        const stored = byId.get(orderId);
        if (stored === undefined || stored.events.length === 0) {
          // Its events were acknowledged before it slept: missing now means ClickHouse is not the one it slept in.
          throw new OrderlakeError('OL_ERR_CLICKHOUSE', `dormant order ${orderId} has no stored events to restore`, { context: { orderId } });
        }
        store.restore(orderId, stored.events as CanonicalEvent[], sleeping.version, sleeping.updatedAt);
      }
      metrics?.ordersDormant.set(store.dormantCount);
      return asleep.size;
    },
    apply(items) {
      if (items.length === 0) return [];
      const ingestedAt = now();
      const lakeRows: LakeRow[] = new Array(items.length);
      const owners = new Map<string, number>();
      const times = new Map<string, { sourceTime: number; kafkaTime: number }>();
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        owners.set(item.orderId, item.ownerPartition);
        const row = toLakeRow(item, ingestedAt);
        lakeRows[i] = row;
        const t = times.get(item.orderId);
        if (t === undefined) times.set(item.orderId, { sourceTime: row.event_time, kafkaTime: row.kafka_time });
        else {
          if (row.event_time > t.sourceTime) t.sourceTime = row.event_time;
          if (row.kafka_time > t.kafkaTime) t.kafkaTime = row.kafka_time;
        }
      }
      const before = metrics ? store.counters() : undefined;
      const changes = store.applyBatch(items);
      sink.writeEvents(lakeRows);
      if (changes.length > 0) {
        const updatedAt = now();
        for (const c of changes) {
          dirty.set(c.orderId, {
            change: c,
            ownerPartition: owners.get(c.orderId) ?? 0,
            updatedAt: c.view ? Date.parse(c.view.updated_at) : updatedAt,
          });
        }
        // Object.assign, not a spread: a spread would evaluate each change's lazy `changedFields`.
        feed?.publish(changes.map((c) => Object.assign(c, times.get(c.orderId) ?? { sourceTime: 0, kafkaTime: 0 })));
      }
      if (metrics && before) {
        const after = store.counters();
        metrics.eventsApplied.inc(after.applied - before.applied);
        metrics.duplicates.inc(after.duplicates - before.duplicates);
        metrics.viewChanges.inc(changes.length);
        metrics.ordersInMemory.set(store.liveCount);
      }
      return changes;
    },
  };
}

export function toLakeRow(item: MergeItem, ingestedAt: number): LakeRow {
  const { event, position } = item;
  return {
    event_uid: eventUid(event),
    source: event.source,
    kind: event.kind,
    order_id: item.orderId,
    owner_partition: item.ownerPartition,
    topic: position.topic,
    partition: position.partition,
    offset: position.offset,
    line: position.line ?? 0,
    event_time: eventTime(event),
    kafka_time: position.timestamp,
    ingested_at: ingestedAt,
    payload: event,
  };
}
