import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import {
  createAvroDecoder,
  createAvroEncoder,
  createHttpSchemaRegistry,
  createLocalSchemaRegistry,
  loadSchemas,
  type SchemaRegistry,
  type SchemaSet,
} from './codecs/index.js';
import { createNormalizer, loadPipelines, type Normalizer, type Pipeline } from './normalize/index.js';
import { CLOSED_STATUSES, type ViewChange, createGoldenStore, createShipmentLinker, type GoldenStore, type LinkInput, type ShipmentLinker } from './golden/index.js';
import {
  createClickHouseClient,
  createClickHouseSink,
  ensureDatabase,
  loadOrderStates,
  loadOwnedState,
  loadStoredCases,
  recordConfigChanges,
  runMigrations,
  type ClickHouseSink,
  type DeadLetterRow,
} from './sinks/index.js';
import { createCaseFeed, createChangeFeed, type ChangeFeed } from './feed/index.js';
import { createHealthEngine, loadRules, rulesDirectoryOf, subjectOf, type Arrival, type Rule } from './health/index.js';
import { createHealthStage, type HealthStage } from './pipeline/health-stage.js';
import { eventTime } from './normalize/index.js';
import { configFilesOf } from './config-files.js';
import { createMetrics, timeBatches, type Metrics } from './metrics.js';
import { startEventLoopDelaySampler } from './event-loop-delay.js';
import { createIngestor, type Ingestor } from './pipeline/ingest.js';
import { createMergeStage, type Dormancy, type MergeItem, type MergeStage } from './pipeline/merge-stage.js';
import { createEmbeddedPipeline, type EmbeddedPipeline } from './pipeline/embedded-pipeline.js';
import { createDeadLetterRecorder, toDeadLetter, type DeadLetterRecorder } from './pipeline/dead-letter.js';
import { rebuildLinker } from './pipeline/linker-rebuild.js';
import { OrderlakeError } from './errors.js';
import type { CanonicalEvent } from './normalize/index.js';
import { createKafka } from './sources/kafka-client.js';
import { createKafkaClientLog } from './sources/kafka/client-log.js';
import {
  createConsumerLagMonitor,
  createKafkajsClient,
  createCoalescingProducer,
  instrumentConsumerGroup,
  createRdkafkaClient,
  loadRdkafka,
  rdkafkaConnection,
  type CoalescingProducer,
  type ConsumerLagMonitor,
  type KafkaAdmin,
  type KafkaClient,
} from './sources/kafka/index.js';
import { ensureInternalTopics } from './sources/kafka-topics.js';
import { createKafkaIngestWorker } from './pipeline/kafka/ingest-worker.js';
import { createKafkaLinkWorker } from './pipeline/kafka/link-worker.js';
import { createKafkaMergeWorker } from './pipeline/kafka/merge-worker.js';
import type { KafkaWorker } from './pipeline/kafka/kafka-worker.js';

/**
 * The composition root: the only place (with the CLI) that creates Kafka, ClickHouse and HTTP
 * clients. Every stage below is a factory that takes what it needs.
 */

export interface Codec {
  schemas: SchemaSet;
  registry: SchemaRegistry;
  pipelines: Pipeline[];
  normalizer: Normalizer;
  decoder: ReturnType<typeof createAvroDecoder>;
  encoder: ReturnType<typeof createAvroEncoder>;
}

/** Loads and validates schemas and pipelines (fails fast on a bad file) and builds the codec. */
export async function createCodec(config: Config, logger: Logger): Promise<Codec> {
  const schemas = await loadSchemas(config.paths.schemas);
  const pipelines = await loadPipelines(config.paths.pipelines, { schemas });
  const normalizer = createNormalizer(pipelines);
  const registry = config.SCHEMA_REGISTRY_URL
    ? createHttpSchemaRegistry({
        url: config.SCHEMA_REGISTRY_URL,
        ...(config.SCHEMA_REGISTRY_USERNAME ? { username: config.SCHEMA_REGISTRY_USERNAME } : {}),
        ...(config.SCHEMA_REGISTRY_PASSWORD ? { password: config.SCHEMA_REGISTRY_PASSWORD } : {}),
        logger,
      })
    : createLocalSchemaRegistry(schemas);
  const readers: Record<string, string> = {};
  for (const p of pipelines) readers[p.topic] = p.readerSchema;
  const decoder = createAvroDecoder({ registry, readers, schemas });
  const encoder = createAvroEncoder({ registry, schemas });
  logger.info(
    { pipelines: pipelines.map((p) => p.name), schemas: config.paths.schemas, registry: config.SCHEMA_REGISTRY_URL ?? 'local (schemas/)' },
    'pipelines and schemas loaded',
  );
  return { schemas, registry, pipelines, normalizer, decoder, encoder };
}

