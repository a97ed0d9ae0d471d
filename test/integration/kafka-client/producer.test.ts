import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners, type Admin, type Kafka, type PartitionMetadata } from 'kafkajs';
import type { KafkaAdmin, KafkaClient, KafkaProducer } from '../../../src/sources/kafka/index.js';
import { testKafka } from '../../helpers/kafka-client.js';
import { createTopics, randomName, waitFor } from '../../helpers/kafka-topics.js';
import { LIBRARIES, portClient } from './support/port-client.js';

/** Partition of `key` by kafkajs's DefaultPartitioner (murmur2, as the Java client) over `count` partitions. */
function kafkajsPartition(topic: string, key: string, count: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));
  return Partitioners.DefaultPartitioner()({ topic, partitionMetadata, message: { key, value: null } });
}

/** Keys like the internal topics carry (order ids, tracking numbers, link keys) plus non-ASCII ones. */
function sampleKeys(count: number): string[] {
  const shapes = [(i: number) => `SO-${100000 + i}`, (i: number) => `tn:SF${9000000000 + i * 7919}`, (i: number) => `ff:FF-${i}-${i % 3}`, (i: number) => `订单-${i}-ü`];
  return Array.from({ length: count }, (_, i) => shapes[i % shapes.length]!(i));
}

/** Producer and admin of each adapter against the real broker. */
describe.each(LIBRARIES)('producer and admin on %s', (library) => {
  let kafka: Kafka;
  let testAdmin: Admin;
  let client: KafkaClient;
  let producer: KafkaProducer;
  let admin: KafkaAdmin;

  beforeAll(async () => {
    kafka = testKafka();
    testAdmin = kafka.admin();
    await testAdmin.connect();
    client = portClient(library);
    producer = await client.producer();
    admin = await client.admin();
  });

  afterAll(async () => {
    await producer?.close();
    await admin?.close();
    await testAdmin?.disconnect();
  });

  it('resolves sendBatch only once every record is in the log', async () => {
    const [t1, t2] = [randomName('acks'), randomName('acks')];
    await createTopics(testAdmin, [t1!, t2!], 3);
    const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k-${i}`, value: Buffer.from(String(i)) }));
    for (let round = 1; round <= 3; round++) {
      await producer.sendBatch(
        [
          { topic: t1!, messages: messages(1500) },
          { topic: t2!, messages: messages(500) },
        ],
        { acks: 'all' },
      );
      // No waiting: the end offsets must already count what the resolved call sent.
      const ends = async (topic: string) => (await testAdmin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
      expect(await ends(t1!)).toBe(1500 * round);
      expect(await ends(t2!)).toBe(500 * round);
    }
    await producer.sendBatch([], { acks: 'all' });
    await producer.sendBatch([{ topic: t1!, messages: [] }], { acks: 'all' });
  });

  it('rejects sendBatch with OL_ERR_KAFKA when a record is refused', async () => {
    const topic = randomName('refused');
    await createTopics(testAdmin, [topic], 1);
    const tooLarge = Buffer.alloc(2 * 1024 * 1024, 1);
    await expect(
      producer.sendBatch([{ topic, messages: [{ key: 'a', value: Buffer.from('fine') }, { key: 'b', value: tooLarge }] }], { acks: 'all' }),
    ).rejects.toMatchObject({ code: 'OL_ERR_KAFKA' });
    // The producer is still usable afterwards.
    await producer.sendBatch([{ topic, messages: [{ key: 'c', value: Buffer.from('after') }] }], { acks: 'all' });
  });

  it('puts every key on the partition kafkajs and the Java client choose (murmur2)', async () => {
    const topic = randomName('partitioner');
    const partitions = 12;
    await createTopics(testAdmin, [topic], partitions);
    const keys = sampleKeys(3000);
    await producer.sendBatch([{ topic, messages: keys.map((key) => ({ key, value: Buffer.from(key) })) }], { acks: 'all' });

    const landed = new Map<string, number>();
    const consumer = kafka.consumer({ groupId: randomName('partitioner-check'), maxWaitTimeInMs: 250 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          landed.set(message.key!.toString('utf8'), partition);
        },
      });
      await waitFor(() => landed.size >= keys.length, { timeoutMs: 60_000, describe: 'all 3000 keyed records read back' });
    } finally {
      await consumer.disconnect();
    }
    const disagreements = keys.filter((key) => landed.get(key) !== kafkajsPartition(topic, key, partitions));
    expect(disagreements).toEqual([]);
    expect(new Set(landed.values()).size).toBe(partitions);
  });

  it('creates missing topics (leaving existing ones alone), lists them and reads their metadata', async () => {
    const [fresh, other] = [randomName('admin'), randomName('admin')];
    await admin.createTopics([
      { topic: fresh!, partitions: 5, replicationFactor: 1 },
      { topic: other!, partitions: 2, replicationFactor: 1 },
    ]);
    await admin.createTopics([{ topic: fresh!, partitions: 7, replicationFactor: 1 }]);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([fresh, other]));
    const metadata = await admin.fetchTopicMetadata([fresh!, other!, randomName('absent')]);
    expect(metadata.map((t) => [t.topic, t.partitions.map((p) => p.partition)]).sort()).toEqual(
      [
        [fresh, [0, 1, 2, 3, 4]],
        [other, [0, 1]],
      ].sort(),
    );
    for (const t of metadata) for (const p of t.partitions) expect(p.leader).toBeGreaterThanOrEqual(0);
  });
});
