import type { TmsEvent } from '../normalize/canonical-event.js';
import { compareCodePoints } from './code-point-order.js';
import { trackingKey, type LinkInput, type RoutedEvent } from './route-event.js';

type TmsLinkInput = Extract<LinkInput, { type: 'tms' }>;

/** Joins TMS events that do not name their order with the facts that link their shipment to one. */
export interface ShipmentLinker {
  /**
   * Feeds one link input; returns the TMS events now resolved to their order, and new facts to feed
   * back (possibly to another partition, by key).
   */
  accept(input: LinkInput): LinkOutcome;
  /** Shipments whose oldest waiting TMS event has waited longer than `olderThanMs` at `now`. */
  orphans(now: number, olderThanMs: number): Array<{ trackingNo: string; waitingMs: number; events: number }>;
  /** Waiting TMS inputs (one per key an event waits under). */
  readonly pendingCount: number;
}

/** What one input resolved: shared and frozen when it resolved nothing, so never mutate it. */
export interface LinkOutcome {
  readonly resolved: readonly RoutedEvent[];
  readonly facts: readonly LinkInput[];
}

/** Most inputs resolve nothing (a known fact again, a tracking event that must wait). */
const NOTHING: LinkOutcome = Object.freeze({ resolved: Object.freeze([]), facts: Object.freeze([]) });

interface Pending {
  seq: number;
  input: TmsLinkInput;
}

/**
 * Creates a linker. Waiting inputs are bounded by `maxPending`: beyond it the oldest waiting input
 * is evicted and handed to `onOverflow` (the caller dead-letters it, so nothing is dropped
 * silently). Nothing expires otherwise, so a replay always links what it can.
 *
 * A key's first fact wins: in the reference data a tracking number or fulfillment belongs to at
 * most one order, and facts are never retracted, so known keys are kept for good.
 */
export function createShipmentLinker(options: {
  maxPending: number;
  onOverflow: (input: LinkInput) => void;
}): ShipmentLinker {
  const known = new Map<string, string>();
  /** key → event_id → waiting input */
  const waiting = new Map<string, Map<string, Pending>>();
  /** Every waiting input by arrival, oldest first: the eviction order. */
  const queue = new Map<number, Pending>();
  /** event_id → its waiting inputs, so that resolving one key also withdraws it from the other. */
  const byEvent = new Map<string, Pending[]>();
  let nextSeq = 0;

  function remove(p: Pending): void {
    queue.delete(p.seq);
    const atKey = waiting.get(p.input.key);
    if (atKey !== undefined) {
      atKey.delete(p.input.event.event_id);
      if (atKey.size === 0) waiting.delete(p.input.key);
    }
    const siblings = byEvent.get(p.input.event.event_id);
    if (siblings !== undefined) {
      const rest = siblings.filter((s) => s !== p);
      if (rest.length === 0) byEvent.delete(p.input.event.event_id);
      else byEvent.set(p.input.event.event_id, rest);
    }
  }

  function withdraw(event: TmsEvent): void {
    const all = byEvent.get(event.event_id);
    if (all !== undefined) for (const p of [...all]) remove(p);
  }

  /** Withdraws a resolved event from every key it waits under; a tracking number learnt through its fulfillment becomes a new fact. */
  function resolve(key: string, event: TmsEvent, orderId: string, facts: LinkInput[]): void {
    withdraw(event);
    if (!key.startsWith('tn:')) {
      const tn = trackingKey(event.tracking_no);
      if (known.get(tn) !== orderId && !facts.some((f) => f.key === tn)) facts.push({ type: 'fact', key: tn, orderId });
    }
  }

  function wait(input: TmsLinkInput): void {
    const id = input.event.event_id;
    let atKey = waiting.get(input.key);
    if (atKey === undefined) {
      atKey = new Map();
      waiting.set(input.key, atKey);
    } else if (atKey.has(id)) {
      return;
    }
    const p: Pending = { seq: nextSeq++, input };
    atKey.set(id, p);
    queue.set(p.seq, p);
    const siblings = byEvent.get(id);
    if (siblings === undefined) byEvent.set(id, [p]);
    else siblings.push(p);
    while (queue.size > options.maxPending) {
      const oldest = queue.values().next().value as Pending;
      remove(oldest);
      options.onOverflow(oldest.input);
    }
  }

  return {
    accept(input) {
      if (input.type === 'tms') {
        const orderId = known.get(input.key) ?? known.get(trackingKey(input.event.tracking_no));
        if (orderId === undefined) {
          wait(input);
          return NOTHING;
        }
        const facts: LinkInput[] = [];
        resolve(input.key, input.event, orderId, facts);
        return { resolved: [{ orderId, event: input.event }], facts };
      }
      if (known.has(input.key)) return NOTHING;
      known.set(input.key, input.orderId);
      const atKey = waiting.get(input.key);
      if (atKey === undefined) return NOTHING;
      const resolved: RoutedEvent[] = [];
      const facts: LinkInput[] = [];
      for (const p of [...atKey.values()]) {
        resolve(input.key, p.input.event, input.orderId, facts);
        resolved.push({ orderId: input.orderId, event: p.input.event });
      }
      return { resolved, facts };
    },
    orphans(now, olderThanMs) {
      const byTracking = new Map<string, { since: number; events: Set<string> }>();
      for (const { input } of queue.values()) {
        const tn = input.event.tracking_no;
        const entry = byTracking.get(tn);
        if (entry === undefined) byTracking.set(tn, { since: input.receivedAt, events: new Set([input.event.event_id]) });
        else {
          if (input.receivedAt < entry.since) entry.since = input.receivedAt;
          entry.events.add(input.event.event_id);
        }
      }
      const result: Array<{ trackingNo: string; waitingMs: number; events: number }> = [];
      for (const [trackingNo, { since, events }] of byTracking) {
        const waitingMs = now - since;
        if (waitingMs > olderThanMs) result.push({ trackingNo, waitingMs, events: events.size });
      }
      return result.sort((a, b) => compareCodePoints(a.trackingNo, b.trackingNo));
    },
    get pendingCount() {
      return queue.size;
    },
  };
}
