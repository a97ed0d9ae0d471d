import { eventTime, eventUid, type CanonicalEvent, type SourcePosition } from '../normalize/index.js';
import { CLOSED_STATUSES, type GoldenStore, type ViewChange } from '../golden/index.js';
import { OrderlakeError, type ErrorCode } from '../errors.js';
import type { DeadLetterRow, GoldenRow, LakeRow, OwnedOrderState } from '../sinks/index.js';
import type { ChangeFeed } from '../feed/index.js';
import type { Metrics } from '../metrics.js';
import { toGoldenRow } from './golden-row.js';
import { toDeadLetter } from './dead-letter.js';

/** One canonical event routed to the order it belongs to, with the partition that owns the order. */
export interface MergeItem {
  orderId: string;
  event: CanonicalEvent;
  position: SourcePosition;
  ownerPartition: number;
  /** The pipeline and rule version that normalized the event (live reload); recorded on its lake row. */
  configVersion?: string;
}

/**
 * The buffered writes the merge stage needs from a sink (see `ClickHouseSink`): lake rows and dead
 * letters go with the commit lane, golden rows with the golden lane, which hands them over through
 * `onBeforeFlush` and reports through `onFlushed` once they and every lake row written before are
 * stored.
 */
export interface MergeSink {
  writeEvents(rows: LakeRow[]): void;
  writeGolden(rows: GoldenRow[]): void;
  writeDeadLetters(rows: DeadLetterRow[]): void;
  onBeforeFlush(collect: () => void): void;
  onFlushed(acknowledged: (writtenBefore: number) => void): void;
}

/** What {@link MergeStage.restore} did. */
export interface RestoreSummary {
  /** Orders rebuilt in memory from their events. */
  orders: number;
  /** Orders left asleep in ClickHouse. */
  dormant: number;
  /** Events the rebuilt orders were derived from. */
  events: number;
  /** Orders whose lake was ahead of the golden table: their restored view is written as a golden row. */
  behind: number;
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
   * Wakes the dormant orders among `items` and merges the batch in the same turn of the event
   * loop, so no sweep can put a woken order back to sleep before its events are applied. What
   * every caller that merges should use; see `wake` and `apply` for the rest.
   */
  merge(items: readonly MergeItem[]): Promise<ViewChange[]>;
  /**
   * Restores the dormant orders among `items` from ClickHouse (deleted orders asleep never need
   * it); returns how many were restored. An order whose stored events are gone stays asleep, and
   * `apply` dead-letters its events: our own state never blocks a partition. Rejects only when
   * ClickHouse fails (retriable). A sweep may put a woken order back to sleep once it is quiet
   * again, so to merge use `merge`. Batches touching the same order must not wake it concurrently
   * (each order belongs to one partition, whose batches run one at a time).
   */
  wake(items: readonly Pick<MergeItem, 'orderId' | 'ownerPartition'>[]): Promise<number>;
  /**
   * Merges a batch into the in-memory golden state, buffers lake + golden rows, publishes changes.
   * Events of an order still asleep (not woken first, or whose stored state is missing) are
   * dead-lettered with stage `merge`, counted, and left out of the lake.
   */
  apply(items: readonly MergeItem[]): ViewChange[];
  /**
   * Puts orders loaded from ClickHouse (`loadOwnedState`: a takeover, a restart) into the store at
   * their stored version — the highest the lake or the golden table records — dormant ones asleep,
   * the others rebuilt from their events. Golden rows follow the lake on their own cadence, so a
   * worker that died may have stored an order's events but not its golden row: such an order's
   * restored view is written as the golden row of that version, so the table catches up without
   * waiting for the order's next event.
   */
  restore(orders: readonly OwnedOrderState[], ownerPartition: number): RestoreSummary;
  /** Events this stage has dead-lettered since it was created (see `apply`). */
  readonly deadLettered: number;
}

