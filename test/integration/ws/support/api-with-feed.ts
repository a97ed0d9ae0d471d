import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApiServer, createAuthenticator, type Authenticator } from '../../../../src/api/index.js';
import { registerFeedRoutes, type FeedOptions } from '../../../../src/api/ws/index.js';
import type { ChangeFeed } from '../../../../src/feed/index.js';
import type { GoldenStore } from '../../../../src/golden/index.js';
import type { Metrics } from '../../../../src/metrics.js';
import { createClickHouseClient, type ClickHouseClient } from '../../../../src/sinks/index.js';

export const AGENT_TOKEN = 'e2e-agent-token-7f3a9c';

export interface ApiWithFeed {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  auth: Authenticator;
  close(): Promise<void>;
}

/**
 * The real HTTP API (`createApiServer`) with the live feed, listening on port 0. The feed is added
 * here only when the API does not register it itself.
 */
export async function startApiWithFeed(parts: {
  logger: Logger;
  metrics: Metrics;
  store: GoldenStore;
  feed: ChangeFeed;
  client: ClickHouseClient;
  database: string;
  /** chDB data directory of `client` (analyst SQL gets its own session on it). */
  dataPath: string;
  feedOptions?: Partial<FeedOptions>;
}): Promise<ApiWithFeed> {
  const auth = createAuthenticator({ tokens: [{ token: AGENT_TOKEN, role: 'agent', name: 'e2e-agent' }] });
  const app = await createApiServer({
    logger: parts.logger,
    metrics: parts.metrics,
    auth,
    store: parts.store,
    feed: parts.feed,
    client: parts.client,
    database: parts.database,
    sql: { openClient: () => createClickHouseClient({ database: parts.database, dataPath: parts.dataPath }), maxResultRows: 10_000, maxExecutionSeconds: 10 },
    readiness: async () => ({ ready: true, checks: { clickhouse: true, state_rebuilt: true, kafka_assigned: 'test' } }),
  });
  if (!app.hasRoute({ method: 'GET', url: '/ws' })) {
    await registerFeedRoutes(app, { feed: parts.feed, store: parts.store, auth, metrics: parts.metrics, logger: parts.logger, ...(parts.feedOptions ? { options: parts.feedOptions } : {}) });
  }
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    baseUrl: address,
    auth,
    close: () => app.close(),
  };
}
