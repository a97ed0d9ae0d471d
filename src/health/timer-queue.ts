import { compareCodePoints } from '../golden/index.js';
import { BinaryHeap } from './binary-heap.js';

/** A deadline that came due: the key it was set for and its time. */
export interface DueTimer {
  readonly key: string;
  readonly at: number;
}

/**
 * One deadline per key (an order × rule, a source × rule …), in event time. Setting a key again
 * replaces its deadline. Moving a deadline later costs nothing now: the earlier heap entry, when it
 * surfaces, queues the current deadline instead of firing (a source's silence moves later with each
 * of its events). Stale entries are skipped, and compacted away when they outnumber the live ones.
 *
 * Due timers come out in (time, key) order — keys by code point — so the same deadlines give the
 * same firing order on every run, whatever order they were set in.
 */
export class TimerQueue {
  readonly #deadlines = new Map<string, number>();
  /** The earliest heap entry of each key: a deadline at or after it needs no entry of its own yet. */
  readonly #queued = new Map<string, number>();
  readonly #heap = new BinaryHeap<DueTimer>((a, b) => a.at < b.at || (a.at === b.at && compareCodePoints(a.key, b.key) < 0));

  /** Live deadlines. */
  get size(): number {
    return this.#deadlines.size;
  }

  set(key: string, at: number): void {
    this.#deadlines.set(key, at);
    const queued = this.#queued.get(key);
    if (queued !== undefined && queued <= at) return;
    this.#push(key, at);
    if (this.#heap.size > 2 * this.#deadlines.size + 64) this.#compact();
  }

  delete(key: string): void {
    this.#deadlines.delete(key);
  }

  /** Removes and returns the earliest live deadline at or before `upTo`; undefined when none is due. */
  popDue(upTo: number): DueTimer | undefined {
    for (let top = this.#heap.peek(); top !== undefined && top.at <= upTo; top = this.#heap.peek()) {
      this.#heap.pop();
      if (this.#queued.get(top.key) === top.at) this.#queued.delete(top.key);
      const deadline = this.#deadlines.get(top.key);
      if (deadline === top.at) {
        this.#deadlines.delete(top.key);
        return top;
      }
      // Moved later while this entry waited: queue the deadline it has now.
      if (deadline !== undefined && deadline > top.at && !this.#queued.has(top.key)) this.#push(top.key, deadline);
    }
    return undefined;
  }

  #push(key: string, at: number): void {
    this.#queued.set(key, at);
    this.#heap.push({ key, at });
  }

  #compact(): void {
    this.#heap.drain();
    this.#queued.clear();
    for (const [key, at] of this.#deadlines) this.#push(key, at);
  }
}
