import type { ShuffleMode } from './scenario-options.js';
import type { Rng } from './seeded-random.js';

/**
 * Out-of-order delivery across topics, as consumers of many partitions see it. `window` moves each
 * line by fewer than `window` positions (sort by position plus a random lag); `full` permutes all.
 */
export function reorderLines<T>(items: readonly T[], mode: ShuffleMode, window: number, rng: Rng): T[] {
  if (mode === 'none') return [...items];
  if (mode === 'full') {
    const shuffled = [...items];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      const swap = shuffled[i] as T;
      shuffled[i] = shuffled[j] as T;
      shuffled[j] = swap;
    }
    return shuffled;
  }
  return items
    .map((item, index) => ({ item, key: index + rng.next() * window }))
    .sort((a, b) => a.key - b.key)
    .map((entry) => entry.item);
}

/**
 * A bounded hold-back buffer for endless streams: each line leaves at a random moment while up to
 * `capacity` others wait, so delivery is out of order without ever holding more than `capacity`.
 */
export class ReorderBuffer<T> {
  private readonly items: T[] = [];

  constructor(
    readonly capacity: number,
    private readonly rng: Rng,
  ) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
  }

  popRandom(): T | undefined {
    if (this.items.length === 0) return undefined;
    const index = Math.floor(this.rng.next() * this.items.length);
    const last = this.items.pop() as T;
    if (index === this.items.length) return last;
    const chosen = this.items[index] as T;
    this.items[index] = last;
    return chosen;
  }
}