export interface Storage {
  /** Writes (sink) and rebuilds. */
  client: ClickHouseClient;
  /**
   * A second client on the same ClickHouse for API reads: a chDB client runs one statement at a
   * time, so lookups and analyst SQL must not queue behind the sink's inserts.
   */
  reader: ClickHouseClient;
  database: string;
  sink: ClickHouseSink;
  close(): Promise<void>;
}

/** Connects to ClickHouse (remote URL or chDB in `dataPath`), migrates, and builds the sink. */
export async function createStorage(
  config: Config,
  logger: Logger,
  options: { dataPath: string; database: string; recreate?: boolean; metrics?: Metrics },
): Promise<Storage> {
  const clientConfig = {
    ...(config.CLICKHOUSE_URL ? { url: config.CLICKHOUSE_URL } : {}),
    ...(config.CLICKHOUSE_USER ? { username: config.CLICKHOUSE_USER } : {}),
    ...(config.CLICKHOUSE_PASSWORD ? { password: config.CLICKHOUSE_PASSWORD } : {}),
    database: options.database,
    dataPath: options.dataPath,
  };
  const client = createClickHouseClient(clientConfig);
  const reader = createClickHouseClient(clientConfig);
  if (options.recreate) await client.command({ query: `DROP DATABASE IF EXISTS ${options.database}` });
  await ensureDatabase(client, options.database);
  await runMigrations({ client, database: options.database, logger });
  const metrics = options.metrics;
  const sink = createClickHouseSink({
    client,
    logger,
    database: options.database,
    batchRows: config.ORDERLAKE_BATCH_ROWS,
    flushIntervalMs: config.ORDERLAKE_FLUSH_INTERVAL_MS,
    now: Date.now,
    ...(metrics
      ? {
          onFlush: ({ table, rows, ms }: { table: string; rows: number; ms: number }) => {
            metrics.flushRows.observe({ table }, rows);
            metrics.flushSeconds.observe({ table }, ms / 1000);
          },
        }
      : {}),
  });
  logger.info(
    { clickhouse: config.CLICKHOUSE_URL ?? `chDB at ${options.dataPath}`, database: options.database },
    'ClickHouse ready',
  );
  return {
    client,
    reader,
    database: options.database,
    sink,
    async close() {
      await sink.close();
      await reader.close();
      await client.close();
    },
  };
}

export interface EmbeddedRuntime {
  codec: Codec;
  storage: Storage;
  store: GoldenStore;
  linker: ShipmentLinker;
  feed: ChangeFeed;
  metrics: Metrics;
  ingestor: Ingestor;
  merge: MergeStage;
  pipeline: EmbeddedPipeline;
  /** Stores and counts dead letters that a caller (replay) builds itself. */
  deadLetters: DeadLetterRecorder;
  /** The health rules (exception cases), fed every batch; null with ORDERLAKE_HEALTH=off or `health: false`. */
  health: HealthStage | null;
  close(): Promise<void>;
}

/**
 * One process running every stage (embedded mode and replay). With `rebuild`, the golden state of
 * every order already in ClickHouse is restored first, exactly as a Kafka worker does when it
 * takes partitions over.
 */
