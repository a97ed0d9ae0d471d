import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';

/**
 * A name no other test (or earlier run against the same broker) uses: `prefix-` plus 12 random
 * hex digits. For topics, consumer groups, subjects and databases.
 */
export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * Creates the topics and waits until each partition has a leader, so producing right after does
 * not race the broker. Fails when a topic already exists: test topics are meant to be fresh.
 */
export async function createTopics(admin: Admin, names: string[], partitions: number): Promise<void> {
  const created = await admin.createTopics({
    topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  if (!created) throw new Error(`some of the topics ${names.join(', ')} already exist`);
}

export interface WaitForOptions {
  /** Give up after this long, in ms. */
  timeoutMs: number;
  /** Pause between two checks, in ms. Default 50. */
  intervalMs?: number;
  /** What is being waited for, for the timeout message ("all 1000 messages consumed"). */
  describe: string;
}

/**
 * Polls `predicate` until it returns a truthy value and resolves with that value: the way tests
 * wait for asynchronous effects, instead of sleeping a fixed time. A predicate that throws counts
 * as not yet; its last error is reported if the wait times out.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Exclude<T, false | 0 | '' | null | undefined>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError === undefined ? '' : `; last error: ${String(lastError)}`;
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.describe}${reason}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
