import type { KafkaProducer, TopicMessages } from './kafka-port.js';

export interface CoalescingProducer extends KafkaProducer {
  /**
   * How long the send in flight has been waiting for its acknowledgement, ms (0: none). A send
   * normally settles within the client's request timeout and retries; one that does not is a stuck
   * client, which readiness reports (every stage that produces waits behind it).
   */
  inFlightMs(): number;
}

interface Waiting {
  topicMessages: readonly TopicMessages[];
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Merges the `sendBatch` calls made while a send is in flight into the next one. An idempotent
 * producer has one request in flight at a time, so partitions handled concurrently used to queue
 * up one round trip each (30 source partitions in waves of 4 put ~100 ms on the ingest hop at
 * 5,000 events/s); merged, each wave costs one round trip. Every caller is answered by the send
 * that carried its records, and a failed send rejects all of its callers (each retries its own
 * batch). A caller's records stay in its order, and calls to one partition keep their call order.
 */
export function createCoalescingProducer(inner: KafkaProducer, options: { now?: () => number } = {}): CoalescingProducer {
  const now = options.now ?? Date.now;
  let queue: Waiting[] = [];
  let pumping: Promise<void> | null = null;
  let sendingSince: number | null = null;

  async function pump(): Promise<void> {
    // Give the other batches of the same fetch a turn to join the first send.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const taken = queue;
      queue = [];
      sendingSince = now();
      try {
        await inner.sendBatch(mergeByTopic(taken), { acks: 'all' });
        for (const w of taken) w.resolve();
      } catch (err) {
        for (const w of taken) w.reject(err);
      } finally {
        sendingSince = null;
      }
    }
    pumping = null;
  }

  return {
    sendBatch(topicMessages) {
      if (topicMessages.every((t) => t.messages.length === 0)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ topicMessages, resolve, reject });
        pumping ??= pump();
      });
    },
    async close() {
      await pumping;
      await inner.close();
    },
    inFlightMs: () => (sendingSince === null ? 0 : now() - sendingSince),
  };
}

/** One entry per topic, in first-seen order, each with its messages in call order. */
function mergeByTopic(waiting: readonly Waiting[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const w of waiting) {
    for (const t of w.topicMessages) {
      if (t.messages.length === 0) continue;
      const slot = byTopic.get(t.topic);
      if (slot === undefined) byTopic.set(t.topic, { topic: t.topic, messages: [...t.messages] });
      else for (const m of t.messages) slot.messages.push(m);
    }
  }
  return [...byTopic.values()];
}
