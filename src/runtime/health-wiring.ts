import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { type GoldenStore, type GoldenView } from '../golden/index.js';
import {
  loadStoredCases,
  ordersWithExceptionsAndNoCase,
  recordConfigChanges,
} from '../sinks/index.js';
import { createCaseFeed } from '../feed/index.js';
import { createHealthEngine, loadRules, rulesDirectoryOf, type Arrival, type Rule } from '../health/index.js';
import { createHealthStage, type HealthStage } from '../pipeline/health-stage.js';
import { eventTime } from '../normalize/index.js';
import { configFilesOf } from '../config-files.js';
import type { Metrics } from '../metrics.js';
import type { MergeItem, MergeStage } from '../pipeline/merge-stage.js';
import { OrderlakeError } from '../errors.js';
import { type Storage } from './storage.js';
import type { RestoredOrder } from './state-rebuild.js';

/**
 * The health stage of a worker: the rules of `pipelines/rules/`, cases written to ClickHouse and
 * pushed on a case feed. `select` keeps only some rules (a Kafka worker runs the order rules).
 */
export async function createHealth(
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
  // Strategy-change response time: from a file's change (mtime) to it being live here, recorded in
  // config_changes; the first version of a file is the baseline, not a change.
  const liveAt = options.now();
  for (const [kind, folder] of [['rules', dir], ['pipelines', config.paths.pipelines]] as const) {
    const files = await configFilesOf(folder);
    try {
      const recorded = await recordConfigChanges(storage.client, storage.database, files.map((f) => ({ kind, file: path.basename(f.file), changedAt: f.changedAt, liveAt })));
      const newest = Math.max(...recorded.changes.map((c) => c.changedAt));
      if (recorded.changes.length > 0) metrics.strategyChangeSeconds.set({ kind }, Math.max(0, liveAt - newest) / 1000);
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
 * under its id and version, one whose condition ended while the worker was down self-heals. An
 * order restored asleep whose stored view carries exception codes but which has no stored case
 * (its case was still on its way to ClickHouse when the worker died) is woken and judged again.
 */
export async function restoreHealth(
  health: HealthStage,
  storage: Storage,
  stages: { store: GoldenStore; merge: Pick<MergeStage, 'wake'> },
  scope: { partitions: number[]; withShared: boolean; restored: readonly RestoredOrder[]; ownerPartition: (orderId: string) => number },
  logger: Logger,
): Promise<void> {
  const { store, merge } = stages;
  const stored = await loadStoredCases({ client: storage.client, database: storage.database, partitions: scope.partitions, withShared: scope.withShared });
  health.restore(stored);
  const asleep = (await ordersWithExceptionsAndNoCase({ client: storage.client, database: storage.database, partitions: scope.partitions })).filter(
    (orderId) => store.dormant(orderId) !== undefined,
  );
  if (asleep.length > 0) await merge.wake(asleep.map((orderId) => ({ orderId, ownerPartition: scope.ownerPartition(orderId) })));
  // Restored orders are judged with the view they were restored with: a quiet closed one may have
  // fallen asleep again since (its case would otherwise be lost when it died with the worker).
  const views = new Map<string, { type: 'view'; orderId: string; view: GoldenView; version: number }>();
  for (const { orderId, view } of scope.restored) if (view !== null) views.set(orderId, { type: 'view', orderId, view, version: view.version });
  for (const orderId of asleep) {
    const view = store.get(orderId);
    if (view !== null) views.set(orderId, { type: 'view', orderId, view, version: view.version });
  }
  const changes = health.apply([...views.values()]);
  logger.info({ partitions: scope.partitions, cases: stored.length, woken: asleep.length, changed: changes.length }, 'exception cases restored');
}

/** Reads the wall clock for the health rules every `everyMs` (event time moves on while sources are idle). */
export function startHealthClock(health: HealthStage, everyMs: number, logger: Logger): { stop(): void } {
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
export function arrivalsOf(items: readonly MergeItem[]): Arrival[] {
  return items.map((item) => ({ source: item.event.source, eventTime: eventTime(item.event), arrivedAt: item.position.timestamp }));
}
