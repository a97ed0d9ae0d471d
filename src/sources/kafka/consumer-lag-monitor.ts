import type { Logger } from 'pino';
import type { Metrics } from '../../metrics.js';
import { partitionLags, type PartitionPosition } from './consumer-lag.js';
import type { KafkaAdmin, PartitionsByTopic } from './kafka-port.js';
import { isEmptyPartitions, partitionKey } from './partition-sets.js';

/** What a running stage's group is, for the lag monitor. */
export interface LagSourceGroup {
  groupId: string;
  topics: string[];
  commits: boolean;
  fromBeginning: boolean;
}

/** One stage's consumer-group member as the lag monitor sees it (an instrumented consumer group). */
export interface LagSource {
  readonly stage: string;
  /** The group it runs in; null before `run` and after `stop`. */
  running(): LagSourceGroup | null;
  /** Partitions this member holds now. */
  assignment(): PartitionsByTopic;
  /** The offset after the last record handled, per partition held and handled since its assignment. */
  handledPositions(): PartitionPosition[];
}

/** Repeats work on an interval: Node's timers in production, a hand-driven one in tests. */
export interface Ticker {
  /**
   * Calls `tick` every `intervalMs` until the returned function is called. `tick` never rejects;
   * its promise settles when that tick's work is done (a hand-driven ticker can wait for it).
   */
  every(intervalMs: number, tick: () => Promise<void>): () => void;
}

/** `setInterval`, unref'd: a lag poll alone never keeps the process alive. */
export const intervalTicker: Ticker = {
  every(intervalMs, tick) {
    const timer = setInterval(() => void tick(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  },
};

type LagLabels = { stage: string; topic: string; partition: string };

export interface ConsumerLagMonitor {
  /** Refreshes the gauge on every tick from now on. */
  start(): void;
  /** One refresh of every stage now, as a tick does. Never rejects: a failing stage is logged and skipped. */
  refresh(): Promise<void>;
  /** Stops the ticks and waits for a refresh in progress. */
  stop(): Promise<void>;
}

/**
 * Keeps `orderlake_consumer_lag{stage, topic, partition}` up to date for the partitions each stage
 * holds on this worker: on each tick, the stage's positions (its group's committed offsets; for a
 * group that never commits, the offsets after the records it handled), then the partitions'
 * watermarks — in that order, so a commit landing in between can only overstate the lag by what it
 * covered, never make it negative — and {@link partitionLags} of the two. Series of partitions a
 * stage no longer holds are removed. A stage whose refresh fails (broker or coordinator away) keeps
 * its last values, is logged as a warning, and is tried again on the next tick; a tick that finds
 * the previous refresh still running is skipped.
 */
export function createConsumerLagMonitor(deps: {
  admin: Pick<KafkaAdmin, 'fetchWatermarks' | 'fetchCommittedOffsets'>;
  sources: readonly LagSource[];
  metrics: Pick<Metrics, 'consumerLag'>;
  logger: Pick<Logger, 'warn'>;
  /** Refresh interval, ms (ORDERLAKE_LAG_INTERVAL_MS). */
  intervalMs: number;
  ticker?: Ticker;
}): ConsumerLagMonitor {
  const { admin, metrics, logger } = deps;
  const ticker = deps.ticker ?? intervalTicker;
  /** Label sets reported per stage, by partition, so partitions given up can be removed. */
  const reported = new Map<string, Map<string, LagLabels>>();
  let cancel: (() => void) | null = null;
  let inFlight: Promise<void> | null = null;
  let stopped = false;

  function publish(stage: string, lags: ReadonlyArray<{ topic: string; partition: number; lag: number }>): void {
    const before = reported.get(stage) ?? new Map<string, LagLabels>();
    const now = new Map<string, LagLabels>();
    for (const { topic, partition, lag } of lags) {
      const labels: LagLabels = { stage, topic, partition: String(partition) };
      metrics.consumerLag.set(labels, lag);
      now.set(partitionKey({ topic, partition }), labels);
    }
    for (const [key, labels] of before) if (!now.has(key)) metrics.consumerLag.remove(labels);
    reported.set(stage, now);
  }

  async function refreshSource(source: LagSource): Promise<void> {
    const group = source.running();
    const held = group ? source.assignment() : {};
    if (!group || isEmptyPartitions(held)) {
      publish(source.stage, []);
      return;
    }
    const positions = group.commits ? await admin.fetchCommittedOffsets(group.groupId, held) : source.handledPositions();
    const watermarks = await admin.fetchWatermarks(held);
    if (stopped) return;
    // The assignment may have changed while the requests were out: report only what is still held.
    const still = new Set(Object.entries(source.assignment()).flatMap(([topic, list]) => list.map((partition) => partitionKey({ topic, partition }))));
    publish(
      source.stage,
      partitionLags(watermarks, positions, { fromBeginning: group.fromBeginning }).filter((l) => still.has(partitionKey(l))),
    );
  }

  async function refresh(): Promise<void> {
    if (stopped) return;
    await Promise.all(
      deps.sources.map((source) =>
        refreshSource(source).catch((err: unknown) => {
          logger.warn({ err, stage: source.stage, group: source.running()?.groupId }, 'consumer lag poll failed; trying again on the next tick');
        }),
      ),
    );
  }

  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (!inFlight) {
      inFlight = refresh().finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  return {
    start() {
      if (cancel || stopped) return;
      cancel = ticker.every(deps.intervalMs, tick);
    },
    refresh,
    async stop() {
      stopped = true;
      cancel?.();
      cancel = null;
      await inFlight;
    },
  };
}
