import type { PartitionWatermarks } from './kafka-port.js';
import { partitionKey } from './partition-sets.js';

/** Where a consumer stands on one partition. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  /** The next offset it will read (a committed offset, or the one after the last record handled); `-1`: none yet. */
  offset: string;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Records between the position and the log end. */
  lag: number;
}

/**
 * Lag per partition: the high-water mark minus the position, for every partition in `watermarks`
 * (in their order). What counts where the position says little:
 *
 * - no position (`-1`, or none given: nothing committed yet, or a stage that never commits has not
 *   handled a batch since it got the partition): counted from where the group starts reading it —
 *   the low-water mark with `fromBeginning` (everything still in the log lies ahead of it), the
 *   high-water mark without (lag 0). Not from offset 0: records retention has deleted will never be
 *   read, so they are not lag;
 * - a position below the low-water mark (retention deleted records the group had not read yet):
 *   counted from the low-water mark, for the same reason;
 * - a position past the high-water mark (the watermarks were read before a commit that came after
 *   them): 0, never negative.
 *
 * Offsets are int64 strings; the arithmetic is exact (BigInt) and only the result becomes a number.
 */
export function partitionLags(
  watermarks: readonly PartitionWatermarks[],
  positions: readonly PartitionPosition[],
  options: { fromBeginning: boolean },
): PartitionLag[] {
  const at = new Map<string, string>();
  for (const p of positions) at.set(partitionKey(p), p.offset);
  return watermarks.map(({ topic, partition, low, high }) => {
    const end = BigInt(high);
    const start = BigInt(low);
    const offset = at.get(partitionKey({ topic, partition }));
    const position = offset === undefined || offset.startsWith('-') ? (options.fromBeginning ? start : end) : BigInt(offset);
    const from = position < start ? start : position;
    const lag = end > from ? end - from : 0n;
    return { topic, partition, lag: Number(lag) };
  });
}
