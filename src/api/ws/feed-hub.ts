import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { ChangeFeed, FeedChange } from '../../feed/index.js';
import type { ViewSource } from '../../golden/index.js';
import type { Metrics } from '../../metrics.js';
import type { CaseChange } from '../../health/index.js';
import type { CaseStream } from './case-stream.js';
import { openCaseSubscription, type CaseSubscription } from './case-subscription.js';
import { createChangeHistory } from './change-history.js';
import { createClientMessageParser } from './client-message.js';
import { createFeedConnection, type AnySubscription, type FeedConnection } from './feed-connection.js';
import type { FeedOptions } from './feed-options.js';
import { openSubscription, type FeedSubscription } from './feed-subscription.js';
import { deltaOf } from './order-delta.js';

/** What the hub holds right now: for operators' logs and for tests that check memory stays bounded. */
export interface FeedHubStats {
  connections: number;
  subscriptions: number;
  /** Pending messages summed over connections. */
  queued: number;
  /** The longest pending queue of any connection. */
  maxQueued: number;
  /** Connections with pending messages or a full socket. */
  waiting: number;
  /** Connections the server is closing (slow consumers) whose socket has not gone yet. */
  closing: number;
  /** Changes held for resuming clients. */
  historyEntries: number;
}

/** The WebSocket hub: fans golden view changes (and case changes, when given) out to the feed's connections. */
export interface FeedHub {
  /** Takes over an upgraded socket whose principal has been checked. */
  attach(socket: WebSocket, peer: string): void;
  stats(): FeedHubStats;
  /** Stops listening to the change feed and the timers (sockets are closed by the server). */
  close(): void;
}

export interface FeedHubDeps {
  feed: ChangeFeed;
  store: ViewSource;
  /**
   * The health runtime's cases: when given, `stream: 'cases'` subscriptions are served; without
   * it they are refused with an error frame (`OL_ERR_WS_SUBSCRIPTION`).
   */
  cases?: CaseStream;
  metrics: Metrics;
  logger: Logger;
  options: FeedOptions;
  /** The clock for push latency and stuck clients, epoch ms. */
  now: () => number;
}

/**
 * Subscribes to the change feed once and records every change in the resume history, whoever is
 * connected. A change is offered to the subscriptions that name its order and to those that scan
 * all orders; messages are written right after the merged batch (a microtask later), so a push
 * costs the pipeline no more than building the messages.
 */
