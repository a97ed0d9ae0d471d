import type { Role } from '../auth/index.js';

/**
 * Limits and timings of the live feed (orders and cases). Every bound here exists so that memory
 * stays bounded whatever a client does (subscribes to everything, stops reading, sends garbage).
 */
export interface FeedOptions {
  /** Route path of the feed. Default `/ws`. */
  path: string;
  /**
   * Orders at most in one subscription snapshot (newest `updated_at` first); beyond it the snapshot
   * says `truncated: true`. Default 1,000 orders.
   */
  maxSnapshotOrders: number;
  /**
   * Cases at most in one `case_snapshot` (most urgent first: severity, then oldest); beyond it the
   * snapshot says `truncated: true`. Default 1,000 cases.
   */
  maxSnapshotCases: number;
  /** Subscriptions at most per connection. Default 32 (`ORDERLAKE_WS_MAX_SUBSCRIPTIONS`). */
  maxSubscriptions: number;
  /**
   * Connections at most on this server (upgrades in progress included); an upgrade beyond is
   * answered HTTP 503 with Retry-After, before any socket opens. Default 1,000
   * (`ORDERLAKE_WS_MAX_CONNECTIONS`).
   */
  maxConnections: number;
  /**
   * Connections at most per client, keyed by the principal's name (a token's `name`, a JWT's
   * subject); an upgrade beyond is answered HTTP 429 with Retry-After. Default 100
   * (`ORDERLAKE_WS_MAX_CONNECTIONS_PER_CLIENT`).
   */
  maxConnectionsPerClient: number;
  /**
   * Client messages per second a connection may send on average (token bucket refill rate). A
   * message over the rate is dropped unread; the first of a run gets an `OL_ERR_WS_RATE_LIMITED`
   * error frame. Default 20 (`ORDERLAKE_WS_MAX_MESSAGES_PER_SECOND`).
   */
  maxMessagesPerSecond: number;
  /**
   * Client messages a connection may send at once (token bucket size); also how many dropped
   * messages in a row are tolerated before the connection is closed with 4029. Default 100
   * (`ORDERLAKE_WS_MESSAGE_BURST`).
   */
  messageBurst: number;
  /** Order ids at most in one `filter.order_ids`. Default 1,000. */
  maxOrderIds: number;
  /** Entries at most in one `versions` map of a resuming subscribe. Default 5,000. */
  maxVersions: number;
  /**
   * A client message larger than this is answered with an error frame (the connection stays).
   * Default 262,144 bytes (256 KiB).
   */
  maxMessageBytes: number;
  /**
   * Hard frame limit given to the WebSocket server when this module registers @fastify/websocket:
   * a larger frame closes the connection with 1009. Default 1,048,576 bytes (1 MiB).
   */
  maxPayloadBytes: number;
  /** Changes kept per order for resuming clients (a ring). Default 64 changes. */
  historyPerOrder: number;
  /**
   * Changes kept in the resume history over all orders; the least recently changed orders are
   * forgotten first (a resume then gets a fresh snapshot of them). Default 200,000 changes.
   */
  historyMaxEntries: number;
  /**
   * Pending messages at most per connection: pending deltas of one order coalesce into one, so
   * this bounds distinct orders waiting for a slow client. Beyond it the client is closed with
   * 4008. Default 10,000 messages.
   */
  maxQueuedMessages: number;
  /**
   * Stop writing to a socket while its `bufferedAmount` is at or above this; pending deltas then
   * coalesce in the connection queue instead. Default 1,048,576 bytes (1 MiB).
   */
  highWaterMarkBytes: number;
  /**
   * A client whose socket stays at the high-water mark this long is closed with 4008.
   * Default 30,000 ms.
   */
  stuckTimeoutMs: number;
  /** How often blocked sockets are retried, ms. Default 20 ms. */
  drainIntervalMs: number;
  /**
   * The server pings every client this often; a client that has not answered the previous ping is
   * terminated. Default 30,000 ms.
   */
  pingIntervalMs: number;
  /** Roles allowed to open the feed (admin always may). Default agent, service, admin. */
  roles: readonly Role[];
}

export const DEFAULT_FEED_OPTIONS: Readonly<FeedOptions> = Object.freeze({
  path: '/ws',
  maxSnapshotOrders: 1_000,
  maxSnapshotCases: 1_000,
  maxSubscriptions: 32,
  maxConnections: 1_000,
  maxConnectionsPerClient: 100,
  maxMessagesPerSecond: 20,
  messageBurst: 100,
  maxOrderIds: 1_000,
  maxVersions: 5_000,
  maxMessageBytes: 256 * 1024,
  maxPayloadBytes: 1024 * 1024,
  historyPerOrder: 64,
  historyMaxEntries: 200_000,
  maxQueuedMessages: 10_000,
  highWaterMarkBytes: 1024 * 1024,
  stuckTimeoutMs: 30_000,
  drainIntervalMs: 20,
  pingIntervalMs: 30_000,
  roles: Object.freeze(['agent', 'service', 'admin'] as Role[]),
});

/** Fills in defaults and rejects values that would disable a bound. */
export function resolveFeedOptions(options: Partial<FeedOptions> = {}): FeedOptions {
  const resolved: FeedOptions = { ...DEFAULT_FEED_OPTIONS, ...options };
  for (const key of Object.keys(resolved) as Array<keyof FeedOptions>) {
    const value = resolved[key];
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 1)) {
      throw new RangeError(`feed option ${key} must be a positive number, got ${value}`);
    }
  }
  if (resolved.maxMessageBytes > resolved.maxPayloadBytes) {
    throw new RangeError(`feed option maxMessageBytes (${resolved.maxMessageBytes}) exceeds maxPayloadBytes (${resolved.maxPayloadBytes})`);
  }
  return resolved;
}
