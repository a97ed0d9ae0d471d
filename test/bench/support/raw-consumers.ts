import { createRequire } from 'node:module';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { epochNow } from './stats.js';

/** A consume of `expected` messages with no processing at all: the client's own floor. */
export interface RawConsumeResult {
  client: string;
  messages: number;
  /** connect + subscribe + group join until the first message. */
  joinMs: number;
  /** First message to the last. */
  consumeMs: number;
  eventsPerSec: number;
  timedOut: boolean;
}

/** Throughput settings shared with the workers' consumers (4 MiB per partition fetch). */
const PARTITION_FETCH_BYTES = 4 << 20;

export async function rawConsumeKafkajs(brokers: string, topics: string[], expected: number, timeoutMs: number, groupId: string): Promise<RawConsumeResult> {
  const kafka = new Kafka({ clientId: 'orderlake-bench-raw', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: PARTITION_FETCH_BYTES });
  const started = epochNow();
  let first = 0;
  let last = 0;
  let count = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (first === 0) first = epochNow();
        count += batch.messages.length;
        if (count >= expected) {
          last = epochNow();
          finish();
        }
      },
    });
    const timer = setTimeout(finish, timeoutMs);
    await done;
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return result('kafkajs', started, first, last, count, expected);
}

function result(client: string, started: number, first: number, last: number, count: number, expected: number): RawConsumeResult {
  const timedOut = count < expected;
  const end = timedOut ? epochNow() : last;
  return {
    client,
    messages: count,
    joinMs: Math.round(first - started),
    consumeMs: Math.round(end - first),
    eventsPerSec: Math.round((count / (end - first)) * 1000),
    timedOut,
  };
}

interface RdMessage {
  value: Buffer | null;
}
interface RdConsumer {
  connect(options: object, cb: (err: Error | null) => void): void;
  subscribe(topics: string[]): void;
  setDefaultConsumeTimeout(ms: number): void;
  consume(n: number, cb: (err: Error | null, messages: RdMessage[]) => void): void;
  disconnect(cb: () => void): void;
}

/** node-rdkafka, loaded only here and only when present (it is an optional dependency). */
export function loadRdkafka(): { KafkaConsumer: new (global: object, topic: object) => RdConsumer } | null {
  try {
    return createRequire(import.meta.url)('node-rdkafka') as { KafkaConsumer: new (global: object, topic: object) => RdConsumer };
  } catch {
    return null;
  }
}

export async function rawConsumeRdkafka(brokers: string, topics: string[], expected: number, timeoutMs: number, groupId: string): Promise<RawConsumeResult> {
  const rd = loadRdkafka();
  if (!rd) throw new Error('node-rdkafka is not installed');
  const consumer = new rd.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': groupId,
      'client.id': 'orderlake-bench-raw',
      'enable.auto.commit': false,
      'max.partition.fetch.bytes': PARTITION_FETCH_BYTES,
      'socket.nagle.disable': true,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  const started = epochNow();
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  let first = 0;
  let last = 0;
  let count = 0;
  try {
    consumer.setDefaultConsumeTimeout(100);
    consumer.subscribe(topics);
    const deadline = started + timeoutMs;
    while (count < expected && epochNow() < deadline) {
      const messages = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m))));
      if (messages.length > 0 && first === 0) first = epochNow();
      count += messages.length;
    }
    last = epochNow();
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return result('rdkafka', started, first, last, count, expected);
}

/**
 * Whether node-rdkafka is loaded in this process: a worker started with KAFKA_CLIENT=rdkafka must
 * have loaded it, else the runtime ignored the setting and the figure would be kafkajs's.
 */
export function rdkafkaLoaded(): boolean {
  return Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(`${path.sep}node-rdkafka${path.sep}`));
}
