import type { ViewSource, GoldenView, ViewChange } from '../../golden/index.js';
import type { ChangeHistory } from './change-history.js';
import type { SubscribeMessage, SubscriptionId } from './feed-protocol.js';
import { compileFilter, type CompiledFilter } from './order-filter.js';
import { everyField, type OrderDelta } from './order-delta.js';
import type { DeletedItem, DeltaItem, OutboxItem, PushTimes } from './outbox.js';
import { createRecentSet, type RecentSet } from './recent-set.js';

/**
 * One subscription of one connection: its filter, and — only when its snapshot was truncated —
 * which orders the client holds, so that an order it never received comes with every field.
 */
export interface FeedSubscription {
  readonly stream: 'orders';
  readonly id: SubscriptionId;
  readonly filter: CompiledFilter;
  /**
   * What a live change means for this subscription: a delta while the order matches (every field
   * when it enters the filter), one `removed` delta when it stops matching, a delete when the
   * client held it; null when the change is none of its business.
   */
  itemFor(delta: OrderDelta, change: ViewChange, times: PushTimes | null): DeltaItem | DeletedItem | null;
}

export interface OpenedSubscription {
  subscription: FeedSubscription;
  /** `subscribed`, the snapshot, then what a resuming client missed. */
  items: OutboxItem[];
}

/**
 * Opens a subscription against the current state. Runs synchronously between two merged batches,
 * so the snapshot and the resume replay meet the live deltas that follow without a gap or a
 * duplicate.
 */
export function openSubscription(
  message: SubscribeMessage,
  deps: { store: ViewSource; history: ChangeHistory; maxSnapshotOrders: number },
): OpenedSubscription {
  const { store, history, maxSnapshotOrders } = deps;
  const filter = compileFilter(message.filter);
  const id = message.id;
  const versions = message.versions ?? {};
  const resuming = new Set(Object.keys(versions));

  const matching: GoldenView[] = [];
  const candidates = filter.orderIds ?? store.orderIds();
  for (const orderId of candidates) {
    if (resuming.has(orderId)) continue;
    const view = store.get(orderId);
    if (view !== null && filter.matches(view)) matching.push(view);
  }
  const truncated = matching.length > maxSnapshotOrders;
  if (truncated) matching.sort(newestFirst);
  const orders = truncated ? matching.slice(0, maxSnapshotOrders) : matching;

  const items: OutboxItem[] = [
    { kind: 'message', message: { type: 'subscribed', id } },
    { kind: 'message', message: { type: 'snapshot', id, orders, ...(truncated ? { truncated: true } : {}) } },
  ];

  const held: RecentSet | null = truncated ? createRecentSet(maxSnapshotOrders * 2) : null;
  if (held) for (const view of orders) held.add(view.order_id);

  for (const [orderId, clientVersion] of Object.entries(versions)) {
    const view = store.get(orderId);
    if (view === null) {
      if (store.isDeleted(orderId)) {
        const latest = history.latest(orderId);
        items.push({ kind: 'deleted', subscription: id, orderId, version: latest?.deleted ? latest.version : null });
      }
      continue;
    }
    const matches = filter.matches(view);
    if (matches) held?.add(orderId);
    const missed = history.since(orderId, clientVersion, view.version);
    if (missed === null) {
      items.push(
        matches
          ? { kind: 'gap', subscription: id, orderId, clientVersion, view }
          : removal(id, orderId, clientVersion, view.version, everyField(view)),
      );
    } else if (missed.length === 0) {
      if (!matches) items.push(removal(id, orderId, clientVersion, clientVersion, {}));
    } else {
      missed.forEach((d, i) => {
        const last = i === missed.length - 1;
        items.push({
          kind: 'delta',
          subscription: id,
          orderId,
          fromVersion: d.fromVersion,
          version: d.version,
          fields: d.fields,
          removed: last && !matches,
          times: null,
        });
      });
    }
  }

  const subscription: FeedSubscription = {
    stream: 'orders',
    id,
    filter,
    itemFor(delta, change, times) {
      const was = filter.matches(change.previous);
      if (delta.deleted) {
        if (!was) return null;
        held?.delete(delta.orderId);
        return { kind: 'deleted', subscription: id, orderId: delta.orderId, version: delta.version };
      }
      const now = filter.matches(change.view);
      if (!was && !now) return null;
      if (was && !now) {
        held?.delete(delta.orderId);
        return { ...deltaItem(id, delta, delta.fields, times), removed: true };
      }
      const knownToClient = was && (held === null || held.has(delta.orderId));
      held?.add(delta.orderId);
      return deltaItem(id, delta, knownToClient ? delta.fields : everyField(change.view!), times);
    },
  };
  return { subscription, items };
}

function deltaItem(id: SubscriptionId, delta: OrderDelta, fields: Readonly<Record<string, unknown>>, times: PushTimes | null): DeltaItem {
  return { kind: 'delta', subscription: id, orderId: delta.orderId, fromVersion: delta.fromVersion, version: delta.version, fields, removed: false, times };
}

function removal(id: SubscriptionId, orderId: string, fromVersion: number, version: number, fields: Readonly<Record<string, unknown>>): DeltaItem {
  return { kind: 'delta', subscription: id, orderId, fromVersion, version, fields, removed: true, times: null };
}

function newestFirst(a: GoldenView, b: GoldenView): number {
  if (a.updated_at !== b.updated_at) return a.updated_at < b.updated_at ? 1 : -1;
  return a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : 0;
}
