import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createIngestor, type Ingestor, type IngestOutcome } from '../pipeline/ingest.js';
import type { InternalFormat } from '../pipeline/internal-messages.js';
import { internalRecordsOf } from '../pipeline/kafka/ingest-worker.js';
import type { EmbeddedPipeline } from '../pipeline/embedded-pipeline.js';
import { redriveDeadLetters, type RedriveDeps, type RedriveFilters, type RedriveSummary } from '../pipeline/redrive.js';

export type { RedriveFilters };
import { withRetry } from '../retry.js';
import { insertRedriveRows, selectDeadLetters, type ClickHouseClient } from '../sinks/index.js';
import { createKafka } from '../sources/kafka-client.js';
import { ensureInternalTopics } from '../sources/kafka-topics.js';
import { createKafkajsClient, createRdkafkaClient, loadRdkafka, rdkafkaConnection, type KafkaClient, type KafkaProducer, type ProducedMessage } from '../sources/kafka/index.js';
import { createCodec, type Codec } from './codec.js';
import { readConfigSet, withConfigVersion, type LiveConfig } from '../live-config/index.js';
import { createNormalizer } from '../normalize/index.js';
import { createEmbeddedRuntime } from './embedded-runtime.js';
import { createStorage } from './storage.js';

/**
 * The pipelines a re-drive runs and the configuration version they are: the same version string
 * live reload records on lake and golden rows (`GET /config`), so a cured dead letter names the
 * version its lake rows carry.
 */
export interface RedrivePipelines {
  ingestor: Ingestor;
  version: string;
}

/** The pipelines of the files in `dir` as they are now (the CLI; a worker without live reload at start). */
export async function pipelinesOnDisk(config: Config, logger: Logger, dir: string): Promise<RedrivePipelines> {
  const [codec, set] = await Promise.all([createCodec({ ...config, paths: { ...config.paths, pipelines: dir } }, logger), readConfigSet(dir)]);
  return { ingestor: createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, now: Date.now }), version: set.version };
}

/**
 * The pipelines a worker runs now: with live reload, its active version, taken once per run (a
 * version staged meanwhile goes live with the workers' next batch, not in the middle of a
 * re-drive); without it, the codec it started with and the version of the files it read then.
 */
export function runningPipelines(runtime: { codec: Codec; live?: Pick<LiveConfig, 'active'> | undefined }, startVersion: Promise<string>): () => Promise<RedrivePipelines> {
  let compiled: { version: string; ingestor: Ingestor } | null = null;
  return async () => {
    const active = runtime.live?.active;
    if (!active) return { ingestor: createIngestor({ decoder: runtime.codec.decoder, normalizer: runtime.codec.normalizer, now: Date.now }), version: await startVersion };
    if (compiled?.version !== active.version) {
      compiled = { version: active.version, ingestor: createIngestor({ decoder: runtime.codec.decoder, normalizer: createNormalizer(active.config.pipelines), now: Date.now }) };
    }
    return compiled;
  };
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
      // The merge owner records the version that cured the event on its lake row.
      events.push(...withConfigVersion(records.events, outcome.configVersion));
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
  /** The pipelines and their version, read at the start of every run. */
  pipelines: () => Promise<RedrivePipelines>;
  apply: RedriveApply;
  logger: Logger;
  now?: () => number;
}): Redrive {
  const now = deps.now ?? Date.now;
  let queue: Promise<unknown> = Promise.resolve();
  return (filters, onProgress) => {
    const run = queue.then(async () => {
      const { ingestor, version: configVersion } = await deps.pipelines();
      const until = filters.until ?? now();
      const runId = randomUUID();
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
            withRetry(async () => tagged(await ingestor.ingestBatch(messages), configVersion), {
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

/** Events normalized by the re-drive carry the version that cured them, as live ingest tags its events. */
function tagged(outcomes: IngestOutcome[], configVersion: string): IngestOutcome[] {
  for (const outcome of outcomes) if (outcome.type === 'event') outcome.configVersion = configVersion;
  return outcomes;
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
  const pipelines = () => pipelinesOnDisk(config, logger, config.paths.pipelines);
  if (config.mode === 'kafka') {
    const storage = await createStorage(config, logger, { dataPath, database });
    const kafka = kafkaRedriveApply(config, logger);
    try {
      const redrive = createRedrive({ client: storage.client, database, pipelines, apply: kafka.apply, logger });
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
      pipelines,
      apply: embeddedApply(runtime.pipeline),
      logger,
    });
    return await redrive(filters, onProgress);
  } finally {
    await runtime.close();
  }
}
