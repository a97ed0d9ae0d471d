import type { FastifyInstance } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../../feed/index.js';
import type { ViewSource } from '../../golden/index.js';
import type { Metrics } from '../../metrics.js';
import type { Authenticator, Principal } from '../auth/index.js';
import type { CaseStream } from './case-stream.js';
import { createConnectionLimits, type ConnectionSlot } from './connection-limits.js';
import { authorizeUpgrade } from './feed-auth.js';
import { createFeedHub, type FeedHub } from './feed-hub.js';
import { resolveFeedOptions, type FeedOptions } from './feed-options.js';

export { createFeedHub, type FeedHub, type FeedHubStats } from './feed-hub.js';
export { DEFAULT_FEED_OPTIONS, resolveFeedOptions, type FeedOptions } from './feed-options.js';
export * from './feed-protocol.js';
export type { CaseStream } from './case-stream.js';
export { compareCaseUrgency } from './case-filter.js';

export interface FeedRouteDeps {
  feed: ChangeFeed;
  store: ViewSource;
  /**
   * The health runtime's cases (its case service fits): when given, the feed also serves
   * `stream: 'cases'` subscriptions; without it they are refused with an error frame. Ignored when
   * `hub` is given (build that hub with them).
   */
  cases?: CaseStream;
  auth: Authenticator;
  metrics: Metrics;
  logger: Logger;
  options?: Partial<FeedOptions>;
  /** A hub built by the caller (tests read its stats); by default one is created here. */
  hub?: FeedHub;
}

/**
 * Adds the live feed (orders, and cases when `cases` is given) at `options.path` (default `/ws`), registering @fastify/websocket first
 * when the app does not have it. The token is checked before the upgrade, so a refused client
 * gets a plain HTTP 401/403 and never an open socket.
 */
export async function registerFeedRoutes(app: FastifyInstance, deps: FeedRouteDeps): Promise<void> {
  const options = resolveFeedOptions(deps.options);
  const logger = deps.logger.child({ component: 'feed' });
  if (!app.hasDecorator('websocketServer')) {
    await app.register(fastifyWebsocket, { options: { maxPayload: options.maxPayloadBytes } });
  }
  const hub =
    deps.hub ??
    createFeedHub({
      feed: deps.feed,
      store: deps.store,
      ...(deps.cases !== undefined ? { cases: deps.cases } : {}),
      metrics: deps.metrics,
      logger,
      options,
      now: Date.now,
    });
  const upgrades = new WeakMap<IncomingMessage, { principal: Principal; slot: ConnectionSlot }>();
  const limits = createConnectionLimits(options);
  let refusedSinceLog = 0;
  let lastRefusalLog = 0;
  app.addHook('onClose', async () => hub.close());

  app.get(
    options.path,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const principal = await authorizeUpgrade(request, reply, deps.auth, options.roles);
        if (principal === null) return reply;
        // A plain GET (no upgrade) gets the plugin's 404 and must not hold a slot.
        if (!request.ws) return undefined;
        const reserved = limits.reserve(principal.name);
        if (!reserved.ok) {
          // Logged at most every 10 s with a count, so a flood of upgrades cannot flood the log too.
          refusedSinceLog++;
          if (Date.now() - lastRefusalLog >= 10_000) {
            logger.warn({ refused: refusedSinceLog, active: limits.active, client: principal.name, code: 'OL_ERR_WS_TOO_MANY_CONNECTIONS' }, 'feed upgrades refused: connection limit');
            lastRefusalLog = Date.now();
            refusedSinceLog = 0;
          }
          return reply.code(reserved.status).header('retry-after', '5').send({ error: 'OL_ERR_WS_TOO_MANY_CONNECTIONS', message: reserved.message });
        }
        // The slot is held until the WebSocket closes, or the TCP connection does when the upgrade
        // fails on the way (bad handshake, client gone).
        const tcp = request.raw.socket as IncomingMessage['socket'] | undefined;
        if (tcp?.destroyed === true) reserved.slot.release();
        else tcp?.once('close', () => reserved.slot.release());
        upgrades.set(request.raw, { principal, slot: reserved.slot });
        return undefined;
      },
    },
    (socket, request) => {
      const upgrade = upgrades.get(request.raw);
      const principal = upgrade?.principal;
      if (upgrade !== undefined) socket.once('close', () => upgrade.slot.release());
      const peer = `${request.ip} ${principal?.name ?? '?'} (${principal?.roles.join(',') ?? '?'})`;
      logger.info({ peer }, 'feed client connected');
      socket.on('close', (code: number) => logger.info({ peer, code }, 'feed client disconnected'));
      hub.attach(socket, peer);
    },
  );
}
