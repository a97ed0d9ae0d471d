import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Readiness } from '../api/index.js';
import { type GoldenStore, type ShipmentLinker } from '../golden/index.js';
import { type ChangeFeed } from '../feed/index.js';
import type { HealthStage } from '../pipeline/health-stage.js';
import { createMetrics, timeBatches, type Metrics } from '../metrics.js';
import { startEventLoopDelaySampler } from '../event-loop-delay.js';
import { type Ingestor } from '../pipeline/ingest.js';
import { type MergeStage } from '../pipeline/merge-stage.js';
import { createEmbeddedPipeline, type EmbeddedPipeline } from '../pipeline/embedded-pipeline.js';
import { type DeadLetterRecorder } from '../pipeline/dead-letter.js';
import { rebuildLinker } from '../pipeline/linker-rebuild.js';
import { type Codec, createCodec } from './codec.js';
import { type Storage, createStorage } from './storage.js';
import type { ClickHouseSinkOptions } from '../sinks/index.js';
import { createHealth, restoreHealth, startHealthClock } from './health-wiring.js';
import { rebuildState } from './state-rebuild.js';
import { createStages, trackingTopicOf } from './stages.js';
import { startLiveReload, type LiveReload } from './live-reload.js';
import type { ConfigWatcher } from '../live-config/index.js';

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
  /** Live reload of pipelines and rules; null unless asked for (`liveReload`). */
  liveReload: LiveReload | null;
  /** Ready while ClickHouse answers (the state was rebuilt before the runtime was returned). */
  readiness(): Promise<Readiness>;
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
    /**
     * How the sink's inserts reach ClickHouse (default: the client's own). Tests hand in a fault
     * injector that delegates to the real chDB client.
     */
    insert?: ClickHouseSinkOptions['insert'];
    /**
     * Watch the pipeline and rule files and swap a valid change in between batches (`orderlake
     * start`: ORDERLAKE_CONFIG_RELOAD). Tests hand in their own watcher and poll themselves
     * (`timer: false`). Default off (a replay runs one version).
     */
    liveReload?: boolean | { watcher?: ConfigWatcher; timer?: boolean };
  },
): Promise<EmbeddedRuntime> {
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const codec = await createCodec(config, logger);
  const storage = await createStorage(config, logger, { ...options, metrics });
  const now = options.clock ?? Date.now;
  const { store, feed, ingestor: fixedIngestor, merge, linker, deadLetters } = createStages(config, logger, { codec, storage, metrics, now, linkTopic: trackingTopicOf(codec) });
  const restored = options.rebuild ? await rebuildState(storage, { merge, store }, [0], logger, config.ORDERLAKE_DORMANT_AFTER_MS) : [];
  const health = (options.health ?? config.ORDERLAKE_HEALTH === 'on') ? await createHealth(config, logger, storage, metrics, { now }) : null;
  if (health && options.rebuild) {
    await restoreHealth(health, storage, { store, merge }, { partitions: [0], withShared: true, restored, ownerPartition: () => 0 }, logger);
  }
  let inFlight = 0;
  const liveOptions = typeof options.liveReload === 'object' ? options.liveReload : {};
  const liveReload = options.liveReload
    ? await startLiveReload(config, logger, { codec, storage, metrics, store, health, clock: now, idle: () => inFlight === 0, ...liveOptions })
    : null;
  const ingestor = liveReload?.ingestor ?? fixedIngestor;
  const pipeline = createEmbeddedPipeline({
    ingestor,
    linker,
    merge,
    sink:
      config.ORDERLAKE_RAW_EVENTS === 'on'
        ? storage.sink
        : { writeDeadLetters: (rows) => storage.sink.writeDeadLetters(rows), writePendingShipments: (rows) => storage.sink.writePendingShipments(rows), flushCommitLane: () => storage.sink.flushCommitLane() },
    now,
    logger: logger.child({ stage: 'embedded' }),
    ackWindow: config.ORDERLAKE_ACK_WINDOW,
    onUnacknowledged: (batches) => metrics.unacknowledgedBatches.set({ stage: 'embedded' }, batches),
  });
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
  if (liveReload) {
    // A staged configuration that found no batch to start goes live from the poll, while none runs.
    const process = pipeline.process;
    pipeline.process = async (messages) => {
      inFlight++;
      try {
        return await process(messages);
      } finally {
        inFlight--;
      }
    };
  }
  {
    // One batch at a time even with two callers (the source and a dead-letter re-drive): an order
    // must not be woken by two batches at once (see MergeStage.wake).
    const process = pipeline.process;
    let previous: Promise<unknown> = Promise.resolve();
    pipeline.process = (messages) => {
      const run = previous.then(() => process(messages));
      previous = run.catch(() => undefined);
      return run;
    };
  }
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
    liveReload,
    async readiness() {
      let clickhouse: true | string = true;
      try {
        await storage.reader.ping();
      } catch (err) {
        clickhouse = `ClickHouse does not answer: ${(err as Error).message ?? String(err)}`;
      }
      return { ready: clickhouse === true, checks: { clickhouse, state_rebuilt: true, kafka_assigned: 'embedded mode' } };
    },
    close: async () => {
      liveReload?.close();
      healthClock?.stop();
      loopDelay.stop();
      pipeline.stop();
      await storage.close();
    },
  };
}
