import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { OrderlakeError } from '../errors.js';
import type { GoldenStore } from '../golden/index.js';
import { createHealthEngine, rulesDirectoryOf, type Rule } from '../health/index.js';
import {
  compileConfigSet,
  createFsConfigWatcher,
  createLiveConfig,
  createLiveIngestor,
  readConfigSet,
  toConfigSet,
  type ActiveConfig,
  type ConfigHistoryEntry,
  type ConfigWatcher,
  type LiveConfig,
} from '../live-config/index.js';
import type { Metrics } from '../metrics.js';
import type { HealthStage } from '../pipeline/health-stage.js';
import type { Ingestor } from '../pipeline/ingest.js';
import { formatProblem } from '../normalize/index.js';
import { latestConfigVersion, listConfigVersions, publishConfigVersion, recordConfigChanges, type PublishedConfigVersion } from '../sinks/index.js';
import type { Codec } from './codec.js';
import type { Storage } from './storage.js';

/** What `GET /config` shows. Times are epoch ms. */
export interface ConfigStatus {
  active: ActiveConfig;
  pending: string | null;
  history: ConfigHistoryEntry[];
  /** The shared log (`config_versions`), newest first, without file texts; empty when ClickHouse does not answer. */
  published: PublishedConfigVersion[];
}

export interface LiveReload {
  live: LiveConfig;
  /** The ingest stage: takes the configuration at each batch's start. */
  ingestor: Ingestor;
  status(): Promise<ConfigStatus>;
  /** One round of the poll: the files, then the shared log; a staged version goes live if `idle()`. */
  poll(): Promise<void>;
  close(): void;
}

/**
 * Wires live reload into a worker: the initial version (the files start-up loaded), a watcher on
 * the pipeline and rule folders, a poll of the files and of `config_versions` every
 * `ORDERLAKE_CONFIG_POLL_MS`, publication of accepted local changes, and on every swap the health
 * rules rebuilt and re-judged on the views held, and the change recorded in `config_changes`.
 */
