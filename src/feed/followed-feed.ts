import { GOLDEN_BODY_FIELDS, type GoldenView, type ViewSource } from '../golden/index.js';
import { createChangeFeed, type ChangeFeed, type FeedChange } from './change-feed.js';

/** One version read from the golden changelog topic. */
export interface FollowedVersion {
  orderId: string;
  version: number;
  /** null: the order was deleted by this version. */
  view: GoldenView | null;
  changedFields: readonly string[];
  /** The record's Kafka timestamp, epoch ms (the feed's push-latency times). */
  timestamp: number;
}

export interface FollowedFeed {
  /** Every order's changes, each version once, in version order per order: what the WebSocket hub listens to. */
  feed: ChangeFeed;
  /** The views of the owned orders (the store) and of the other orders followed on the changelog. */
  views: ViewSource;
  /** Versions read from the changelog; those already seen (made here, or read before) are dropped. */
  follow(versions: readonly FollowedVersion[]): void;
  /** Orders whose newest version is held from the changelog (bounded by `maxOrders`). */
  readonly followedOrders: number;
  close(): void;
}

/**
 * The live feed of a worker among several (Kafka mode): the changes this worker's merge makes, at
 * once, and every other worker's, read from the golden changelog topic. The two overlap — this
 * worker's own versions come back on the topic, and after a takeover the topic may still carry an
 * order's versions from its previous owner while the new one makes the next — so each order's
 * newest version is kept, and a change is passed on only when it is newer: every version once, in
 * order. A version arriving after a gap (versions a crash kept off the topic, or an order evicted
 * from `maxOrders`) is passed on with no previous view, so a subscriber gets every field of it.
 *
 * The views of orders other workers own are kept for snapshots and lookups, newest `maxOrders`
 * changed first (an order not held here is read from ClickHouse by the lookups).
 */
export function createFollowedFeed(deps: { local: ChangeFeed; store: ViewSource; maxOrders: number; onListenerError?: (err: unknown) => void }): FollowedFeed {
  const { store, maxOrders } = deps;
  const out = createChangeFeed(deps.onListenerError ? { onListenerError: deps.onListenerError } : {});
  /** Newest version seen of each order, and its view (null: deleted); oldest changed first. */
  const known = new Map<string, { version: number; view: GoldenView | null }>();

  function remember(orderId: string, version: number, view: GoldenView | null): void {
    known.delete(orderId);
    known.set(orderId, { version, view });
    if (known.size > maxOrders) known.delete(known.keys().next().value!);
  }

  /** The newest version passed on of an order; for one not held in `known`, what the store holds. */
  function seen(orderId: string): number {
    const followed = known.get(orderId);
    if (followed !== undefined) return followed.version;
    // Not held (never passed on, or evicted): what the store holds; a deleted order's versions all were.
    return store.isDeleted(orderId) ? Infinity : (store.get(orderId)?.version ?? 0);
  }

  /** The view of an order at `version` (null when neither the store nor the followed views hold that version). */
  function viewAt(orderId: string, version: number): GoldenView | null {
    const followed = known.get(orderId);
    if (followed?.version === version) return followed.view;
    const held = store.get(orderId);
    return held?.version === version ? held : null;
  }

  const unsubscribe = deps.local.subscribe((changes) => {
    const fresh: FeedChange[] = [];
    for (const c of changes) {
      const last = known.get(c.orderId)?.version;
      if (last !== undefined && c.version <= last) continue;
      remember(c.orderId, c.version, c.view);
      // After a gap in what was passed on (a takeover's rebuild went past it), no previous view.
      fresh.push(last === undefined || last === c.version - 1 ? c : { ...c, previous: null, changedFields: [...GOLDEN_BODY_FIELDS] });
    }
    if (fresh.length > 0) out.publish(fresh);
  });

  return {
    feed: out,
    views: {
      get(orderId) {
        const held = store.get(orderId);
        const followed = known.get(orderId);
        if (followed === undefined || (held !== null && held.version >= followed.version)) return held;
        return followed.view;
      },
      isDeleted(orderId) {
        if (store.isDeleted(orderId)) return true;
        const followed = known.get(orderId);
        return followed !== undefined && followed.view === null && (store.get(orderId)?.version ?? 0) < followed.version;
      },
      orderIds() {
        const ids = new Set(store.orderIds());
        for (const [orderId, followed] of known) if (followed.view !== null) ids.add(orderId);
        return ids.values();
      },
    },
    follow(versions) {
      const changes: FeedChange[] = [];
      for (const v of versions) {
        const before = seen(v.orderId);
        if (v.version <= before) continue;
        const previous = before === v.version - 1 ? viewAt(v.orderId, before) : null;
        remember(v.orderId, v.version, v.view);
        changes.push({
          orderId: v.orderId,
          view: v.view,
          previous,
          version: v.version,
          changedFields: previous === null ? [...GOLDEN_BODY_FIELDS] : [...v.changedFields],
          sourceTime: v.timestamp,
          kafkaTime: v.timestamp,
        });
      }
      if (changes.length > 0) out.publish(changes);
    },
    get followedOrders() {
      return known.size;
    },
    close: unsubscribe,
  };
}
