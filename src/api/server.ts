import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PACKAGE_ROOT } from '../config.js';
import type { ChangeFeed } from '../feed/index.js';
import type { ViewSource } from '../golden/index.js';
import type { Metrics } from '../metrics.js';
import { installAuth, type Authenticator } from './auth/index.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './http-error.js';
import { installHttpMetrics } from './http-metrics.js';
import { installFiniteNumberGuard } from './query-numbers.js';
import { registerOpenApi } from './openapi.js';
import { registerCaseRoutes, type CaseActions } from './routes/cases.js';
import { registerConsoleRoutes } from './routes/console-files.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import type { RedriveFilters, RedriveSummary } from '../pipeline/redrive.js';
import { registerInsightRoutes } from './routes/insights.js';
import { registerShipmentRoutes, type OrphanShipment } from './routes/shipments.js';
import { registerOpsRoutes, type Readiness } from './routes/ops.js';
import { registerOrderRoutes } from './routes/orders.js';
import { registerSqlRoutes } from './routes/sql.js';
import { registerWhoamiRoutes } from './routes/whoami.js';
import { registerConfigRoutes, type ConfigStatusBody } from './routes/config.js';
import { createAnalystSql, type AnalystSqlOptions } from './sql/analyst-sql.js';
import { registerFeedRoutes, type CaseStream, type FeedOptions } from './ws/index.js';

export interface ApiDeps {
  logger: Logger;
  metrics: Metrics;
  /** Who may call what; see `createAuthenticator` in ./auth. */
  auth: Authenticator;
  /** The golden state this worker owns: lookups of these orders are answered from memory. */
  store: ViewSource;
  /** The lake's ClickHouse client: search, timelines, provenance, and views of orders owned elsewhere. */
  client: ClickHouseClient;
  database: string;
  /** Analyst SQL: a client per query (never the pipeline's; see {@link AnalystSqlOptions}) and limits. */
  sql: Omit<AnalystSqlOptions, 'database'>;
  /** Readiness: Kafka assigned (Kafka mode), ClickHouse reachable, state rebuilt. */
  readiness(): Promise<Readiness>;
  /** Live view changes: when given, the WebSocket feed is served at `/ws` (roles agent, service, admin). */
  feed?: ChangeFeed;
  /** Feed tuning (queue bounds, history, keep-alive); defaults in ./ws. */
  feedOptions?: Partial<FeedOptions>;
  /** The agent console's folder (index.html, console.js, console.css). Default: `dashboards/console/` of the package. */
  consoleDir?: string;
  /** Largest request body, bytes; a larger one is refused with 413 before it is read. Default {@link DEFAULT_BODY_LIMIT_BYTES}. */
  bodyLimit?: number;
  /** Shown in the OpenAPI document. */
  version?: string;
  /** Shipments waiting too long for their order link (this worker's linker); `/shipments/orphans` when given. */
  orphans?: { list: () => OrphanShipment[]; afterMs: number };
  /**
   * The worker's health stage (exception cases): agent actions, and the live cases the feed's
   * `cases` stream serves. Absent when the rules are off.
   */
  health?: CaseActions & CaseStream;
  /** Wall clock of agent actions, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** The live pipeline and rule configuration: `GET /config` when given. */
  configStatus?: () => Promise<ConfigStatusBody>;
  /** Re-drives dead letters through this worker's current pipelines; `POST /admin/dead-letters/redrive` when given. */
  redrive?: (filters: RedriveFilters) => Promise<RedriveSummary>;
}

/**
 * Default largest request body, bytes (`ORDERLAKE_HTTP_BODY_LIMIT_BYTES`): a SQL statement is the
 * biggest thing anyone sends.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 1 << 20;

/**
 * Longest path parameter the router takes, percent-encoded characters: the longest id a route
 * accepts (256 characters) with every character a 4-byte UTF-8 sequence (`%F0%9F%99%82`), so the
 * route's own schema is what refuses a long id (400 naming the limit); beyond this the router
 * answers 414.
 */
const MAX_PARAM_LENGTH = 256 * 12;

/**
 * The HTTP API (fastify): the single entry the composition root calls. Tests drive it with
 * `app.inject()`. Unknown query parameters and body fields are errors (a misspelt filter must not
 * silently widen a search), and every error is a JSON body with a code from the error table.
 */
export async function createApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const logger = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler(MAX_PARAM_LENGTH),
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false } },
  });
  installErrorHandling(app, logger);
  installFiniteNumberGuard(app);
  installAuth(app, deps.auth);
  installHttpMetrics(app, deps.metrics);
  await registerOpenApi(app, { version: deps.version ?? '0.1.0' });

  registerOpsRoutes(app, { metrics: deps.metrics, readiness: deps.readiness });
  registerWhoamiRoutes(app);
  registerOrderRoutes(app, { store: deps.store, client: deps.client, database: deps.database });
  registerCaseRoutes(app, { health: deps.health, client: deps.client, database: deps.database, now: deps.now ?? Date.now });
  registerInsightRoutes(app, { client: deps.client, database: deps.database, ...(deps.now ? { now: deps.now } : {}) });
  registerSqlRoutes(app, {
    sql: createAnalystSql({ ...deps.sql, database: deps.database }),
    maxResultRows: deps.sql.maxResultRows,
    maxExecutionSeconds: deps.sql.maxExecutionSeconds,
  });
  if (deps.redrive !== undefined) registerDeadLetterRoutes(app, { redrive: deps.redrive, now: deps.now ?? Date.now });
  if (deps.configStatus !== undefined) registerConfigRoutes(app, { status: deps.configStatus });
  if (deps.orphans !== undefined) registerShipmentRoutes(app, { orphans: deps.orphans.list, orphanAfterMs: deps.orphans.afterMs });
  registerConsoleRoutes(app, { consoleDir: deps.consoleDir ?? path.join(PACKAGE_ROOT, 'dashboards', 'console') });
  if (deps.feed !== undefined) {
    await registerFeedRoutes(app, {
      feed: deps.feed,
      store: deps.store,
      auth: deps.auth,
      metrics: deps.metrics,
      logger: deps.logger,
      ...(deps.health !== undefined ? { cases: deps.health } : {}),
      ...(deps.feedOptions !== undefined ? { options: deps.feedOptions } : {}),
    });
  }
  return app;
}