export async function createEmbeddedRuntime(
  config: Config,
  logger: Logger,
  options: {
    dataPath: string;
    database: string;
    recreate?: boolean;
    rebuild?: boolean;
    defaultMetrics?: boolean;
    /** Run the health rules (default: ORDERLAKE_HEALTH). */
    health?: boolean;
    /**
     * Let the wall clock move event time on while sources are idle (default true). A replay turns it
     * off: its cases then depend on the recording alone.
     */
    healthClock?: boolean;
    /** Wall clock, epoch ms (default `Date.now`): tests drive it. */
    clock?: () => number;
  },
): Promise<EmbeddedRuntime> {
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const codec = await createCodec(config, logger);
  const storage = await createStorage(config, logger, { ...options, metrics });
  const now = options.clock ?? Date.now;
  const store = createGoldenStore({ now });
  const deadLetters = createDeadLetterRecorder({ sink: storage.sink, metrics });
  const tmsTopic = codec.pipelines.find((p) => p.emits === 'tms')?.topic ?? '';
  const linker = createShipmentLinker({
    maxPending: config.ORDERLAKE_LINK_MAX_PENDING,
    onOverflow: (input) => deadLetters([linkOverflowDeadLetter(config, input, tmsTopic, now())]),
  });
  const restored = options.rebuild ? await rebuildState(storage, store, [0], logger, config.ORDERLAKE_DORMANT_AFTER_MS) : [];
  const health = (options.health ?? config.ORDERLAKE_HEALTH === 'on') ? await createHealth(config, logger, storage, metrics, { now }) : null;
  if (health && options.rebuild) {
    await restoreHealth(health, storage, store, { partitions: [0], withShared: true, orderIds: restored.map((r) => r.orderId) }, logger);
  }
  const feed = createChangeFeed({ onListenerError: (err) => logger.error({ err }, 'change listener failed') });
  const ingestor = createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, metrics, now });
  const merge = createMergeStage({ store, sink: storage.sink, feed, metrics, now, ...dormancyOf(config, storage, logger) });
  const pipeline = createEmbeddedPipeline({ ingestor, linker, merge, sink: storage.sink, now });
  if (health) {
    // Every merged batch goes on to the health rules: its views, shipment waits and arrivals.
    const process = pipeline.process;
    pipeline.process = async (messages) => {
      const result = await process(messages);
      health.observe(result);
      return result;
    };
    const restorePending = pipeline.restorePending;
    pipeline.restorePending = async (waiting) => {
      const changes = await restorePending(waiting);
      health.observe({ changes, arrivals: [] });
      return changes;
    };
  }
  pipeline.process = timeBatches(metrics, 'embedded', pipeline.process);
  if (options.rebuild) await rebuildLinker({ client: storage.client, database: storage.database, linker, pipeline, logger });
  const loopDelay = startEventLoopDelaySampler({ histogram: metrics.eventLoopDelay });
  const healthClock = health && options.healthClock !== false ? startHealthClock(health, config.ORDERLAKE_HEALTH_TICK_MS, logger) : null;
  return {
    codec,
    storage,
    store,
    linker,
    feed,
    metrics,
    ingestor,
    merge,
    pipeline,
    deadLetters,
    health,
    close: async () => {
      healthClock?.stop();
      loopDelay.stop();
      await storage.close();
    },
  };
}

/**
 * The health stage of a worker: the rules of `pipelines/rules/`, cases written to ClickHouse and
 * pushed on a case feed. `select` keeps only some rules (a Kafka worker runs the order rules).
 */
