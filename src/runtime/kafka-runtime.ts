import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { withRetry } from '../retry.js';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type ViewChange, type GoldenStore, type ViewSource } from '../golden/index.js';
import { createFollowedFeed, type ChangeFeed, type FollowedFeed } from '../feed/index.js';
import { subjectOf } from '../health/index.js';
import type { HealthStage } from '../pipeline/health-stage.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { startEventLoopDelaySampler } from '../event-loop-delay.js';
import { type MergeItem } from '../pipeline/merge-stage.js';
import { createKafka } from '../sources/kafka-client.js';
import { createKafkaClientLog } from '../sources/kafka/client-log.js';
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
} from '../sources/kafka/index.js';
import { ensureInternalTopics } from '../sources/kafka-topics.js';
import { createKafkaIngestWorker } from '../pipeline/kafka/ingest-worker.js';
import { createKafkaLinkWorker } from '../pipeline/kafka/link-worker.js';
import { createKafkaMergeWorker } from '../pipeline/kafka/merge-worker.js';
import { createGoldenChangelog, type GoldenChangelog } from '../pipeline/kafka/golden-changelog.js';
import type { KafkaWorker } from '../pipeline/kafka/kafka-worker.js';
import { createChangelogFollower } from '../pipeline/kafka/changelog-follower.js';
import { type Codec, createCodec } from './codec.js';
import { type Storage, createStorage } from './storage.js';
import type { RawEventRow } from '../sinks/index.js';
import { createHealth, restoreHealth, startHealthClock, arrivalsOf } from './health-wiring.js';
import { rebuildState } from './state-rebuild.js';
import { createStages } from './stages.js';
import { startLiveReload, type LiveReload } from './live-reload.js';

export interface KafkaRuntime {
  codec: Codec;
  storage: Storage;
  store: GoldenStore;
  /**
   * Every order's changes: this worker's own at once, and, following the golden changelog
   * (ORDERLAKE_FEED_FOLLOW), every other worker's; each version once, in order.
   */
  feed: ChangeFeed;
  /** What lookups and snapshots read: the store plus the views followed on the changelog. */
  views: ViewSource;
  metrics: Metrics;
  /**
   * The order rules on the orders this worker's merge partitions own (null with ORDERLAKE_HEALTH=off).
   * Source and shipment rules need every source event or the link stage's waits in one place, and
   * run in embedded mode and `replay --cases`.
   */
  health: HealthStage | null;
  /** Live reload of pipelines and rules (null with ORDERLAKE_CONFIG_RELOAD=off). */
  liveReload: LiveReload | null;
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
    ? createKafkajsClient({ kafka: createKafka(config, logger, kafkajsLog), logger: logger.child({ component: 'kafkajs' }), sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS })
    : createRdkafkaClient({ rdkafka: loadRdkafka(), connection: rdkafkaConnection(config), logger });

