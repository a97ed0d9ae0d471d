import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * Largest slice of a batch processed without giving the event loop back: a consumed batch can
 * hold thousands of messages, and decoding or merging them in one go would hold up WebSocket
 * pushes and API lookups for tens of milliseconds.
 */
export const CHUNK_SIZE = 500;

/** Runs `work` over consecutive slices of `items`, yielding to the event loop between slices. */
export async function inChunks<T, R>(items: readonly T[], work: (slice: readonly T[]) => R | Promise<R>, size = CHUNK_SIZE): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    if (i > 0) await yieldToLoop();
    results.push(await work(items.slice(i, i + size)));
  }
  return results;
}
