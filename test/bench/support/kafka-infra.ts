import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { createAvroEncoder, createHttpSchemaRegistry, loadSchemas, type AvroEncoder } from '../../../src/codecs/index.js';
import type { ReplayLine } from '../../../src/simulator/index.js';
import { ensureApicurioRegistry, startApicurioRegistry } from '../../setup/apicurio-registry.js';
import { registerWriterSchemas } from '../../helpers/pipeline-run.js';
import { startKafkaBroker } from '../../setup/kafka-broker.js';
import { ensureKafkaLibs } from '../../setup/kafka-libs.js';
import { REPO_ROOT } from './bench-result.js';

/** A real single-node Kafka broker and Apicurio Registry (Confluent-compatible API), both on loopback, for one benchmark. */
export interface KafkaInfra {
  brokers: string;
  registryUrl: string;
  /** A kafkajs client on the broker, logging off (for setup, raw baselines and lag checks). */
  kafka: Kafka;
  admin: Admin;
  brokerLog: string;
  stop(): Promise<void>;
}

export async function startKafkaInfra(bench: string): Promise<KafkaInfra> {
  await ensureKafkaLibs();
  const logDir = path.join(REPO_ROOT, 'test/.kafka/logs');
  await mkdir(logDir, { recursive: true });
  const brokerLog = path.join(logDir, `bench-${bench}-${new Date().toISOString().replaceAll(':', '-')}-${process.pid}.log`);
  const broker = await startBrokerWithRetry(brokerLog);
  const registry = await ensureApicurioRegistry()
    .then((install) => startApicurioRegistry({ java: install.java }))
    .catch(async (err: unknown) => {
      await broker.stop();
      throw err;
    });
  const kafka = new Kafka({ clientId: `orderlake-bench-${bench}`, brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  return {
    brokers: broker.brokers,
    registryUrl: registry.url,
    kafka,
    admin,
    brokerLog,
    async stop() {
      await admin.disconnect().catch(() => undefined);
      await registry.stop().catch(() => undefined);
      await broker.stop();
    },
  };
}

/**
 * The broker's start-up fails now and then for reasons of its own (a random cluster id that
 * StorageTool's argument parser takes for an option, a port taken between probe and bind): one
 * failed start should not cost a benchmark run, so it is tried up to three times.
 */
async function startBrokerWithRetry(logFile: string): Promise<Awaited<ReturnType<typeof startKafkaBroker>>> {
  let last: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startKafkaBroker({ logFile });
    } catch (err) {
      last = err;
      process.stderr.write(`Kafka broker start failed (attempt ${attempt}/3): ${String(err).split('\n')[0]}\n`);
    }
  }
  throw last;
}

/** The writer-schema encoder producers of the source systems use, registering through the HTTP registry. */
export async function registryEncoder(registryUrl: string): Promise<AvroEncoder> {
  const schemas = await loadSchemas(path.join(REPO_ROOT, 'schemas'));
  return createAvroEncoder({ registry: createHttpSchemaRegistry({ url: registryUrl }), schemas });
}

/** A kafkajs producer as a source system's connector would run it: murmur2 partitioning, acks=all. */
export function sourceProducer(kafka: Kafka): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
}

export interface PreparedMessage {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** Encodes replay lines onto the prefixed source topics (`topics` maps contract topic → real topic). */
export async function prepareMessages(encoder: AvroEncoder, lines: readonly ReplayLine[], topics: Record<string, string>): Promise<PreparedMessage[]> {
  await registerWriterSchemas(encoder, lines, topics);
  const out: PreparedMessage[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const topic = topics[line.topic];
    if (topic === undefined) throw new Error(`no source topic for ${line.topic}`);
    out[i] = {
      topic,
      key: await encoder.encodeKey(topic, line.key),
      value: line.value === null ? null : (encoder.encodeKnown(topic, line.schema, line.value) ?? (await encoder.encode(topic, line.schema, line.value))),
    };
  }
  return out;
}

/** Produces everything (acks=all), in chunks of `chunk` messages, in order. */
export async function produceAll(producer: Producer, messages: readonly PreparedMessage[], chunk = 5000): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null }>>();
    for (const m of messages.slice(i, i + chunk)) {
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, (list = []));
      list.push({ key: m.key, value: m.value });
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
  }
}

/** Sum of the end offsets of `topics`: how many messages they hold (nothing is compacted or deleted here). */
export async function endOffsetSum(admin: Admin, topics: readonly string[]): Promise<number> {
  let sum = 0;
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) sum += Number(p.high);
  return sum;
}