async function createHealth(
  config: Config,
  logger: Logger,
  storage: Storage,
  metrics: Metrics,
  options: { now: () => number; ownerPartition?: (orderId: string) => number; select?: (rule: Rule) => boolean },
): Promise<HealthStage> {
  const dir = rulesDirectoryOf(config.paths.pipelines);
  let rules: Rule[];
  try {
    rules = existsSync(dir) ? await loadRules(dir) : [];
    if (rules.length === 0) logger.warn({ dir }, 'no health rules (no .yaml files in the rules directory): no exception cases will open');
  } catch (err) {
    if (err instanceof OrderlakeError) {
      throw new OrderlakeError(err.code, `${err.message}\n(fix the rules, or set ORDERLAKE_HEALTH=off to run without them)`, { cause: err, context: err.context });
    }
    throw err;
  }
  const selected = options.select ? rules.filter(options.select) : rules;
  const engine = createHealthEngine({ rules: selected, allowedLatenessMs: config.ORDERLAKE_HEALTH_LATENESS_MS });
  const health = createHealthStage({
    engine,
    sink: storage.sink,
    feed: createCaseFeed({ onListenerError: (err) => logger.error({ err }, 'case listener failed') }),
    metrics,
    now: options.now,
    ...(options.ownerPartition ? { ownerPartition: options.ownerPartition } : {}),
    onError: (err) => logger.error({ err }, 'an exception case could not be stored'),
  });
  // Strategy-change response time: from a file change to it being live here (metric and config_changes).
  const liveAt = options.now();
  for (const [kind, folder] of [['rules', dir], ['pipelines', config.paths.pipelines]] as const) {
    const files = await configFilesOf(folder);
    if (files[0] !== undefined) metrics.strategyChangeSeconds.set({ kind }, Math.max(0, liveAt - files[0].changedAt) / 1000);
    try {
      await recordConfigChanges(storage.client, storage.database, files.map((f) => ({ kind, file: path.basename(f.file), changedAt: f.changedAt, liveAt })));
    } catch (err) {
      logger.warn({ err, kind }, 'could not record the configuration files in config_changes');
    }
  }
  logger.info({ rules: selected.map((r) => r.name), dir, latenessMs: config.ORDERLAKE_HEALTH_LATENESS_MS }, 'health rules loaded');
  return health;
}

/**
 * Holds the stored cases of restored orders again (and the shipment and source cases with
 * `withShared`), then feeds those orders' views: a case whose condition still holds carries on
 * under its id and version, one whose condition ended while the worker was down self-heals.
 */
async function restoreHealth(
  health: HealthStage,
  storage: Storage,
  store: GoldenStore,
  scope: { partitions: number[]; withShared: boolean; orderIds: readonly string[] },
  logger: Logger,
): Promise<void> {
  const stored = await loadStoredCases({ client: storage.client, database: storage.database, partitions: scope.partitions, withShared: scope.withShared });
  health.restore(stored);
  const views = [];
  for (const orderId of scope.orderIds) {
    const view = store.get(orderId);
    if (view !== null) views.push({ type: 'view' as const, orderId, view, version: view.version });
  }
  const changes = health.apply(views);
  logger.info({ partitions: scope.partitions, cases: stored.length, changed: changes.length }, 'exception cases restored');
}

