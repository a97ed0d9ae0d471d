import type { GoldenView } from '../../golden/index.js';
import type { HealthCase } from '../../health/index.js';
import type { ServerMessage, SubscriptionId } from './feed-protocol.js';
import { everyField } from './order-delta.js';

/** Source and Kafka time of the newest event behind a live change, for push-latency metrics. */
export interface PushTimes {
  sourceTime: number;
  kafkaTime: number;
}

export interface DeltaItem {
  kind: 'delta';
  subscription: SubscriptionId;
  orderId: string;
  fromVersion: number;
  version: number;
  fields: Readonly<Record<string, unknown>>;
  removed: boolean;
  /** Set for live changes (not for changes replayed to a resuming client). */
  times: PushTimes | null;
}

export interface DeletedItem {
  kind: 'deleted';
  subscription: SubscriptionId;
  orderId: string;
  version: number | null;
}

/** A whole view replacing the copy a resuming client holds at `clientVersion`, whose missed changes are no longer known. */
export interface GapItem {
  kind: 'gap';
  subscription: SubscriptionId;
  orderId: string;
  clientVersion: number;
  view: GoldenView;
}

/**
 * A case of a cases subscription, whole: `removed` when it left the filter. Newer items of the same
 * case replace the pending one, keeping its `fromVersion`.
 */
export interface CaseItem {
  kind: 'case';
  subscription: SubscriptionId;
  caseId: string;
  fromVersion: number;
  version: number;
  case: HealthCase;
  removed: boolean;
}

export type OutboxItem = { kind: 'message'; message: ServerMessage } | DeltaItem | DeletedItem | GapItem | CaseItem;

/**
 * A connection's pending messages, first in first out, holding at most one item per subscription
 * and order: a newer change of an order merges into the pending one (older `from_version`, newest
 * `version`, union of fields with the latest values). So a client that cannot keep up costs
 * memory per order it follows, not per change, and still receives every version step. Cases
 * coalesce the same way, per subscription and case (the newest whole case, the oldest
 * `from_version`).
 */
export interface Outbox {
  push(item: OutboxItem): void;
  shift(): OutboxItem | undefined;
  /** Drops the pending items of a subscription (it was unsubscribed). */
  dropSubscription(id: SubscriptionId): void;
  clear(): void;
  readonly size: number;
}

export function createOutbox(): Outbox {
  const items = new Map<string, OutboxItem>();
  let seq = 0;
  return {
    push(item) {
      if (item.kind === 'message') {
        items.set(`m${seq++}`, item);
        return;
      }
      if (item.kind === 'case') {
        const key = caseKey(item.subscription, item.caseId);
        const pending = items.get(key);
        items.set(key, pending?.kind === 'case' ? { ...item, fromVersion: pending.fromVersion } : item);
        return;
      }
      const key = orderKey(item.subscription, item.orderId);
      const pending = items.get(key);
      items.set(key, pending === undefined || pending.kind === 'message' || pending.kind === 'case' ? item : coalesce(pending, item));
    },
    shift() {
      const first = items.entries().next();
      if (first.done) return undefined;
      items.delete(first.value[0]);
      return first.value[1];
    },
    dropSubscription(id) {
      const prefix = `o${JSON.stringify(id)}\u0000`;
      const casePrefix = `c${JSON.stringify(id)}\u0000`;
      for (const [key, item] of items) {
        if (key.startsWith(prefix) || key.startsWith(casePrefix) || (item.kind === 'message' && 'id' in item.message && item.message.id === id)) items.delete(key);
      }
    },
    clear() {
      items.clear();
    },
    get size() {
      return items.size;
    },
  };
}

function orderKey(subscription: SubscriptionId, orderId: string): string {
  return `o${JSON.stringify(subscription)}\u0000${orderId}`;
}

function caseKey(subscription: SubscriptionId, caseId: string): string {
  return `c${JSON.stringify(subscription)}\u0000${caseId}`;
}

/** Merges a newer item for the same subscription and order into a pending one. */
export function coalesce(pending: DeltaItem | DeletedItem | GapItem, next: DeltaItem | DeletedItem | GapItem): DeltaItem | DeletedItem | GapItem {
  if (pending.kind === 'deleted') return pending;
  if (next.kind !== 'delta') return next;
  if (pending.kind === 'delta') {
    return {
      ...next,
      fromVersion: pending.fromVersion,
      fields: { ...pending.fields, ...next.fields },
      times: pending.times ?? next.times,
    };
  }
  const view = { ...pending.view, ...next.fields, version: next.version } as GoldenView;
  if (!next.removed) return { ...pending, view };
  return {
    kind: 'delta',
    subscription: pending.subscription,
    orderId: pending.orderId,
    fromVersion: pending.clientVersion,
    version: next.version,
    fields: everyField(view),
    removed: true,
    times: next.times,
  };
}

/** The frame for an item. */
export function toServerMessage(item: OutboxItem): ServerMessage {
  switch (item.kind) {
    case 'message':
      return item.message;
    case 'delta':
      return {
        type: 'delta',
        id: item.subscription,
        order_id: item.orderId,
        from_version: item.fromVersion,
        version: item.version,
        fields: item.fields,
        ...(item.removed ? { removed: true as const } : {}),
      };
    case 'deleted':
      return { type: 'deleted', id: item.subscription, order_id: item.orderId, version: item.version };
    case 'gap':
      return { type: 'snapshot', id: item.subscription, orders: [item.view], reason: 'gap' };
    case 'case':
      return {
        type: 'case',
        id: item.subscription,
        case_id: item.caseId,
        from_version: item.fromVersion,
        version: item.version,
        case: item.case,
        ...(item.removed ? { removed: true as const } : {}),
      };
  }
}
