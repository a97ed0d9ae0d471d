import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createIngestor, type Ingestor } from '../pipeline/ingest.js';
import type { InternalFormat } from '../pipeline/internal-messages.js';
import { internalRecordsOf } from '../pipeline/kafka/ingest-worker.js';
import type { EmbeddedPipeline } from '../pipeline/embedded-pipeline.js';
import { contentVersion, redriveDeadLetters, type RedriveDeps, type RedriveFilters, type RedriveSummary } from '../pipeline/redrive.js';

export type { RedriveFilters };
import { withRetry } from '../retry.js';
import { insertRedriveRows, selectDeadLetters, type ClickHouseClient } from '../sinks/index.js';
import { createKafka } from '../sources/kafka-client.js';
import { ensureInternalTopics } from '../sources/kafka-topics.js';
import { createKafkajsClient, createRdkafkaClient, loadRdkafka, rdkafkaConnection, type KafkaClient, type KafkaProducer, type ProducedMessage } from '../sources/kafka/index.js';
import type { Codec } from './codec.js';
import { createCodec } from './codec.js';
import { createEmbeddedRuntime } from './embedded-runtime.js';
import { createStorage } from './storage.js';

/**
 * The version of the pipeline files in `dir` (`*.yaml`, not the rules): a hash of names and
 * contents, recorded as `config_version` with every re-drive attempt.
 */
export async function pipelinesVersion(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml'));
  return contentVersion(await Promise.all(names.map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8') }))));
}

/** How cured messages are applied: the ingest stage's output, in the runtime's mode. */
export type RedriveApply = RedriveDeps['apply'];

/**
 * Kafka mode: the canonical events go to `<prefix>events` and the link inputs to `<prefix>links`,
 * as the ingest stage produces them (every link fact is sent: the link stage takes one twice
 * without harm). Resolves once Kafka acknowledged them all.
 */
export function kafkaApply(deps: {
  producer: KafkaProducer;
  topics: { events: string; links: string };
  format?: InternalFormat;
  now: () => number;
}): RedriveApply {
  return async (cured) => {
    const events: ProducedMessage[] = [];
    const links: ProducedMessage[] = [];
    for (const { outcome } of cured) {
      if (outcome.type !== 'event') continue;
      const records = internalRecordsOf(outcome.event, outcome.position, deps.now(), deps.format);
      events.push(...records.events);
      for (const l of records.links) links.push(l.message);
    }
    const topicMessages = [
      { topic: deps.topics.events, messages: events },
      { topic: deps.topics.links, messages: links },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) await deps.producer.sendBatch(topicMessages, { acks: 'all' });
  };
}

/**
 * Embedded mode: the cured messages go through the embedded pipeline (ingest, link, merge), and
 * the call resolves once their lake rows are stored.
 */
export function embeddedApply(pipeline: Pick<EmbeddedPipeline, 'process' | 'settle'>): RedriveApply {
  return async (cured) => {
    await pipeline.process(cured.map((c) => c.message));
    await pipeline.settle();
  };
}

export type Redrive = (filters: RedriveFilters, onProgress?: (summary: Readonly<RedriveSummary>) => void) => Promise<RedriveSummary>;

/**
 * A re-drive over one ClickHouse database, with the ingest stage and config version of the
 * moment it runs. Runs of one process go one after the other (two at once would re-drive the same
 * dead letters twice; harmless, but wasted).
 */
export function createRedrive(deps: {
  client: ClickHouseClient;
  database: string;
  /** The current codec (pipelines), read at every run. */
  codec: () => Codec;
  configVersion: () => Promise<string>;
  apply: RedriveApply;
  logger: Logger;
  now?: () => number;
}): Redrive {
  const now = deps.now ?? Date.now;
  let queue: Promise<unknown> = Promise.resolve();
  return (filters, onProgress) => {
    const run = queue.then(async () => {
      const codec = deps.codec();
      const ingestor: Ingestor = createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, now });
      const until = filters.until ?? now();
      const runId = randomUUID();
      const configVersion = await deps.configVersion();
      deps.logger.info({ runId, configVersion, since: new Date(filters.since).toISOString(), until: new Date(until).toISOString(), code: filters.code, limit: filters.limit }, 're-drive started');
      const summary = await redriveDeadLetters({
        select: (after, limit) =>
          selectDeadLetters(deps.client, deps.database, {
            since: filters.since,
            until,
            ...(filters.code !== undefined ? { code: filters.code } : {}),
            ...(after !== undefined ? { after } : {}),
            limit,
          }),
        // A registry outage must not turn cured messages into failures: retried as ingest retries it.
        ingestor: {
          ingestBatch: (messages) =>
            withRetry(() => ingestor.ingestBatch(messages), {
              retries: 10,
              baseMs: 200,
              maxMs: 10_000,
              onRetry: (err, attempt, delayMs) => deps.logger.warn({ err, attempt, delayMs }, 're-drive ingest retry'),
            }),
        },
        apply: deps.apply,
        record: (rows) => insertRedriveRows(deps.client, deps.database, rows),
        runId,
        configVersion,
        now,
        ...(filters.limit !== undefined ? { limit: filters.limit } : {}),
        ...(onProgress ? { onProgress } : {}),
      });
      deps.logger.info({ ...summary }, 're-drive finished');
      return summary;
    });
    queue = run.catch(() => undefined);
    return run;
  };
}