/** Reads the wall clock for the health rules every `everyMs` (event time moves on while sources are idle). */
function startHealthClock(health: HealthStage, everyMs: number, logger: Logger): { stop(): void } {
  const timer = setInterval(() => {
    try {
      health.tick();
    } catch (err) {
      logger.error({ err }, 'health clock tick failed');
    }
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The arrivals of a merged Kafka slice: each event's source, event time and Kafka time. */
function arrivalsOf(items: readonly MergeItem[]): Arrival[] {
  return items.map((item) => ({ source: item.event.source, eventTime: eventTime(item.event), arrivedAt: item.position.timestamp }));
}

/**
 * Restores the in-memory golden state of the orders owned by `partitions` from ClickHouse, without
 * raising versions. With `dormantAfterMs` > 0, closed orders quiet for that long stay in ClickHouse,
 * held as dormant (restored when an event arrives). Returns every order of those partitions with
 * its owning partition, dormant ones included.
 */
export async function rebuildState(
  storage: Storage,
  store: GoldenStore,
  partitions: number[],
  logger: Logger,
  dormantAfterMs = 0,
): Promise<Array<{ orderId: string; partition: number }>> {
  const started = performance.now();
  const restored: Array<{ orderId: string; partition: number }> = [];
  let events = 0;
  let dormant = 0;
  const sleepClosed = dormantAfterMs > 0 ? { updatedBefore: Date.now() - dormantAfterMs, statuses: CLOSED_STATUSES } : undefined;
  for (const partition of partitions) {
    const owned = await loadOwnedState({ client: storage.client, database: storage.database, partitions: [partition], ...(sleepClosed ? { sleepClosed } : {}) });
    for (const order of owned) {
      if (order.dormant) {
        store.markDormant(order.orderId, order.version, order.updatedAt, order.isDeleted);
        dormant++;
      } else {
        store.restore(order.orderId, order.events as CanonicalEvent[], order.version, order.updatedAt);
        events += order.events.length;
      }
      restored.push({ orderId: order.orderId, partition });
    }
  }
  logger.info(
    { partitions, orders: restored.length - dormant, dormant, events, ms: Math.round(performance.now() - started) },
    'golden state rebuilt from ClickHouse',
  );
  return restored;
}

/** The dead letter of a tracking event pushed out of the linker's full waiting area. */
function linkOverflowDeadLetter(config: Config, input: LinkInput, topic: string, at: number): DeadLetterRow {
  const error = new OrderlakeError('OL_ERR_LINK_OVERFLOW', `waiting area full (${config.ORDERLAKE_LINK_MAX_PENDING}); oldest tracking event evicted`);
  const value = input.type === 'tms' ? JSON.stringify(input.event) : JSON.stringify(input);
  return { ...toDeadLetter({ topic }, error, 'link', at), value_json: value };
}

/** How the merge stage puts quiet closed orders to sleep and wakes them (absent when disabled). */
function dormancyOf(config: Config, storage: Storage, logger: Logger): { dormancy?: Dormancy } {
  if (config.ORDERLAKE_DORMANT_AFTER_MS === 0) return {};
  return {
    dormancy: {
      idleMs: config.ORDERLAKE_DORMANT_AFTER_MS,
      sweepEveryMs: Math.min(10_000, config.ORDERLAKE_DORMANT_AFTER_MS),
      load: (orderIds, partitions) => loadOrderStates({ client: storage.client, database: storage.database, orderIds, partitions }),
      onSlept: (count) => {
        if (count > 0) logger.debug({ count }, 'quiet closed orders left memory');
      },
    },
  };
}

export interface KafkaRuntime {
  codec: Codec;
  storage: Storage;
  store: GoldenStore;
  feed: ChangeFeed;
  metrics: Metrics;
  /**
   * The order rules on the orders this worker's merge partitions own (null with ORDERLAKE_HEALTH=off).
   * Source and shipment rules need every source event or the link stage's waits in one place, and
   * run in embedded mode and `replay --cases`.
   */
  health: HealthStage | null;
  /**
   * Connects to Kafka (internal topics, producer), then has the merge, link and ingest stages join
   * their consumer groups, all three at once. Resolves once all three have joined; rejects when
   * one cannot start. Called once; `close` stops a start in progress.
   */
  start(): Promise<void>;
  /**
   * Every check `true`, or what it waits for in words: Kafka reachable, each stage's group joined
   * (`merge: "joining group orderlake.merge"`), partitions assigned, ClickHouse reachable, owned
   * state rebuilt (`state_rebuilt: "rebuilding partitions 0,3"`), no produce request stuck.
   */
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean | string> }>;
  close(): Promise<void>;
}

/** A produce request in flight longer than this makes the worker unready (kafkajs retries end well before). */
const PRODUCE_STUCK_MS = 120_000;
/** How often start-up looks whether a stage's group member has joined, ms. */
const JOIN_POLL_MS = 100;

type Stage = 'merge' | 'link' | 'ingest';

/**
 * A Kafka worker: the ingest, link and merge stages as three consumer groups in one process.
 * Several such processes share the load; together they give the golden table one process gives.
 * Creating it loads the codec and opens ClickHouse, nothing more: the API can serve lookups from
 * ClickHouse before `start` has even reached Kafka.
 */
export async function createKafkaRuntime(
  config: Config,
  logger: Logger,
  options: { dataPath: string; database: string },
): Promise<KafkaRuntime> {
  const metrics = createMetrics({ defaultMetrics: true });
  const codec = await createCodec(config, logger);
  const storage = await createStorage(config, logger, { ...options, metrics });
  const now = Date.now;
  // The one place the Kafka client library is chosen; node-rdkafka is loaded only when asked for.
  // Neither connects before `start`. (The rdkafka adapters quiet their own logs while stopping.)
  const kafkajsLog = config.KAFKA_CLIENT === 'rdkafka' ? null : createKafkaClientLog({ logger: logger.child({ component: 'kafkajs' }) });
  const kafka: KafkaClient = kafkajsLog
    ? createKafkajsClient({ kafka: createKafka(config, logger, kafkajsLog), logger: logger.child({ component: 'kafkajs' }) })
    : createRdkafkaClient({ rdkafka: loadRdkafka(), connection: rdkafkaConnection(config), logger });

  const store = createGoldenStore({ now });
  /** The merge partition owning each order this worker has merged or restored (for case rows). */
  const partitionOfOrder = new Map<string, number>();
  const health =
    config.ORDERLAKE_HEALTH === 'on'
      ? await createHealth(config, logger, storage, metrics, {
          now,
          ownerPartition: (orderId) => partitionOfOrder.get(orderId) ?? 0,
          select: (rule) => subjectOf(rule.condition.kind) === 'order',
        })
      : null;
  const feed = createChangeFeed({ onListenerError: (err) => logger.error({ err }, 'change listener failed') });
  const ingestor = createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, metrics, now });
  const merge = createMergeStage({ store, sink: storage.sink, feed, metrics, now, ...dormancyOf(config, storage, logger) });
  const deadLetters = createDeadLetterRecorder({ sink: storage.sink, metrics });
  const linker = createShipmentLinker({
    maxPending: config.ORDERLAKE_LINK_MAX_PENDING,
    onOverflow: (input) => deadLetters([linkOverflowDeadLetter(config, input, config.topics.links, now())]),
  });
  const group = config.KAFKA_GROUP_ID;
  const groups: Record<Stage, string> = { merge: `${group}.merge`, link: `${group}.link`, ingest: `${group}.ingest` };
  // Each stage's group member, timing its batches and telling the lag monitor where it stands.
  const consumers = {
    ingest: instrumentConsumerGroup(kafka.consumerGroup(), { stage: 'ingest', metrics }),
    link: instrumentConsumerGroup(kafka.consumerGroup(), { stage: 'link', metrics }),
    merge: instrumentConsumerGroup(kafka.consumerGroup(), { stage: 'merge', metrics }),
  };

  // Where start-up stands, in the words `/ready` answers with.
  let kafkaState: true | string = 'not started';
  const joined: Record<Stage, true | string> = {
    merge: `waiting to join group ${groups.merge}`,
    link: `waiting to join group ${groups.link}`,
    ingest: `waiting to join group ${groups.ingest}`,
  };
  /** Merge partitions whose orders are being loaded from ClickHouse, and those whose last load failed. */
  const rebuilding = new Set<number>();
  const rebuildFailed = new Set<number>();
  const rebuild = async (partitions: number[]) => {
    for (const p of partitions) {
      rebuilding.add(p);
      rebuildFailed.delete(p);
    }
    try {
      const restored = await rebuildState(storage, store, partitions, logger, config.ORDERLAKE_DORMANT_AFTER_MS);
      for (const { orderId, partition } of restored) partitionOfOrder.set(orderId, partition);
      if (health) await restoreHealth(health, storage, store, { partitions, withShared: false, orderIds: restored.map((r) => r.orderId) }, logger);
      return restored;
    } catch (err) {
      for (const p of partitions) rebuildFailed.add(p);
      throw err;
    } finally {
      for (const p of partitions) rebuilding.delete(p);
    }
  };

  let admin: KafkaAdmin | null = null;
  let producer: CoalescingProducer | null = null;
  let workers: { ingest: KafkaWorker; link: KafkaWorker; merge: KafkaWorker & { ready(): boolean } } | null = null;
  let lagMonitor: ConsumerLagMonitor | null = null;
  let loopDelay: { stop(): void } | null = null;
  let healthClock: { stop(): void } | null = null;
  let starting: Promise<void> | null = null;
  let connecting: Promise<void> | null = null;
  let closing = false;

  function createWorkers(kafkaProducer: CoalescingProducer): NonNullable<typeof workers> {
    return {
      ingest: createKafkaIngestWorker({
        consumer: consumers.ingest,
        producer: kafkaProducer,
        logger: logger.child({ stage: 'ingest' }),
        ingestor,
        groupId: groups.ingest,
        sourceTopics: codec.pipelines.map((p) => p.topic),
        topics: config.topics,
        storeDeadLetters: async (rows) => {
          storage.sink.writeDeadLetters(rows);
          await storage.sink.flush();
        },
        now,
        ackWindow: config.ORDERLAKE_ACK_WINDOW,
        internalFormat: config.ORDERLAKE_INTERNAL_FORMAT,
      }),
      link: createKafkaLinkWorker({
        consumer: consumers.link,
        producer: kafkaProducer,
        logger: logger.child({ stage: 'link' }),
        linker,
        groupId: groups.link,
        topics: config.topics,
        onPending: (n) => metrics.pendingShipmentEvents.set(n),
        deadLetters,
        now,
        ackWindow: config.ORDERLAKE_ACK_WINDOW,
        internalFormat: config.ORDERLAKE_INTERNAL_FORMAT,
      }),
      merge: createKafkaMergeWorker({
        consumer: consumers.merge,
        logger: logger.child({ stage: 'merge' }),
        store,
        merge,
        groupId: groups.merge,
        topic: config.topics.events,
        rebuild,
        flush: () => storage.sink.flush(),
        deadLetters,
        now,
        ackWindow: config.ORDERLAKE_ACK_WINDOW,
        ...(health
          ? {
              onMerged: (items: readonly MergeItem[], changes: readonly ViewChange[]) => {
                for (const item of items) partitionOfOrder.set(item.orderId, item.ownerPartition);
                health.observe({ changes, arrivals: arrivalsOf(items) });
              },
              onEvicted: (orderIds: readonly string[]) => {
                for (const orderId of orderIds) {
                  health.evict(orderId);
                  partitionOfOrder.delete(orderId);
                }
              },
            }
          : {}),
      }),
    };
  }

  /** Admin, internal topics and the producer: what start-up must finish before anything can be closed. */
  async function connectKafka(): Promise<void> {
    const brokers = config.KAFKA_BROKERS.join(',');
    kafkaState = `connecting to ${brokers}`;
    try {
      admin = await kafka.admin();
      if (closing) return;
      kafkaState = `creating internal topics on ${brokers}`;
      await ensureInternalTopics(admin, logger, config.topics, config.ORDERLAKE_INTERNAL_PARTITIONS, config.ORDERLAKE_INTERNAL_REPLICATION);
      if (closing) return;
      kafkaState = `connecting a producer to ${brokers}`;
      // Shared by the ingest and link stages, whose concurrent batches are merged into one request.
      producer = createCoalescingProducer(await kafka.producer());
      kafkaState = true;
    } catch (err) {
      kafkaState = `cannot use Kafka at ${brokers}: ${(err as Error).message ?? String(err)}`;
      throw err;
    }
  }

  async function startKafka(): Promise<void> {
    connecting = connectKafka();
    await connecting;
    if (closing || !producer || !admin) return;
    const kafkaAdmin = admin;
    const running = createWorkers(producer);
    workers = running;
    // All three at once: a restart after a crash waits out the dead member's session in each group,
    // and those waits overlap. The merge gates every batch on its partition's rebuild, so upstream
    // stages feeding the events topic before the merge has joined is fine.
    logger.info({ groups: Object.values(groups) }, 'joining the consumer groups');
    const join = async (stage: Stage): Promise<void> => {
      const startedAt = performance.now();
      joined[stage] = `joining group ${groups[stage]}`;
      try {
        await running[stage].start();
        // `start` resolves once consuming has begun; with node-rdkafka the join comes after it.
        while (consumers[stage].joined?.() === false && !closing) await sleep(JOIN_POLL_MS);
      } catch (err) {
        joined[stage] = `could not join group ${groups[stage]}: ${(err as Error).message ?? String(err)}`;
        throw err;
      }
      if (closing) return;
      joined[stage] = true;
      logger.info({ stage, group: groups[stage], ms: Math.round(performance.now() - startedAt) }, 'consumer group joined');
    };
    await Promise.all([join('merge'), join('link'), join('ingest')]);
    if (closing) return;
    lagMonitor = createConsumerLagMonitor({
      admin: kafkaAdmin,
      sources: Object.values(consumers),
      metrics,
      logger: logger.child({ component: 'consumer-lag' }),
      intervalMs: config.ORDERLAKE_LAG_INTERVAL_MS,
    });
    lagMonitor.start();
    loopDelay = startEventLoopDelaySampler({ histogram: metrics.eventLoopDelay });
    if (health) healthClock = startHealthClock(health, config.ORDERLAKE_HEALTH_TICK_MS, logger);
    logger.info({ brokers: config.KAFKA_BROKERS, client: kafka.library, group, topics: config.topics }, 'Kafka workers started');
  }

  /** `true`, or why the merge's owned orders are not all in memory yet. */
  function stateRebuilt(): true | string {
    if (workers?.merge.ready()) return true;
    if (joined.merge !== true) return `waiting for partitions of ${config.topics.events} from group ${groups.merge}`;
    const held = consumers.merge.assignment()[config.topics.events] ?? [];
    if (held.length === 0) return `no partition of ${config.topics.events} assigned to this worker (group ${groups.merge})`;
    if (rebuilding.size > 0) return `rebuilding partitions ${[...rebuilding].sort((a, b) => a - b).join(',')}`;
    const failed = held.filter((p) => rebuildFailed.has(p));
    if (failed.length > 0) return `rebuilding partitions ${failed.join(',')} failed; retried with their next batch`;
    return `rebuilding partitions ${held.join(',')}`;
  }

  return {
    codec,
    storage,
    store,
    feed,
    metrics,
    health,
    start() {
      starting ??= startKafka();
      return starting;
    },
    async readiness() {
      let clickhouse: true | string = true;
      try {
        // The API's client: the pipeline's may be busy with a long rebuild query.
        await storage.reader.ping();
      } catch (err) {
        clickhouse = String(err);
      }
      const sendingMs = producer?.inFlightMs() ?? 0;
      const assigned = workers !== null && (Object.values(workers.ingest.assignment()).some((p) => p.length > 0) || workers.merge.ready());
      const checks: Record<string, boolean | string> = {
        kafka: kafkaState,
        merge: joined.merge,
        link: joined.link,
        ingest: joined.ingest,
        kafka_assigned: assigned
          ? true
          : Object.values(joined).every((j) => j === true)
            ? `no partitions of the source topics or of ${config.topics.events} assigned to this worker`
            : 'waiting for the consumer groups to join',
        clickhouse,
        state_rebuilt: stateRebuilt(),
        // A produce request unanswered past the client's own timeouts and retries: the client is stuck.
        kafka_producing: sendingMs < PRODUCE_STUCK_MS ? true : `a send has waited ${Math.round(sendingMs / 1000)} s for Kafka`,
      };
      return { ready: Object.values(checks).every((v) => v === true), checks };
    },
    async close() {
      closing = true;
      kafkajsLog?.quiet();
      loopDelay?.stop();
      healthClock?.stop();
      await lagMonitor?.stop();
      // Each stage finishes its batches, commits what is acknowledged and leaves its group (a
      // LeaveGroup request: the partitions move at once, not after a session timeout). The three
      // are independent, so they leave together.
      if (workers) {
        const running = workers;
        const stages: Stage[] = ['ingest', 'link', 'merge'];
        // A stage still joining holds nothing to commit, and its JoinGroup request cannot be
        // cancelled: disconnecting waits for it, up to the dead member's session timeout. Let go.
        for (const stage of stages.filter((st) => joined[st] !== true)) {
          logger.info({ group: groups[stage] }, 'stopping while the group is still being joined: the join is abandoned');
          void running[stage].stop().catch((err: unknown) => logger.debug({ err, stage }, 'abandoned join ended'));
        }
        const leaving = stages.filter((st) => joined[st] === true);
        const results = await Promise.allSettled(leaving.map((stage) => running[stage].stop()));
        results.forEach((r, i) => {
          if (r.status === 'rejected') logger.warn({ err: r.reason, stage: leaving[i] }, 'stage did not stop cleanly');
        });
      }
      // A start still connecting finishes (or fails) first, so that nothing it opens stays open.
      await connecting?.catch(() => undefined);
      await producer?.close();
      await admin?.close();
      await storage.close();
    },
  };
}

/** {@link createKafkaRuntime} and `start`: the worker once its three groups have joined (benchmarks, tests). */
export async function startKafkaRuntime(
  config: Config,
  logger: Logger,
  options: { dataPath: string; database: string },
): Promise<KafkaRuntime> {
  const runtime = await createKafkaRuntime(config, logger, options);
  try {
    await runtime.start();
  } catch (err) {
    await runtime.close().catch(() => undefined);
    throw err;
  }
  return runtime;
}
