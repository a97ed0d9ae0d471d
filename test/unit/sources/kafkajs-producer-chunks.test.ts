import { describe, expect, it } from 'vitest';
import { chunkTopicMessages } from '../../../src/sources/kafka/kafkajs-producer.js';

const message = (n: number, bytes: number) => ({ key: Buffer.from(`k${n}`), value: Buffer.alloc(bytes, n % 256) });

describe('chunkTopicMessages', () => {
  it('keeps every message, in order, in requests under the byte bound', () => {
    const input = [
      { topic: 'a', messages: Array.from({ length: 50 }, (_, i) => message(i, 10_000)) },
      { topic: 'b', messages: Array.from({ length: 30 }, (_, i) => message(100 + i, 20_000)) },
    ];
    const chunks = chunkTopicMessages(input, 100_000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      const bytes = chunk.flatMap((t) => t.messages).reduce((n, m) => n + m.value!.length, 0);
      expect(bytes).toBeLessThanOrEqual(100_000);
    }
    const flattened = chunks.flatMap((c) => c.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.key!.toString()}`)));
    expect(flattened).toEqual(input.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.key!.toString()}`)));
  });

  it('sends a message larger than the bound on its own', () => {
    const chunks = chunkTopicMessages([{ topic: 'a', messages: [message(1, 10), message(2, 500), message(3, 10)] }], 100);
    expect(chunks.map((c) => c[0]!.messages.map((m) => m.key!.toString()))).toEqual([['k1'], ['k2'], ['k3']]);
  });
});
