import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createAuthenticator, type Authenticator } from '../../../../src/api/auth/index.js';
import { createFeedHub, registerFeedRoutes, resolveFeedOptions, type FeedHub, type FeedOptions } from '../../../../src/api/ws/index.js';
import { createChangeFeed, type ChangeFeed } from '../../../../src/feed/index.js';
import { createGoldenStore, type GoldenStore, type ViewChange } from '../../../../src/golden/index.js';
import { createMetrics, type Metrics } from '../../../../src/metrics.js';
import { eventTime, type CanonicalEvent } from '../../../../src/normalize/canonical-event.js';

/** Tokens of the test authenticator (the API's real one, configured with static tokens). */
export const TOKENS = {
  agent: 'agent-token-0123456789',
  analyst: 'analyst-token-0123456789',
  service: 'service-token-0123456789',
  admin: 'admin-token-0123456789',
} as const;

export interface FeedServer {
  app: FastifyInstance;
  /** `ws://127.0.0.1:<port>/ws` */
  url: string;
  store: GoldenStore;
  feed: ChangeFeed;
  hub: FeedHub;
  metrics: Metrics;
  auth: Authenticator;
  /**
   * Merges canonical events into the real golden store and publishes the changes on the real
   * change feed, as the merge stage does after each batch.
   */
  apply(events: readonly CanonicalEvent[]): ViewChange[];
  close(): Promise<void>;
}

function orderIdOf(event: CanonicalEvent): string {
  if (event.kind === 'tms') {
    if (event.order_ref === null) throw new Error('test TMS events must name their order');
    return event.order_ref;
  }
  return event.order_id;
}

/** A real fastify server on port 0 with only the feed routes. */
export async function startFeedServer(options: Partial<FeedOptions> = {}): Promise<FeedServer> {
  const logger = pino({ level: process.env.ORDERLAKE_TEST_LOG_LEVEL ?? 'silent' });
  const metrics = createMetrics();
  // Strictly increasing processing time, so `updated_at` orders the changes even within one millisecond.
  let last = 0;
  const store = createGoldenStore({ now: () => (last = Math.max(Date.now(), last + 1)) });
  const feed = createChangeFeed({ onListenerError: (err) => logger.error({ err }, 'listener failed') });
  const auth = createAuthenticator({
    tokens: Object.entries(TOKENS).map(([role, token]) => ({ token, role: role as keyof typeof TOKENS, name: `${role}-user` })),
  });
  const hub = createFeedHub({ feed, store, metrics, logger, options: resolveFeedOptions(options), now: Date.now });
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  await registerFeedRoutes(app, { feed, store, auth, metrics, logger, options, hub });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url: `${address.replace(/^http/, 'ws')}${options.path ?? '/ws'}`,
    store,
    feed,
    hub,
    metrics,
    auth,
    apply(events) {
      const changes = store.applyBatch(events.map((event) => ({ orderId: orderIdOf(event), event })));
      const sourceTimes = new Map<string, number>();
      for (const event of events) {
        const id = orderIdOf(event);
        sourceTimes.set(id, Math.max(sourceTimes.get(id) ?? 0, eventTime(event)));
      }
      const kafkaTime = Date.now();
      feed.publish(changes.map((c) => ({ ...c, sourceTime: sourceTimes.get(c.orderId) ?? 0, kafkaTime })));
      return changes;
    },
    close: () => app.close(),
  };
}
