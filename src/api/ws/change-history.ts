import type { OrderDelta } from './order-delta.js';

/**
 * The last changes of recently changed orders, so that a reconnecting client gets exactly the
 * deltas it missed. Bounded twice: a ring of `perOrder` changes per order, and `maxEntries` over
 * all orders, forgetting the least recently changed orders first. What is forgotten is never
 * guessed: `since` then answers null and the caller sends a fresh snapshot.
 */
export interface ChangeHistory {
  record(delta: OrderDelta): void;
  /**
   * The changes that lead from `version` to `current`, contiguous and in order ([] when equal);
   * null when they are not all known.
   */
  since(orderId: string, version: number, current: number): OrderDelta[] | null;
  /** The newest recorded change of the order (a delete tells a resuming client the final version). */
  latest(orderId: string): OrderDelta | undefined;
  /** Changes held over all orders. */
  readonly size: number;
}

export function createChangeHistory(options: { perOrder: number; maxEntries: number }): ChangeHistory {
  const rings = new Map<string, OrderDelta[]>();
  let size = 0;

  function forget(orderId: string): void {
    const ring = rings.get(orderId);
    if (ring === undefined) return;
    size -= ring.length;
    rings.delete(orderId);
  }

  return {
    record(delta) {
      let ring = rings.get(delta.orderId);
      if (ring !== undefined) {
        rings.delete(delta.orderId);
        // A version jump (the order was rebuilt elsewhere in between) breaks the chain: start over.
        if (ring[ring.length - 1]!.version !== delta.fromVersion) {
          size -= ring.length;
          ring = [];
        }
      } else {
        ring = [];
      }
      rings.set(delta.orderId, ring);
      ring.push(delta);
      size++;
      if (ring.length > options.perOrder) {
        ring.shift();
        size--;
      }
      while (size > options.maxEntries) {
        const oldest = rings.keys().next();
        if (oldest.done) break;
        forget(oldest.value);
      }
    },
    since(orderId, version, current) {
      if (version === current) return [];
      if (version > current) return null;
      const ring = rings.get(orderId);
      if (ring === undefined || ring[ring.length - 1]!.version !== current) return null;
      const start = ring.findIndex((d) => d.fromVersion === version);
      return start === -1 ? null : ring.slice(start);
    },
    latest(orderId) {
      const ring = rings.get(orderId);
      return ring === undefined ? undefined : ring[ring.length - 1];
    },
    get size() {
      return size;
    },
  };
}
