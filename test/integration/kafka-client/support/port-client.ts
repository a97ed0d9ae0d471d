import { pino } from 'pino';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { createKafkajsClient, createRdkafkaClient, loadRdkafka, type KafkaClient, type KafkaProducer } from '../../../../src/sources/kafka/index.js';
import type { ConsumedMessage, ConsumerGroup, ConsumerGroupSpec, PartitionsByTopic } from '../../../../src/sources/kafka/index.js';
import { kafkaBrokers } from '../../../helpers/kafka-env.js';
import { testKafka, useTestKafka } from '../../../helpers/kafka-client.js';
import { randomName } from '../../../helpers/kafka-topics.js';

export type Library = 'kafkajs' | 'rdkafka';
export const LIBRARIES: Library[] = ['kafkajs', 'rdkafka'];

/** Client logs stay quiet unless ORDERLAKE_TEST_KAFKA_LOG names a pino level. */
const logger = pino({ level: process.env.ORDERLAKE_TEST_KAFKA_LOG ?? 'silent' });

/** The port on the run's broker with the named library, as the composition root builds it. */
export function portClient(library: Library): KafkaClient {
  if (library === 'rdkafka') {
    return createRdkafkaClient({
      rdkafka: loadRdkafka(),
      connection: { brokers: kafkaBrokers(), clientId: randomName('ol-test'), ssl: false },
      logger,
    });
  }
  return createKafkajsClient({ kafka: testKafka(), logger });
}

/** One record as a test member saw it. */
export interface Seen {
  member: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * A group member that records what it is handed: batches, assignments, and any batch handed over
 * for a partition it did not hold at that moment (which the runner promises never happens).
 */
export interface RecordingMember {
  name: string;
  group: ConsumerGroup;
  owned: Set<string>;
  assigns: PartitionsByTopic[];
  revokes: PartitionsByTopic[];
  violations: string[];
}

export function recordingMember(
  name: string,
  group: ConsumerGroup,
  seen: Seen[],
  options: { onBatch?: (batch: { topic: string; partition: number; messages: ConsumedMessage[] }) => void | Promise<void> } = {},
): { member: RecordingMember; spec: Pick<ConsumerGroupSpec, 'onAssign' | 'onRevoke' | 'eachBatch'> } {
  const member: RecordingMember = { name, group, owned: new Set(), assigns: [], revokes: [], violations: [] };
  const spec: Pick<ConsumerGroupSpec, 'onAssign' | 'onRevoke' | 'eachBatch'> = {
    onAssign(partitions) {
      member.assigns.push(partitions);
      for (const [topic, list] of Object.entries(partitions)) for (const p of list) member.owned.add(`${topic}:${p}`);
    },
    onRevoke(partitions) {
      member.revokes.push(partitions);
      for (const [topic, list] of Object.entries(partitions)) for (const p of list) member.owned.delete(`${topic}:${p}`);
    },
    async eachBatch(batch) {
      if (!member.owned.has(`${batch.topic}:${batch.partition}`)) member.violations.push(`${batch.topic}:${batch.partition}@${batch.messages[0]?.offset}`);
      await options.onBatch?.(batch);
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = v.toString('utf8');
        seen.push({
          member: name,
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key?.toString('utf8') ?? '',
          value: m.value?.toString('utf8') ?? '',
          headers,
        });
      }
    },
  };
  return { member, spec };
}

/** Whether the group's committed offsets equal the topic's end offsets on every partition. */
export async function committedAtEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  return ends.every((end) => committed?.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
}

/** `count` keyed records numbered from `from`: keys cycle over 40 order ids. */
export function numberedMessages(from: number, count: number): Array<{ key: string; value: Buffer }> {
  return Array.from({ length: count }, (_, i) => ({
    key: `order-${String((from + i) % 40).padStart(3, '0')}`,
    value: Buffer.from(JSON.stringify({ index: from + i })),
  }));
}

export function indexOf(seen: Seen): number {
  return (JSON.parse(seen.value) as { index: number }).index;
}

/** One describe block's Kafka port: the adapter under test, its producer, and a kafkajs admin to check with. */
export interface PortFixture {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly client: KafkaClient;
  readonly producer: KafkaProducer;
  /** Remembers a running group so the block's afterAll stops it; returns it. */
  track(group: ConsumerGroup): ConsumerGroup;
  /** Forgets a group the test stopped itself. */
  untrack(group: ConsumerGroup): void;
}

/**
 * Registers the hooks of a consumer-group test block on `library`: connects the adapter's producer
 * and a kafkajs admin before the tests, and stops every tracked group, the producer and the admin
 * after them.
 */
export function usePortFixture(library: Library): PortFixture {
  const k = useTestKafka();
  let client: KafkaClient | undefined;
  let producer: KafkaProducer | undefined;
  const running: ConsumerGroup[] = [];
  beforeAll(async () => {
    client = portClient(library);
    producer = await client.producer();
  });
  afterAll(async () => {
    for (const group of running) await group.stop();
    await producer?.close();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`usePortFixture: the ${what} exists only inside tests`);
    return value;
  };
  return {
    get kafka() {
      return k.kafka;
    },
    get admin() {
      return k.admin;
    },
    get client() {
      return ready(client, 'client');
    },
    get producer() {
      return ready(producer, 'producer');
    },
    track(group) {
      running.push(group);
      return group;
    },
    untrack(group) {
      const i = running.indexOf(group);
      if (i >= 0) running.splice(i, 1);
    },
  };
}