/**
 * Stage 3: the owner of an order merges its events. Pure merge in the store; this stage adds the
 * I/O edges: lake rows for every routed event, each with the order's version after its batch
 * (re-deliveries collapse in the lake's ReplacingMergeTree), one versioned golden row per changed
 * view and flush, and the change feed.
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
  /** Dormant orders a wake found nothing stored for, with why: their events are dead-lettered. */
  const unrestorable = new Map<string, string>();
  /** Orders of batches waiting for a wake: a sweep leaves them awake. */
  const pinned = new Map<string, number>();
  let deadLettered = 0;
  // Newest unflushed version of each changed order: ClickHouse keeps only the newest version per
  // order anyway (ReplacingMergeTree), so intermediate versions between two flushes are skipped —
  // a hot order costs one golden row per flush instead of one per change.
  const dirty = new Map<string, { change: ViewChange; ownerPartition: number; updatedAt: number; configVersion: string }>();
  sink.onBeforeFlush(() => {
    if (dirty.size === 0) return;
    const rows = [];
    for (const [orderId, d] of dirty) rows.push(toGoldenRow(orderId, d.change.view, d.change.version, d.updatedAt, d.ownerPartition, d.configVersion));
    dirty.clear();
    sink.writeGolden(rows);
  });
  if (dormancy !== undefined) {
    const sweepEveryMs = dormancy.sweepEveryMs ?? 10_000;
    let lastSweep = -Infinity;
    // After a golden-lane flush, every order changed before it started is fully stored (events
    // and newest golden row): only those may sleep. (A commit-lane flush alone stores no golden
    // row and sweeps nothing.)
    sink.onFlushed((writtenBefore) => {
      const at = now();
      if (at - lastSweep < sweepEveryMs) return;
      lastSweep = at;
      const slept = store.sleepIdle({
        idleSince: Math.min(writtenBefore, at - dormancy.idleMs),
        closed: (view) => view.status !== null && CLOSED_STATUSES.has(view.status),
        ...(pinned.size > 0 ? { keep: (orderId: string) => pinned.has(orderId) } : {}),
      });
      dormancy.onSlept?.(slept.length);
      metrics?.ordersInMemory.set(store.liveCount);
      metrics?.ordersDormant.set(store.dormantCount);
    });
  }

  /** Dead-letters the events of orders that are still asleep (deleted ones take events as held ones do). */
  function withoutSleepers(batch: readonly MergeItem[]): readonly MergeItem[] {
    const kept: MergeItem[] = [];
    const dead: DeadLetterRow[] = [];
    const at = now();
    for (const item of batch) {
      if (store.dormant(item.orderId)?.deleted !== false) {
        kept.push(item);
        continue;
      }
      const missing = unrestorable.get(item.orderId);
      const code: ErrorCode = missing === undefined ? 'OL_ERR_ORDER_DORMANT' : 'OL_ERR_ORDER_STATE_MISSING';
      const reason = missing ?? `order ${item.orderId} is asleep in ClickHouse and was not restored before its event was merged`;
      const { position } = item;
      const error = new OrderlakeError(code, reason, { context: { orderId: item.orderId } });
      dead.push(toDeadLetter({ ...position, valueJson: JSON.stringify({ orderId: item.orderId, event: item.event }) }, error, 'merge', at));
      metrics?.deadLetters.inc({ code });
    }
    if (dead.length === 0) return batch;
    sink.writeDeadLetters(dead);
    deadLettered += dead.length;
    return kept;
  }

  /**
   * Restores the dormant orders among `items`, then runs `then` synchronously right after: nothing
   * else on the event loop (a flush's sweep) runs between the restore and `then`.
   */
  async function wakeThen<T>(items: readonly Pick<MergeItem, 'orderId' | 'ownerPartition'>[], then: (restored: number) => T): Promise<T> {
    if (store.dormantCount === 0 || dormancy === undefined) return then(0);
    const asleep = new Map<string, number>();
    for (const { orderId, ownerPartition } of items) {
      if (store.dormant(orderId)?.deleted === false) asleep.set(orderId, ownerPartition);
    }
    if (asleep.size === 0) return then(0);
    // While the stored state is on its way, a flush may end and sweep: the batch's other orders
    // must not fall asleep before `then` merges their events.
    for (const { orderId } of items) pinned.set(orderId, (pinned.get(orderId) ?? 0) + 1);
    let loaded: OwnedOrderState[];
    try {
      loaded = await dormancy.load([...asleep.keys()], [...new Set(asleep.values())]);
    } finally {
      for (const { orderId } of items) {
        const n = pinned.get(orderId)! - 1;
        if (n === 0) pinned.delete(orderId);
        else pinned.set(orderId, n);
      }
    }
    const byId = new Map(loaded.map((o) => [o.orderId, o]));
    let restored = 0;
    for (const [orderId, partition] of asleep) {
      const sleeping = store.dormant(orderId);
      if (sleeping === undefined) continue;
      const stored = byId.get(orderId);
      if (stored === undefined || stored.events.length === 0) {
        // Its events were acknowledged before it slept, so ClickHouse has lost them or is not the
        // one it slept in. Applying new events to an empty state would publish a wrong view.
        unrestorable.set(orderId, `order ${orderId} is asleep at version ${sleeping.version} but ClickHouse holds none of its events (owner partition ${partition})`);
        continue;
      }
      unrestorable.delete(orderId);
      // The version it slept with: its golden row was stored before it slept. A higher stored
      // version would be another owner's meanwhile; never go below what is stored.
      const [version, updatedAt] = stored.version > sleeping.version ? [stored.version, stored.updatedAt] : [sleeping.version, sleeping.updatedAt];
      store.restore(orderId, stored.events as CanonicalEvent[], version, updatedAt);
      restored++;
    }
    metrics?.ordersDormant.set(store.dormantCount);
    return then(restored);
  }

  const stage: MergeStage = {
    get deadLettered() {
      return deadLettered;
    },
    wake: (items) => wakeThen(items, (restored) => restored),
    merge: (items) => wakeThen(items, () => stage.apply(items)),
    apply(batch) {
      const items = store.dormantCount === 0 ? batch : withoutSleepers(batch);
      if (items.length === 0) return [];
      const lakeRows: LakeRow[] = new Array(items.length);
      const owners = new Map<string, number>();
      const times = new Map<string, { sourceTime: number; kafkaTime: number }>();
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        owners.set(item.orderId, item.ownerPartition);
        const row = toLakeRow(item, 0, 0);
        lakeRows[i] = row;
        const t = times.get(item.orderId);
        if (t === undefined) times.set(item.orderId, { sourceTime: row.event_time, kafkaTime: row.kafka_time });
        else {
          if (row.event_time > t.sourceTime) t.sourceTime = row.event_time;
          if (row.kafka_time > t.kafkaTime) t.kafkaTime = row.kafka_time;
        }
      }
      const before = metrics ? store.counters() : undefined;
      // A duplicate (an event its order already holds) makes no lake row: the row of the copy applied
      // first stays the event's only one. Before live reload two copies were the same bytes; now they
      // may have been normalized by different versions, and the lake keeps the last row inserted.
      const duplicates = new Set<number>();
      const changes = store.applyBatch(items, (i) => duplicates.add(i));
      // The version that produced a changed view: that of the order's newest applied event in the batch.
      const configs = new Map<string, string>();
      for (let i = 0; i < items.length; i++) {
        const { orderId, configVersion } = items[i]!;
        if (configVersion !== undefined && !duplicates.has(i)) configs.set(orderId, configVersion);
      }
      const stored = duplicates.size === 0 ? lakeRows : lakeRows.filter((_, i) => !duplicates.has(i));
      const at = now();
      // Each row records the order's version after this batch and when that version was made (a
      // changed order's new version, or the one it holds): what a takeover restores when the
      // golden row did not make it. An order that never had a version records 0.
      const stamps = new Map<string, { version: number; at: number } | undefined>();
      for (const row of stored) {
        let stamp = stamps.get(row.order_id);
        if (!stamps.has(row.order_id)) {
          const head = store.head(row.order_id);
          stamp = head === undefined ? undefined : { version: head.version, at: head.updatedAt };
          stamps.set(row.order_id, stamp);
        }
        row.order_version = stamp?.version ?? 0;
        row.order_version_at = stamp?.at ?? at;
        row.ingested_at = at;
      }
      if (stored.length > 0) sink.writeEvents(stored);
      for (const c of changes) {
        dirty.set(c.orderId, {
          change: c,
          ownerPartition: owners.get(c.orderId) ?? 0,
          // Every changed order applied an event, so its row's stamp is the new version's head.
          updatedAt: stamps.get(c.orderId)?.at ?? at,
          configVersion: configs.get(c.orderId) ?? '',
        });
      }
      if (changes.length > 0) {
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
    restore(orders, ownerPartition) {
      const summary: RestoreSummary = { orders: 0, dormant: 0, events: 0, behind: 0 };
      const catchUp: GoldenRow[] = [];
      for (const order of orders) {
        const { orderId, version, updatedAt } = order;
        dirty.delete(orderId);
        if (order.dormant) {
          store.markDormant(orderId, version, updatedAt, order.isDeleted);
          summary.dormant++;
          continue;
        }
        store.restore(orderId, order.events as CanonicalEvent[], version, updatedAt);
        summary.orders++;
        summary.events += order.events.length;
        const view = store.get(orderId);
        const deleted = view === null && store.isDeleted(orderId);
        if (version > order.goldenVersion && (view !== null || deleted)) {
          catchUp.push(toGoldenRow(orderId, view, version, updatedAt, ownerPartition));
          summary.behind++;
        }
      }
      // Written at once, not coalesced: their events are stored, so the golden lane may store them
      // with its next flush; a newer version of the same order wins in ReplacingMergeTree.
      if (catchUp.length > 0) sink.writeGolden(catchUp);
      metrics?.ordersInMemory.set(store.liveCount);
      metrics?.ordersDormant.set(store.dormantCount);
      return summary;
    },
  };
  return stage;
}

/** The lake row of a merged event; `orderVersion` is the order's version after its batch. */
export function toLakeRow(item: MergeItem, ingestedAt: number, orderVersion: number): LakeRow {
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
    order_version: orderVersion,
    config_version: item.configVersion ?? '',
  };
}
