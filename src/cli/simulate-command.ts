import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { generateScenario, type ReplayLine } from '../simulator/index.js';
import { createCodec } from '../main.js';
import { createKafka } from '../sources/kafka-client.js';
import { pace } from '../sources/pace.js';

export interface SimulateOptions {
  orders: number;
  rate: number;
  seed: number;
  duplicateRate: number;
  shuffle: 'none' | 'window' | 'full';
  /**
   * When the first simulated order arrives, epoch ms. Default: a fixed instant for a replay file,
   * so that the same seed always writes the same file; three days ago for Kafka, so that a live
   * pipeline shows recent orders.
   */
  startTime?: number;
  out?: string;
}

/** Where a replay file's simulated time starts unless `--start` says otherwise (fixed: same seed, same file). */
export const REPLAY_FILE_START = Date.UTC(2026, 10, 20);

/** How far back from now Kafka traffic's simulated time starts unless `--start` says otherwise. */
const KAFKA_START_BEFORE_NOW_MS = 3 * 24 * 3600_000;

/** A Kafka request carries at most this many messages, and waits at most this long to fill up (paced runs). */
const SEND_CHUNK = 500;
const SEND_EVERY_MS = 200;

/**
 * `orderlake simulate`: reference traffic into Kafka (Avro, Confluent wire format, keys as the
 * source systems write them) or into a replay file.
 */
export async function runSimulate(config: Config, logger: Logger, options: SimulateOptions): Promise<number> {
  const kafka = config.mode === 'kafka';
  const lines = generateScenario({
    seed: options.seed,
    orders: options.orders,
    startTime: options.startTime ?? (kafka ? Date.now() - KAFKA_START_BEFORE_NOW_MS : REPLAY_FILE_START),
    duplicateRate: options.duplicateRate,
    shuffle: options.shuffle,
  });
  logger.info({ events: lines.length, orders: options.orders }, 'scenario generated');
  if (kafka) return produceToKafka(config, logger, lines, options.rate);

  // A replay file keeps each line's simulated `timestamp`: the contract's replay format allows it,
  // and it is derived from the seed and the start, so the file is the same on every run.
  const out = options.out ? createWriteStream(options.out, { encoding: 'utf8' }) : process.stdout;
  const tick = pace(options.rate);
  for (const line of lines) {
    await tick();
    if (!out.write(JSON.stringify(line) + '\n')) await once(out, 'drain');
  }
  if (options.out) {
    (out as ReturnType<typeof createWriteStream>).end();
    await once(out, 'finish');
    logger.info({ file: options.out, events: lines.length }, 'replay file written');
  }
  return 0;
}

/**
 * Produces the lines to their source topics. Kafka timestamps are the time of sending (the
 * producer's default), never the simulated event time: brokers refuse create times more than
 * `log.message.timestamp.after.max.ms` ahead (one hour by default since Kafka 4: INVALID_TIMESTAMP)
 * and delete messages whose time is older than the retention as soon as they arrive. The event
 * time stays in the record (`source.ts_ms`, `occurred_at`), which is all the pipeline orders by.
 */
async function produceToKafka(config: Config, logger: Logger, lines: ReplayLine[], rate: number): Promise<number> {
  const codec = await createCodec(config, logger);
  const kafka = createKafka(config, logger);
  await ensureSourceTopics(kafka, logger, [...new Set(lines.map((l) => l.topic))]);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tick = pace(rate);
  const started = performance.now();
  let produced = 0;
  try {
    let byTopic = new Map<string, Message[]>();
    let pending = 0;
    let chunkStarted = performance.now();
    const send = async () => {
      if (pending === 0) return;
      await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      produced += pending;
      byTopic = new Map();
      pending = 0;
      chunkStarted = performance.now();
    };
    for (const line of lines) {
      await tick();
      const key = await codec.encoder.encodeKey(line.topic, line.key);
      const value = line.value === null ? null : await codec.encoder.encode(line.topic, line.schema, line.value);
      const messages = byTopic.get(line.topic) ?? [];
      messages.push({ key, value });
      byTopic.set(line.topic, messages);
      pending++;
      if (pending >= SEND_CHUNK || performance.now() - chunkStarted >= SEND_EVERY_MS) await send();
    }
    await send();
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  logger.info({ events: produced, seconds, eventsPerSecond: Math.round(produced / seconds) }, 'simulated traffic produced to Kafka');
  return 0;
}

/**
 * Creates the source topics the broker lacks, with its default partitions, replication and
 * retention, as a broker with topic auto-creation would; existing topics are left as they are.
 */
async function ensureSourceTopics(kafka: Kafka, logger: Logger, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    logger.info({ topics: missing }, "created the missing source topics with the broker's defaults");
  } finally {
    await admin.disconnect();
  }
}
