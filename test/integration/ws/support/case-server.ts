import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createAuthenticator } from '../../../../src/api/auth/index.js';
import { createFeedHub, registerFeedRoutes, resolveFeedOptions, type CaseStream, type FeedHub, type FeedOptions } from '../../../../src/api/ws/index.js';
import { PACKAGE_ROOT } from '../../../../src/config.js';
import { createCaseFeed, type CaseFeed } from '../../../../src/feed/case-feed.js';
import { createChangeFeed } from '../../../../src/feed/index.js';
import { createGoldenStore, type GoldenStore } from '../../../../src/golden/index.js';
import {
  batchInputs,
  createHealthEngine,
  loadRules,
  rulesDirectoryOf,
  type AgentAction,
  type CaseChange,
  type HealthEngine,
} from '../../../../src/health/index.js';
import { createMetrics } from '../../../../src/metrics.js';
import type { CanonicalEvent } from '../../../../src/normalize/canonical-event.js';
import { TOKENS } from './feed-server.js';

/** The reference rules the cases tests use: a waiting rule (critical) and an exception rule (warning). */
export const CASE_RULES = ['paid-not-released', 'short-pick'] as const;

export interface CaseFeedServer {
  app: FastifyInstance;
  /** `ws://127.0.0.1:<port>/ws` */
  url: string;
  store: GoldenStore;
  engine: HealthEngine;
  caseFeed: CaseFeed;
  /** The hub, when the server was started with `ownHub` (its stats show queues). */
  hub: FeedHub | null;
  /**
   * Merges canonical events into the real golden store, publishes the view changes on the order
   * feed, then feeds them (and event time up to `watermark`, when given) to the real health engine
   * and publishes its case changes — as the runtime does after each batch.
   */
  apply(events: readonly CanonicalEvent[], watermark?: number): CaseChange[];
  /** Event time reached `at`: the engine takes the stages due by then. */
  advance(at: number): CaseChange[];
  /** An agent action on a case, published like the runtime's. */
  act(caseId: string, action: AgentAction): CaseChange;
  close(): Promise<void>;
}

function orderIdOf(event: CanonicalEvent): string {
  if (event.kind === 'tms') {
    if (event.order_ref === null) throw new Error('test TMS events must name their order');
    return event.order_ref;
  }
  return event.order_id;
}

/**
 * A real fastify server on port 0 with the feed routes registered as the API does (`cases` handed
 * to registerFeedRoutes), the cases stream backed by a real health engine with reference rules.
 * `withCases: false` registers the feed without it (a worker running no rules); `ownHub` builds the
 * hub here with the cases and hands it over, so the test can read its stats.
 */
export async function startCaseFeedServer(
  options: { withCases?: boolean; ownHub?: boolean; feedOptions?: Partial<FeedOptions> } = {},
): Promise<CaseFeedServer> {
  const logger = pino({ level: process.env.ORDERLAKE_TEST_LOG_LEVEL ?? 'silent' });
  const metrics = createMetrics();
  let last = 0;
  const store = createGoldenStore({ now: () => (last = Math.max(Date.now(), last + 1)) });
  const feed = createChangeFeed({ onListenerError: (err) => logger.error({ err }, 'listener failed') });
  const caseFeed = createCaseFeed({ onListenerError: (err) => logger.error({ err }, 'case listener failed') });
  const rules = (await loadRules(rulesDirectoryOf(path.join(PACKAGE_ROOT, 'pipelines')))).filter((rule) => (CASE_RULES as readonly string[]).includes(rule.name));
  const engine = createHealthEngine({ rules });
  const cases: CaseStream = { held: () => engine.cases(), feed: caseFeed };
  const auth = createAuthenticator({
    tokens: Object.entries(TOKENS).map(([role, token]) => ({ token, role: role as keyof typeof TOKENS, name: `${role}-user` })),
  });
  const withCases = options.withCases === false ? {} : { cases };
  const hub = options.ownHub
    ? createFeedHub({ feed, store, ...withCases, metrics, logger, options: resolveFeedOptions(options.feedOptions), now: Date.now })
    : null;
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  await registerFeedRoutes(app, {
    feed,
    store,
    ...withCases,
    auth,
    metrics,
    logger,
    ...(options.feedOptions ? { options: options.feedOptions } : {}),
    ...(hub ? { hub } : {}),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });

  const publish = (changes: CaseChange[]) => {
    caseFeed.publish(changes);
    return changes;
  };
  return {
    app,
    url: `${address.replace(/^http/, 'ws')}/ws`,
    store,
    engine,
    caseFeed,
    hub,
    apply(events, watermark) {
      const changes = store.applyBatch(events.map((event) => ({ orderId: orderIdOf(event), event })));
      feed.publish(changes.map((c) => ({ ...c, sourceTime: 0, kafkaTime: 0 })));
      return publish(engine.apply([...batchInputs(changes, []), ...(watermark === undefined ? [] : [{ type: 'watermark' as const, eventTime: watermark }])]));
    },
    advance(at) {
      return publish(engine.apply([{ type: 'watermark', eventTime: at }]));
    },
    act(caseId, action) {
      const change = engine.act(caseId, action);
      caseFeed.publish([change]);
      return change;
    },
    close: () => app.close(),
  };
}
