/**
 * The link facts (key → order) this worker has already put on the links topic and seen
 * acknowledged, bounded to the most recent `capacity`. A fulfillment's WMS events all carry the
 * same facts; sending each once instead of once per event cuts the links traffic several-fold.
 * Forgetting one is harmless: the fact is merely sent again (facts are idempotent).
 */
export interface SentFacts {
  has(key: string, orderId: string): boolean;
  add(key: string, orderId: string): void;
  readonly size: number;
}

export function createSentFacts(capacity: number): SentFacts {
  const seen = new Map<string, string>();
  return {
    has: (key, orderId) => seen.get(key) === orderId,
    add(key, orderId) {
      seen.delete(key);
      seen.set(key, orderId);
      if (seen.size > capacity) seen.delete(seen.keys().next().value as string);
    },
    get size() {
      return seen.size;
    },
  };
}
