import { compareOffsets } from './offsets.js';

/**
 * What a stage's `eachBatch` may resolve with: the batch is handed off (merged, or its output
 * sent) but not yet acknowledged (stored in ClickHouse, acknowledged by Kafka). The runner fetches
 * the next batch at once and commits this one once `acknowledged` resolves, in offset order.
 */
export interface BatchAck {
  acknowledged: Promise<void>;
}

/** A partition as the window keys it. */
interface Slot {
  /** Batches handed off and not yet committed, oldest first. */
  queue: Array<{ firstOffset: string; nextOffset: string; done: boolean }>;
  /** Bumped when the partition's pending work is dropped (failure, revoke): late settlements are ignored. */
  generation: number;
  /** Callers waiting for room. */
  waiters: Array<() => void>;
  /** Acknowledgements still running (done or failed counts as settled). */
  running: Set<Promise<unknown>>;
}

export interface AckWindowOptions {
  /** Batches of one partition handed off and not yet acknowledged before `room` waits. */
  limit: number;
  /**
   * Commits `nextOffset` for a partition: called in offset order, each time the oldest pending
   * batches are acknowledged, with the offset after the newest of them.
   */
  commit(topic: string, partition: number, nextOffset: string): void;
  /**
   * A batch's acknowledgement failed: everything from `fromOffset` on must be read again (the
   * runner seeks there). The partition's other pending batches are dropped uncommitted.
   */
  onFailure(topic: string, partition: number, fromOffset: string, err: unknown): void;
}

/**
 * The bounded window of handed-off, unacknowledged batches per partition between a consumer and
 * its commits ("acknowledge and move on"): a stage does not wait for its output to be stored
 * before it gets its next batch, yet an offset is committed only once everything before it is
 * acknowledged, and a full window pauses the partition (backpressure instead of unbounded
 * buffering). At-least-once, like the stages: a failure re-reads from the oldest unacknowledged
 * batch, and the merge's de-duplication absorbs what was already applied.
 */
export interface AckWindow {
  /** Resolves once the partition has room for one more batch. */
  room(topic: string, partition: number): Promise<void>;
  /** Records a batch handed off; its offsets are committed once it and every batch before it are acknowledged. */
  track(topic: string, partition: number, offsets: { firstOffset: string; lastOffset: string }, acknowledged: Promise<void>): void;
  /**
   * Waits until the pending batches of `partitions` (all when omitted) have settled, or `timeoutMs`
   * has passed; what is acknowledged by then has been committed (through `commit`). Returns the
   * number of batches still unacknowledged.
   */
  settle(options: {
    partitions?: ReadonlyArray<{ topic: string; partition: number }>;
    timeoutMs: number;
    /** Resolves after `ms` unless `signal` aborts first (`setTimeout` of node:timers/promises fits). */
    sleep: (ms: number, signal: AbortSignal) => Promise<unknown>;
  }): Promise<number>;
  /** Drops the partitions' pending batches uncommitted (revoked: their next owner reads them again). */
  forget(partitions: ReadonlyArray<{ topic: string; partition: number }>): void;
  /** Batches handed off and not yet committed, over every partition. */
  pending(): number;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function createAckWindow(options: AckWindowOptions): AckWindow {
  if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`ack window limit must be a positive integer, got ${options.limit}`);
  const slots = new Map<string, Slot>();

  function slotOf(topic: string, partition: number): Slot {
    const k = key(topic, partition);
    let slot = slots.get(k);
    if (slot === undefined) slots.set(k, (slot = { queue: [], generation: 0, waiters: [], running: new Set() }));
    return slot;
  }

  function wakeWaiters(slot: Slot): void {
    while (slot.waiters.length > 0 && slot.queue.length < options.limit) slot.waiters.shift()!();
  }

  function drop(slot: Slot): void {
    slot.queue = [];
    slot.generation++;
    const waiters = slot.waiters;
    slot.waiters = [];
    for (const w of waiters) w();
  }

  function advance(topic: string, partition: number, slot: Slot): void {
    let committed: string | undefined;
    while (slot.queue.length > 0 && slot.queue[0]!.done) committed = slot.queue.shift()!.nextOffset;
    if (committed !== undefined) options.commit(topic, partition, committed);
    wakeWaiters(slot);
  }

  return {
    room(topic, partition) {
      const slot = slotOf(topic, partition);
      if (slot.queue.length < options.limit) return Promise.resolve();
      return new Promise((resolve) => slot.waiters.push(resolve));
    },
    track(topic, partition, { firstOffset, lastOffset }, acknowledged) {
      const slot = slotOf(topic, partition);
      const last = slot.queue[slot.queue.length - 1];
      if (last !== undefined && compareOffsets(firstOffset, last.nextOffset) < 0) {
        // Offsets went back (a seek after a failure re-delivers): the older entries are void.
        drop(slot);
      }
      const entry = { firstOffset, nextOffset: (BigInt(lastOffset) + 1n).toString(), done: false };
      slot.queue.push(entry);
      const generation = slot.generation;
      const settled = acknowledged.then(
        () => {
          if (slot.generation !== generation) return;
          entry.done = true;
          advance(topic, partition, slot);
        },
        (err: unknown) => {
          if (slot.generation !== generation) return;
          const from = slot.queue[0]?.firstOffset ?? firstOffset;
          drop(slot);
          options.onFailure(topic, partition, from, err);
        },
      );
      slot.running.add(settled);
      void settled.finally(() => slot.running.delete(settled));
    },
    async settle({ partitions, timeoutMs, sleep }) {
      const chosen = partitions === undefined ? [...slots.values()] : partitions.map((p) => slots.get(key(p.topic, p.partition))).filter((s): s is Slot => s !== undefined);
      const running = chosen.flatMap((s) => [...s.running]);
      if (running.length > 0) {
        const timeout = new AbortController();
        await Promise.race([Promise.allSettled(running), sleep(timeoutMs, timeout.signal).catch(() => undefined)]);
        timeout.abort();
      }
      return chosen.reduce((n, s) => n + s.queue.length, 0);
    },
    forget(partitions) {
      for (const p of partitions) {
        const slot = slots.get(key(p.topic, p.partition));
        if (slot !== undefined) drop(slot);
      }
    },
    pending() {
      let n = 0;
      for (const slot of slots.values()) n += slot.queue.length;
      return n;
    },
  };
}
