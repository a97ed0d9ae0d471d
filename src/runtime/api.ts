import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createApiServer, type ApiDeps, type Authenticator, type Readiness } from '../api/index.js';
import type { ChangeFeed } from '../feed/index.js';
import type { GoldenStore, ShipmentLinker, ViewSource } from '../golden/index.js';
import type { Metrics } from '../metrics.js';
import type { HealthStage } from '../pipeline/health-stage.js';
import { createClickHouseClient } from '../sinks/index.js';
import type { Storage } from './storage.js';
import type { ConfigStatus } from './live-reload.js';
import type { Codec } from './codec.js';
import type { EmbeddedPipeline } from '../pipeline/embedded-pipeline.js';
import { createRedrive, embeddedApply, kafkaRedriveApply, runningPipelines } from './redrive.js';
import { readConfigSet, type LiveConfig } from '../live-config/index.js';
import { registerSandboxRoutes } from '../api/routes/sandbox.js';
import { runSandboxOn } from './run-sandbox.js';

/** What the API needs of a runtime: both modes' runtimes fit. */
export interface ApiRuntime {
  metrics: Metrics;
  store: GoldenStore;
  /** What lookups and feed snapshots read, when more than the store (Kafka mode following the changelog). */
  views?: ViewSource;
  feed: ChangeFeed;
  storage: Storage;
  health: HealthStage | null;
  readiness(): Promise<Readiness>;
  /** The linker whose waiting shipments this worker reports as orphans (embedded mode). */
  linker?: ShipmentLinker;
  /** Live reload of pipelines and rules: `GET /config` shows it. */
  liveReload?: { status(): Promise<ConfigStatus>; live?: Pick<LiveConfig, 'active'> } | null;
  /** The pipelines this worker runs: with it, `POST /admin/dead-letters/redrive` re-drives through them. */
  codec?: Codec;
  /** Embedded mode: the pipeline cured dead letters go through (Kafka mode produces them instead). */
  pipeline?: EmbeddedPipeline;
}

/**
 * The HTTP/WebSocket API of a runtime, assembled once for `orderlake start`, the tests and the
 * benchmarks. Lookups read through the storage's reader client (a chDB client runs one statement
 * at a time, and the pipeline's inserts must not hold an agent's lookup up); analyst SQL opens its
 * own ClickHouse client per query (on chDB, settings and failed-query leftovers stay on a session,
 * which must not be the pipeline's). `overrides` replaces single dependencies (a test's console
 * folder, feed tuning, a store that holds nothing).
 */
export function createRuntimeApi(
  config: Config,
  logger: Logger,
  runtime: ApiRuntime,
  options: { dataPath: string; auth: Authenticator; overrides?: Partial<ApiDeps> },
): Promise<FastifyInstance> {
  const database = runtime.storage.database;
  const openSqlClient = () =>
    createClickHouseClient({
      ...(config.CLICKHOUSE_URL ? { url: config.CLICKHOUSE_URL } : {}),
      ...(config.CLICKHOUSE_USER ? { username: config.CLICKHOUSE_USER } : {}),
      ...(config.CLICKHOUSE_PASSWORD ? { password: config.CLICKHOUSE_PASSWORD } : {}),
      database,
      dataPath: options.dataPath,
    });
  const linker = runtime.linker;
  const redrive = redriveOf(config, logger, runtime);
  const server = createApiServer({
    logger,
    metrics: runtime.metrics,
    auth: options.auth,
    store: runtime.views ?? runtime.store,
    feed: runtime.feed,
    client: runtime.storage.reader,
    database,
    sql: {
      openClient: openSqlClient,
      maxExecutionSeconds: config.ORDERLAKE_SQL_MAX_EXECUTION_SECONDS,
      maxResultRows: config.ORDERLAKE_SQL_MAX_RESULT_ROWS,
    },
    readiness: () => runtime.readiness(),
    bodyLimit: config.ORDERLAKE_HTTP_BODY_LIMIT_BYTES,
    feedOptions: {
      maxConnections: config.ORDERLAKE_WS_MAX_CONNECTIONS,
      maxConnectionsPerClient: config.ORDERLAKE_WS_MAX_CONNECTIONS_PER_CLIENT,
      maxSubscriptions: config.ORDERLAKE_WS_MAX_SUBSCRIPTIONS,
      maxMessagesPerSecond: config.ORDERLAKE_WS_MAX_MESSAGES_PER_SECOND,
      messageBurst: config.ORDERLAKE_WS_MESSAGE_BURST,
    },
    ...(runtime.health !== null ? { health: runtime.health } : {}),
    ...(runtime.liveReload ? { configStatus: () => runtime.liveReload!.status() } : {}),
    ...(linker !== undefined
      ? { orphans: { list: () => linker.orphans(Date.now(), config.ORDERLAKE_ORPHAN_AFTER_MS), afterMs: config.ORDERLAKE_ORPHAN_AFTER_MS } }
      : {}),
    ...(redrive !== null ? { redrive: redrive.run } : {}),
    ...options.overrides,
  }).then((app) =>
    registerSandboxRoutes(app, {
      pipelinesDir: config.paths.pipelines,
      logger,
      // A client of its own, as analyst SQL has: on chDB a client runs one statement at a time, and
      // agents' lookups on the reader must not wait behind a run's reads.
      run: async (request) => {
        const client = openSqlClient();
        try {
          return await runSandboxOn(config, logger, { client, database }, request);
        } finally {
          await client.close();
        }
      },
    }),
  );
  if (redrive === null) return server;
  return server.then((app) => app.addHook('onClose', async () => redrive.close()));
}

/** The re-drive of `POST /admin/dead-letters/redrive`, in the runtime's mode (null without a codec). */
function redriveOf(config: Config, logger: Logger, runtime: ApiRuntime): { run: ReturnType<typeof createRedrive>; close(): Promise<void> } | null {
  const codec = runtime.codec;
  if (codec === undefined) return null;
  const pipeline = runtime.pipeline;
  const kafka = pipeline === undefined ? kafkaRedriveApply(config, logger) : null;
  const run = createRedrive({
    client: runtime.storage.client,
    database: runtime.storage.database,
    // Without live reload, the version of the files as this worker read them at start (about now).
    pipelines: runningPipelines(
      { codec, live: runtime.liveReload?.live },
      readConfigSet(config.paths.pipelines).then((set) => set.version),
    ),
    apply: pipeline !== undefined ? embeddedApply(pipeline) : kafka!.apply,
    logger: logger.child({ component: 'redrive' }),
  });
  return { run, close: async () => kafka?.close() };
}