  const { store, feed, ingestor: fixedIngestor, merge, linker, deadLetters } = createStages(config, logger, { codec, storage, metrics, now, linkTopic: config.topics.links });
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
  // Live reload: every ingest batch takes the configuration at its start; versions are shared through config_versions.
  const liveReload =
    config.ORDERLAKE_CONFIG_RELOAD === 'on'
      ? await startLiveReload(config, logger, { codec, storage, metrics, store, health, clock: now, selectRules: (rule) => subjectOf(rule.condition.kind) === 'order' })
      : null;
  const ingestor = liveReload?.ingestor ?? fixedIngestor;
  const followed: FollowedFeed | null =
    config.ORDERLAKE_GOLDEN_TOPIC === 'on' && config.ORDERLAKE_FEED_FOLLOW === 'on'
      ? createFollowedFeed({ local: feed, store, maxOrders: config.ORDERLAKE_FEED_FOLLOW_MAX_ORDERS, onListenerError: (err) => logger.error({ err }, 'a live feed listener failed') })
      : null;
  /** This process's own group on the changelog: never committing, one member, all partitions. */
  const followGroup = `${config.KAFKA_GROUP_ID}.feed.${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  let follower: (KafkaWorker & { caughtUp(): true | string }) | null = null;
  let following: true | string = followed === null ? true : 'not started';
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
      const restored = await rebuildState(storage, { merge, store }, partitions, logger, config.ORDERLAKE_DORMANT_AFTER_MS);
      for (const { orderId, partition } of restored) partitionOfOrder.set(orderId, partition);
      if (health) await restoreHealth(health, storage, { store, merge }, { partitions, withShared: false, restored, ownerPartition: (orderId) => partitionOfOrder.get(orderId) ?? partitions[0]! }, logger);
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
  /** The golden changelog (`<prefix>golden`) and its own producer; null with ORDERLAKE_GOLDEN_TOPIC=off. */
  let changelog: GoldenChangelog | null = null;
  let changelogProducer: CoalescingProducer | null = null;
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
          await storage.sink.flushCommitLane();
        },
        ...(config.ORDERLAKE_RAW_EVENTS === 'on'
          ? {
              storeRawEvents: async (rows: RawEventRow[]) => {
                storage.sink.writeRawEvents(rows);
                await storage.sink.flushCommitLane();
              },
            }
          : {}),
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
        flush: () => storage.sink.flushCommitLane(),
        deadLetters,
        now,
        ackWindow: config.ORDERLAKE_ACK_WINDOW,
        ...(changelog ? { changelog } : {}),
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
      const golden = config.ORDERLAKE_GOLDEN_TOPIC === 'on' ? config.topics.golden : null;
      await ensureInternalTopics(admin, logger, { ...config.topics, golden }, config.ORDERLAKE_INTERNAL_PARTITIONS, config.ORDERLAKE_INTERNAL_REPLICATION);
      if (closing) return;
      kafkaState = `connecting a producer to ${brokers}`;
      // Shared by the ingest and link stages, whose concurrent batches are merged into one request.
      producer = createCoalescingProducer(await kafka.producer());
      if (golden !== null) {
        // Its own producer: versions wait for it after their lake rows are stored (until then a
        // crash can keep them off the topic), so they must not queue behind the ingest stage's sends.
        changelogProducer = createCoalescingProducer(await kafka.producer());
        kafkaState = `registering the schema of ${golden}`;
        const goldenChangelog = createGoldenChangelog({ producer: changelogProducer, registry: codec.registry, topic: golden, logger: logger.child({ component: 'golden-changelog' }) });
        await goldenChangelog.start();
        changelog = goldenChangelog;
      }
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
    const follow = async (): Promise<void> => {
      if (followed === null || changelog === null) return;
      const consumer = kafka.consumerGroup();
      const topic = changelog.topic;
      follower = createChangelogFollower({
        consumer,
        changelog,
        groupId: followGroup,
        logger: logger.child({ stage: 'feed' }),
        onVersions: (versions) => followed.follow(versions),
        // Retried: right after the topic is created its partitions may have no leader yet
        // (NOT_LEADER_FOR_PARTITION), which must not stop the worker.
        endOffsets: () =>
          withRetry(
            async () => {
              const [meta] = await kafkaAdmin.fetchTopicMetadata([topic]);
              const marks = await kafkaAdmin.fetchWatermarks({ [topic]: (meta?.partitions ?? []).map((p) => p.partition) });
              return new Map(marks.map((m) => [m.partition, BigInt(m.high)]));
            },
            {
              retries: 30,
              baseMs: 200,
              maxMs: 2000,
              isRetriable: () => true,
              onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs, topic }, 'reading where the golden changelog ends failed; retrying'),
            },
          ),
      });
      following = `joining group ${followGroup}`;
      await follower.start();
      while (consumer.joined?.() === false && !closing) await sleep(JOIN_POLL_MS);
      if (closing) return;
      following = true;
      logger.info({ group: followGroup, topic: changelog.topic }, 'following the golden changelog for the live feed');
    };
    await Promise.all([join('merge'), join('link'), join('ingest'), follow()]);
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
    feed: followed?.feed ?? feed,
    views: followed?.views ?? store,
    metrics,
    health,
    liveReload,
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
      const sendingMs = Math.max(producer?.inFlightMs() ?? 0, changelogProducer?.inFlightMs() ?? 0);
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
        feed_following: following === true && follower !== null ? follower.caughtUp() : following,
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
      liveReload?.close();
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
      await follower?.stop().catch((err: unknown) => logger.warn({ err }, 'changelog follower did not stop cleanly'));
      followed?.close();
      // A start still connecting finishes (or fails) first, so that nothing it opens stays open.
      await connecting?.catch(() => undefined);
      await producer?.close();
      await changelogProducer?.close();
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
