import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { testKafka, testProducer } from '../../helpers/kafka-client.js';
import { createTopics, randomName, waitFor } from '../../helpers/kafka-topics.js';

/**
 * Smoke test of the run's real Kafka broker with the client orderlake uses (kafkajs 2.2.4 against
 * Kafka 4.x, which dropped old protocol versions): produce, consume in a group with eachBatch and
 * manual offset resolution, commits, a rebalance, and the admin calls tests rely on.
 */

interface Received {
  consumer: string;
  partition: number;
  offset: string;
  key: string;
  seq: number;
  /** Position in the whole send sequence. */
  index: number;
}

const keys = Array.from({ length: 40 }, (_, i) => `order-${String(i).padStart(3, '0')}`);

/**
 * Messages `from`..`to - 1` (their `index`), keyed round-robin; `seq` numbers each key's messages
 * in send order.
 */
function keyedMessages(from: number, to: number): Array<{ key: string; value: string }> {
  const messages = [];
  for (let i = from; i < to; i++) {
    const key = keys[i % keys.length] as string;
    messages.push({ key, value: JSON.stringify({ key, seq: Math.floor(i / keys.length), index: i }) });
  }
  return messages;
}

function collector(consumerName: string, into: Received[]) {
  return async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload) => {
    for (const message of batch.messages) {
      const value = JSON.parse(message.value?.toString('utf8') ?? 'null') as Omit<Received, 'consumer' | 'partition' | 'offset'>;
      into.push({ consumer: consumerName, partition: batch.partition, offset: message.offset, ...value });
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
    }
    await heartbeat();
  };
}

async function committedEqualsEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  return ends.every(
    (end) => committed?.partitions.find((partition) => partition.partition === end.partition)?.offset === end.high,
  );
}

describe('real Kafka broker with kafkajs', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    producer = testProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
    await producer?.disconnect();
    if (topics.length > 0) {
      await admin.deleteTopics({ topics });
      const remaining = await admin.listTopics();
      expect(remaining.filter((topic) => topics.includes(topic))).toEqual([]);
    }
    await admin?.disconnect();
  });

  it('delivers 1,000 keyed messages once, in key order, and commits up to the end offsets', async () => {
    const started = Date.now();
    const topic = randomName('smoke');
    const groupId = randomName('smoke-group');
    topics.push(topic);
    await createTopics(admin, [topic], 3);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);

    await producer.send({ topic, messages: keyedMessages(0, 1000) });

    const received: Received[] = [];
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, heartbeatInterval: 500 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachBatchAutoResolve: false, autoCommitThreshold: 100, eachBatch: collector('a', received) });

    await waitFor(() => received.length >= 1000, { timeoutMs: 60_000, describe: 'all 1000 messages consumed' });
    await waitFor(() => committedEqualsEnd(admin, groupId, topic), {
      timeoutMs: 30_000,
      intervalMs: 200,
      describe: 'committed offsets to reach the end offsets',
    });

    expect(received).toHaveLength(1000);
    expect(new Set(received.map((r) => `${r.partition}:${r.offset}`)).size).toBe(1000);
    const partitionOfKey = new Map<string, number>();
    const seqsOfKey = new Map<string, number[]>();
    for (const r of received) {
      expect(partitionOfKey.get(r.key) ?? r.partition).toBe(r.partition);
      partitionOfKey.set(r.key, r.partition);
      seqsOfKey.set(r.key, [...(seqsOfKey.get(r.key) ?? []), r.seq]);
    }
    expect([...seqsOfKey.keys()].sort()).toEqual(keys);
    for (const seqs of seqsOfKey.values()) expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(new Set(partitionOfKey.values()).size).toBe(3);

    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((sum, end) => sum + Number(end.high), 0)).toBe(1000);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions.map((p) => p.offset).sort()).toEqual(ends.map((end) => end.high).sort());
    process.stderr.write(`[orderlake tests] 1000-message round trip took ${Date.now() - started} ms\n`);
  });

  it('rebalances when a second consumer joins, and the two together see every message', async () => {
    const started = Date.now();
    const topic = randomName('rebalance');
    const groupId = randomName('rebalance-group');
    topics.push(topic);
    await createTopics(admin, [topic], 3);
    await producer.send({ topic, messages: keyedMessages(0, 500) });

    const received: Received[] = [];
    const assignments = new Map<string, number[]>();
    const joinCount = new Map<string, number>();
    const startConsumer = async (name: string): Promise<Consumer> => {
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, heartbeatInterval: 300, sessionTimeout: 10_000 });
      consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(name, [...(event.payload.memberAssignment[topic] ?? [])].sort());
        joinCount.set(name, (joinCount.get(name) ?? 0) + 1);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatchAutoResolve: false, eachBatch: collector(name, received) });
      return consumer;
    };

    await startConsumer('a');
    await waitFor(() => assignments.get('a')?.length === 3, { timeoutMs: 60_000, describe: 'consumer a to own all 3 partitions' });
    await waitFor(() => received.length >= 500, { timeoutMs: 60_000, describe: 'consumer a to read the first 500 messages' });
    await waitFor(() => committedEqualsEnd(admin, groupId, topic), {
      timeoutMs: 30_000,
      intervalMs: 200,
      describe: 'consumer a to commit the first 500 messages',
    });

    await startConsumer('b');
    await waitFor(
      () => {
        const a = assignments.get('a') ?? [];
        const b = assignments.get('b') ?? [];
        return (joinCount.get('a') ?? 0) >= 2 && a.length > 0 && b.length > 0 && a.length + b.length === 3;
      },
      { timeoutMs: 60_000, describe: 'the group to rebalance the 3 partitions over consumers a and b' },
    );
    expect([...(assignments.get('a') ?? []), ...(assignments.get('b') ?? [])].sort()).toEqual([0, 1, 2]);

    await producer.send({ topic, messages: keyedMessages(500, 1000) });
    const distinct = (): number => new Set(received.map((r) => `${r.partition}:${r.offset}`)).size;
    await waitFor(() => distinct() >= 1000, { timeoutMs: 60_000, describe: 'all 1000 messages consumed by a and b' });
    await waitFor(() => committedEqualsEnd(admin, groupId, topic), {
      timeoutMs: 30_000,
      intervalMs: 200,
      describe: 'committed offsets to reach the end offsets',
    });

    expect(distinct()).toBe(1000);
    const bPartitions = new Set(assignments.get('b'));
    const afterRebalance = received.filter((r) => r.index >= 500);
    for (const r of afterRebalance) expect(r.consumer).toBe(bPartitions.has(r.partition) ? 'b' : 'a');
    expect(afterRebalance.some((r) => r.consumer === 'a')).toBe(true);
    expect(afterRebalance.some((r) => r.consumer === 'b')).toBe(true);
    process.stderr.write(`[orderlake tests] two-consumer rebalance test took ${Date.now() - started} ms\n`);
  });
});
