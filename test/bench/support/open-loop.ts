import type { Producer } from 'kafkajs';
import type { PreparedMessage } from './kafka-infra.js';
import { epochNow } from './stats.js';

/** How an open-loop send went: how far behind its schedule the producer itself fell. */
export interface OpenLoopReport {
  sent: number;
  /** Largest delay between a message's intended send time and its actual send call, ms. */
  maxSendLagMs: number;
  failedSends: number;
  /** Intended time of the first message to the completion of the last send, ms. */
  ms: number;
}

/**
 * Sends `messages[i]` at `intended[i]` (epoch ms) whatever happened to earlier sends: an open-loop
 * load, so a slow system cannot slow the load down and hide its own queueing (coordinated
 * omission). Messages that are due together go in one request; requests overlap.
 */
export async function sendOpenLoop(producer: Producer, messages: readonly PreparedMessage[], intended: Float64Array): Promise<OpenLoopReport> {
  const pending = new Set<Promise<void>>();
  let failedSends = 0;
  let maxSendLagMs = 0;
  let i = 0;
  while (i < messages.length) {
    const now = epochNow();
    const wait = intended[i]! - now;
    if (wait > 0) {
      await new Promise((resolve) => (wait >= 1 ? setTimeout(resolve, Math.min(wait, 10)) : setImmediate(resolve)));
      continue;
    }
    maxSendLagMs = Math.max(maxSendLagMs, now - intended[i]!);
    const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null }>>();
    while (i < messages.length && intended[i]! <= now) {
      const m = messages[i++]!;
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, (list = []));
      list.push({ key: m.key, value: m.value });
    }
    const send = producer
      .sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) })
      .then(
        () => undefined,
        () => {
          failedSends++;
        },
      );
    pending.add(send);
    void send.finally(() => pending.delete(send));
  }
  await Promise.all(pending);
  return { sent: messages.length, maxSendLagMs: Math.round(maxSendLagMs * 10) / 10, failedSends, ms: Math.round(epochNow() - intended[0]!) };
}

/** A fixed-rate schedule: `count` intended send times from `start`, `1000 / rate` ms apart. */
export function schedule(start: number, rate: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = start + (i * 1000) / rate;
  return out;
}