export async function startLiveReload(
  config: Config,
  logger: Logger,
  deps: {
    codec: Codec;
    storage: Storage;
    metrics: Metrics;
    store: GoldenStore;
    health: HealthStage | null;
    /** Keeps only some rules (a Kafka worker runs the order rules), as `createHealth` did. */
    selectRules?: (rule: Rule) => boolean;
    clock: () => number;
    /** Default: fs.watch on the folders. */
    watcher?: ConfigWatcher;
    /** Whether no batch is in progress (embedded); a staged version waiting for a batch goes live then. Default: always. */
    idle?: () => boolean;
    /** Poll on a timer (default true); tests call `poll` themselves. */
    timer?: boolean;
  },
): Promise<LiveReload> {
  const log = logger.child({ component: 'live-config' });
  const dir = config.paths.pipelines;
  const { codec, storage, metrics, store, health, clock } = deps;
  const worker = `${hostname()}-${process.pid}`;
  const compile = (set: Parameters<typeof compileConfigSet>[0], running?: ActiveConfig['config']) =>
    compileConfigSet(set, { pipelinesDir: dir, schemas: codec.schemas, ...(running ? { running: running.pipelines } : {}) });
  const first = compile(await readConfigSet(dir));
  if (!first.ok) {
    throw new OrderlakeError('OL_ERR_PIPELINE_INVALID', `invalid configuration files:\n  ${first.problems.map(formatProblem).join('\n  ')}`, { context: { file: first.problems[0]?.file, problems: first.problems } });
  }

  const publish = (record: PublishedConfigVersion) => publishConfigVersion(storage.client, storage.database, record);
  const live = createLiveConfig({
    initial: first.config,
    read: () => readConfigSet(dir),
    compile: (set, running) => compile(set, running),
    clock,
    logger: log,
    metrics,
    publish: (staged) =>
      publish({ version: staged.config.version, publishedAt: clock(), changedAt: staged.savedAt, worker, changed: [...staged.changed], files: staged.config.files }),
    onLive: (active, previous) => {
      if (health !== null && active.changed.some((c) => c.startsWith('rules/'))) {
        const rules = deps.selectRules ? active.config.rules.filter(deps.selectRules) : active.config.rules;
        health.replaceEngine(createHealthEngine({ rules, allowedLatenessMs: config.ORDERLAKE_HEALTH_LATENESS_MS }), config.ORDERLAKE_HEALTH_LATENESS_MS);
        const views = [];
        for (const orderId of store.orderIds()) {
          const view = store.get(orderId);
          if (view !== null) views.push({ type: 'view' as const, orderId, view, version: view.version });
        }
        const changes = health.apply(views);
        log.info({ rules: rules.map((r) => r.name), judged: views.length, caseChanges: changes.length }, 'health rules swapped');
      }
      // The strategy-change view (health_strategy_changes) reads config_changes.
      const changedFiles = active.config.files.filter((f) => active.changed.includes(`${f.kind}/${f.name}`));
      void recordConfigChanges(storage.client, storage.database, changedFiles.map((f) => ({ kind: f.kind, file: f.name, changedAt: f.changedAt, liveAt: active.since }))).catch((err: unknown) =>
        log.warn({ err, version: active.version, previous: previous.version }, 'could not record the configuration change in config_changes'),
      );
    },
  });

  // At start: a version published after these files were saved is the cluster's (another worker's
  // live change): join it. Files newer than the last publication are a deployment: publish them.
  try {
    const latest = await latestConfigVersion(storage.client, storage.database);
    const newestFile = Math.max(0, ...first.config.files.map((f) => f.changedAt));
    if (latest !== null && latest.version !== first.config.version && latest.publishedAt > newestFile) {
      live.offer(toConfigSet(latest.files), latest.changedAt);
      live.applyPending();
    } else if (latest?.version !== first.config.version) {
      await publish({ version: first.config.version, publishedAt: clock(), changedAt: newestFile, worker, changed: [], files: first.config.files });
    }
  } catch (err) {
    log.warn({ err }, 'could not read or publish config_versions at start; this worker runs its own files until it can');
  }

  const idle = deps.idle ?? (() => true);
  async function poll(): Promise<void> {
    await live.check();
    try {
      const latest = await latestConfigVersion(storage.client, storage.database);
      if (latest !== null && latest.version !== live.active.version && latest.version !== live.pending?.config.version) {
        live.offer(toConfigSet(latest.files), latest.changedAt);
      }
    } catch (err) {
      log.warn({ err }, 'could not read config_versions');
    }
    if (idle()) live.applyPending();
  }

  let polling = false;
  const tick = () => {
    if (polling) return;
    polling = true;
    poll()
      .catch((err: unknown) => log.error({ err }, 'configuration poll failed'))
      .finally(() => {
        polling = false;
      });
  };
  const watcher = deps.watcher ?? createFsConfigWatcher([dir, rulesDirectoryOf(dir)], { onError: (err, folder) => log.warn({ err, folder }, 'cannot watch the folder; changes there are found by the poll') });
  watcher.start(() => {
    void live
      .check()
      .then(() => {
        if (idle()) live.applyPending();
      })
      .catch((err: unknown) => log.error({ err }, 'configuration check failed'));
  });
  const timer = deps.timer === false ? null : setInterval(tick, config.ORDERLAKE_CONFIG_POLL_MS);
  timer?.unref();
  log.info({ version: live.active.version, dir: path.resolve(dir), pollMs: config.ORDERLAKE_CONFIG_POLL_MS }, 'live reload of pipelines and rules on');

  return {
    live,
    ingestor: createLiveIngestor({ live, decoder: codec.decoder, metrics, now: clock }),
    poll,
    async status() {
      let published: PublishedConfigVersion[] = [];
      try {
        published = await listConfigVersions(storage.reader, storage.database, 50);
      } catch (err) {
        log.warn({ err }, 'could not read config_versions for GET /config');
      }
      return { active: live.active, pending: live.pending?.config.version ?? null, history: live.history(), published };
    },
    close() {
      watcher.close();
      if (timer !== null) clearInterval(timer);
    },
  };
}