export function createFeedHub(deps: FeedHubDeps): FeedHub {
  const { store, metrics, logger, options, now } = deps;
  const history = createChangeHistory({ perOrder: options.historyPerOrder, maxEntries: options.historyMaxEntries });
  const parse = createClientMessageParser(options);
  const connections = new Set<FeedConnection>();
  const owners = new Map<AnySubscription, FeedConnection>();
  const byOrder = new Map<string, Set<FeedSubscription>>();
  const scanning = new Set<FeedSubscription>();
  const caseSubscriptions = new Set<CaseSubscription>();
  const dirty = new Set<FeedConnection>();
  let flushScheduled = false;
  let drainTimer: NodeJS.Timeout | null = null;
  let pingTimer: NodeJS.Timeout | null = null;

  const index = {
    add(subscription: AnySubscription, connection: FeedConnection) {
      owners.set(subscription, connection);
      if (subscription.stream === 'cases') {
        caseSubscriptions.add(subscription);
        return;
      }
      const ids = subscription.filter.orderIds;
      if (ids === null) {
        scanning.add(subscription);
        return;
      }
      for (const id of ids) {
        let set = byOrder.get(id);
        if (set === undefined) byOrder.set(id, (set = new Set()));
        set.add(subscription);
      }
    },
    remove(subscription: AnySubscription) {
      owners.delete(subscription);
      if (subscription.stream === 'cases') {
        caseSubscriptions.delete(subscription);
        return;
      }
      scanning.delete(subscription);
      for (const id of subscription.filter.orderIds ?? []) {
        const set = byOrder.get(id);
        set?.delete(subscription);
        if (set?.size === 0) byOrder.delete(id);
      }
    },
  };

  function flushDirty(): void {
    flushScheduled = false;
    for (const connection of dirty) connection.flush();
    dirty.clear();
    ensureDrainTimer();
  }

  function ensureDrainTimer(): void {
    if (drainTimer !== null) return;
    if (![...connections].some((c) => c.waiting)) return;
    drainTimer = setInterval(() => {
      let waiting = 0;
      for (const connection of connections) {
        if (!connection.waiting) continue;
        connection.flush();
        connection.checkStuck();
        if (connection.waiting) waiting++;
      }
      if (waiting === 0 && drainTimer !== null) {
        clearInterval(drainTimer);
        drainTimer = null;
      }
    }, options.drainIntervalMs);
    drainTimer.unref();
  }

  function offer(subscription: FeedSubscription, delta: ReturnType<typeof deltaOf>, change: FeedChange, times: { sourceTime: number; kafkaTime: number }): void {
    const item = subscription.itemFor(delta, change, times);
    if (item === null) return;
    const connection = owners.get(subscription);
    if (connection === undefined) return;
    connection.enqueue(item);
    dirty.add(connection);
  }

  function scheduleFlush(): void {
    if (dirty.size > 0 && !flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flushDirty);
    }
  }

  function offerCase(change: CaseChange): void {
    for (const subscription of caseSubscriptions) {
      const item = subscription.itemFor(change);
      if (item === null) continue;
      const connection = owners.get(subscription);
      if (connection === undefined) continue;
      connection.enqueue(item);
      dirty.add(connection);
    }
  }

  const unsubscribeCases =
    deps.cases?.feed.subscribe((changes) => {
      if (caseSubscriptions.size === 0) return;
      for (const change of changes) offerCase(change);
      scheduleFlush();
    }) ?? (() => undefined);

  const unsubscribe = deps.feed.subscribe((changes) => {
    for (const change of changes) {
      const delta = deltaOf(change);
      history.record(delta);
      if (owners.size === 0) continue;
      const times = { sourceTime: change.sourceTime, kafkaTime: change.kafkaTime };
      const named = byOrder.get(change.orderId);
      if (named !== undefined) for (const subscription of named) offer(subscription, delta, change, times);
      for (const subscription of scanning) offer(subscription, delta, change, times);
    }
    scheduleFlush();
  });

  return {
    attach(socket, peer) {
      const connection = createFeedConnection({
        socket,
        peer,
        options,
        parse,
        open: (message) => {
          if (message.stream !== 'cases') return openSubscription(message, { store, history, maxSnapshotOrders: options.maxSnapshotOrders });
          if (deps.cases === undefined) {
            return { code: 'OL_ERR_WS_SUBSCRIPTION', message: 'the cases stream is not served here: this server runs no health rules', id: message.id };
          }
          return openCaseSubscription(message, { held: deps.cases.held(), maxSnapshotCases: options.maxSnapshotCases });
        },
        index,
        metrics,
        logger,
        now,
        onClosed(closed) {
          connections.delete(closed);
          dirty.delete(closed);
          if (connections.size === 0 && pingTimer !== null) {
            clearInterval(pingTimer);
            pingTimer = null;
          }
        },
      });
      connections.add(connection);
      socket.on('message', () => ensureDrainTimer());
      if (pingTimer === null) {
        pingTimer = setInterval(() => {
          for (const c of connections) c.heartbeat();
        }, options.pingIntervalMs);
        pingTimer.unref();
      }
    },
    stats() {
      let queued = 0;
      let maxQueued = 0;
      let waiting = 0;
      let subscriptions = 0;
      let closing = 0;
      for (const c of connections) {
        if (c.closing) closing++;
        queued += c.queued;
        maxQueued = Math.max(maxQueued, c.queued);
        subscriptions += c.subscriptions;
        if (c.waiting) waiting++;
      }
      return { connections: connections.size, subscriptions, queued, maxQueued, waiting, closing, historyEntries: history.size };
    },
    close() {
      unsubscribe();
      unsubscribeCases();
      if (drainTimer !== null) clearInterval(drainTimer);
      if (pingTimer !== null) clearInterval(pingTimer);
      drainTimer = null;
      pingTimer = null;
    },
  };
}