function kafkaClientOf(config: Config, logger: Logger): KafkaClient {
  return config.KAFKA_CLIENT === 'rdkafka'
    ? createRdkafkaClient({ rdkafka: loadRdkafka(), connection: rdkafkaConnection(config), logger })
    : createKafkajsClient({ kafka: createKafka(config, logger), logger: logger.child({ component: 'kafkajs' }), sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS });
}

/**
 * A Kafka-mode re-drive for a process that holds no producer of its own (the API of a worker, the
 * CLI): connects a producer on first use and keeps it until `close`.
 */
export function kafkaRedriveApply(config: Config, logger: Logger): { apply: RedriveApply; close(): Promise<void> } {
  let producer: Promise<KafkaProducer> | null = null;
  const connect = async (): Promise<KafkaProducer> => {
    const kafka = kafkaClientOf(config, logger);
    const admin = await kafka.admin();
    try {
      // Normally there already: a worker created them. Never re-partitioned: the count must match.
      await ensureInternalTopics(admin, logger, config.topics, config.ORDERLAKE_INTERNAL_PARTITIONS, config.ORDERLAKE_INTERNAL_REPLICATION);
    } finally {
      await admin.close();
    }
    return kafka.producer();
  };
  return {
    async apply(cured) {
      producer ??= connect();
      const p = await producer.catch((err: unknown) => {
        producer = null;
        throw err;
      });
      await kafkaApply({ producer: p, topics: config.topics, format: config.ORDERLAKE_INTERNAL_FORMAT, now: Date.now })(cured);
    },
    async close() {
      const p = producer;
      producer = null;
      if (p) await (await p).close();
    },
  };
}

/**
 * `orderlake redrive`: the dead letters of a window through the pipelines in
 * ORDERLAKE_PIPELINES_DIR. Kafka mode (KAFKA_BROKERS) produces the cured events for the running
 * workers' merge; embedded mode runs them through an embedded pipeline on ORDERLAKE_DATA_DIR/lake
 * (its state restored from ClickHouse first), so no `orderlake start` may hold that directory.
 */
export async function runRedrive(
  config: Config,
  logger: Logger,
  filters: RedriveFilters,
  onProgress?: (summary: Readonly<RedriveSummary>) => void,
): Promise<RedriveSummary> {
  const dataPath = path.join(config.paths.data, 'lake');
  const database = config.CLICKHOUSE_DATABASE;
  const configVersion = () => pipelinesVersion(config.paths.pipelines);
  if (config.mode === 'kafka') {
    const codec = await createCodec(config, logger);
    const storage = await createStorage(config, logger, { dataPath, database });
    const kafka = kafkaRedriveApply(config, logger);
    try {
      const redrive = createRedrive({ client: storage.client, database, codec: () => codec, configVersion, apply: kafka.apply, logger });
      return await redrive(filters, onProgress);
    } finally {
      await kafka.close();
      await storage.close();
    }
  }
  const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, rebuild: true, healthClock: false });
  try {
    const redrive = createRedrive({
      client: runtime.storage.client,
      database,
      codec: () => runtime.codec,
      configVersion,
      apply: embeddedApply(runtime.pipeline),
      logger,
    });
    return await redrive(filters, onProgress);
  } finally {
    await runtime.close();
  }
}
