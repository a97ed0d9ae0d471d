import { eventTime, eventUid, type CanonicalEvent, type SourcePosition } from '../normalize/index.js';
import type { GoldenStore, ViewChange } from '../golden/index.js';
import type { LakeRow } from '../sinks/index.js';
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
}

export interface MergeStage {
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
}): MergeStage {
  const { store, sink, feed, metrics, now } = deps;
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
  return {
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
