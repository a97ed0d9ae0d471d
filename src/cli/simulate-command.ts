import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Partitioners } from 'kafkajs';
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
  out?: string;
}

/**
 * `orderlake simulate`: reference traffic into Kafka (Avro, Confluent wire format, keys as the
 * source systems write them) or into a replay file.
 */
export async function runSimulate(config: Config, logger: Logger, options: SimulateOptions): Promise<number> {
  const lines = generateScenario({
    seed: options.seed,
    orders: options.orders,
    startTime: Date.now() - 3 * 24 * 3600_000,
    duplicateRate: options.duplicateRate,
    shuffle: options.shuffle,
  });
  logger.info({ events: lines.length, orders: options.orders }, 'scenario generated');
  if (config.mode === 'kafka') return produceToKafka(config, logger, lines, options.rate);

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

async function produceToKafka(config: Config, logger: Logger, lines: ReplayLine[], rate: number): Promise<number> {
  const codec = await createCodec(config, logger);
  const kafka = createKafka(config, logger);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tick = pace(rate);
  const started = performance.now();
  try {
    const chunk = 500;
    for (let i = 0; i < lines.length; i += chunk) {
      const slice = lines.slice(i, i + chunk);
      const byTopic = new Map<string, { key: Buffer | null; value: Buffer | null; timestamp?: string }[]>();
      for (const line of slice) {
        await tick();
        const key = await codec.encoder.encodeKey(line.topic, line.key);
        const value = line.value === null ? null : await codec.encoder.encode(line.topic, line.schema, line.value);
        const messages = byTopic.get(line.topic) ?? [];
        messages.push({ key, value, ...(line.timestamp !== undefined ? { timestamp: String(line.timestamp) } : {}) });
        byTopic.set(line.topic, messages);
      }
      await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  logger.info({ events: lines.length, seconds, eventsPerSecond: Math.round(lines.length / seconds) }, 'simulated traffic produced to Kafka');
  return 0;
}
