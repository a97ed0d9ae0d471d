import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { Metrics } from '../../metrics.js';
import type { CaseSubscription, OpenedCaseSubscription } from './case-subscription.js';
import type { ClientMessageParser, ClientMessageProblem } from './client-message.js';
import type { FeedOptions } from './feed-options.js';
import { CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_MESSAGES, type CaseSubscribeMessage, type SubscribeMessage, type SubscriptionId } from './feed-protocol.js';
import type { FeedSubscription, OpenedSubscription } from './feed-subscription.js';
import { createMessageRate } from './message-rate.js';
import { createOutbox, toServerMessage, type OutboxItem } from './outbox.js';
import type { ErrorCode } from '../../errors.js';

/** A subscription of either stream: orders or cases. */
export type AnySubscription = FeedSubscription | CaseSubscription;

/** Where a connection registers its subscriptions, so the hub offers each change only to those that may want it. */
export interface SubscriptionIndex {
  add(subscription: AnySubscription, connection: FeedConnection): void;
  remove(subscription: AnySubscription): void;
}

/** One client of the live feed: its subscriptions, its coalescing outbox and its flow control. */
export interface FeedConnection {
  /** Queues a message; a client whose queue outgrows the limit is closed with 4008. */
  enqueue(item: OutboxItem): void;
  /** Writes pending messages while the socket is below its high-water mark. */
  flush(): void;
  /** Has pending messages or a full socket: the hub keeps retrying it. */
  readonly waiting: boolean;
  readonly queued: number;
  readonly subscriptions: number;
  /** Closed by the server (slow) or by the client, waiting for the socket to go. */
  readonly closing: boolean;
  /** Closes a client that has been blocked past the stuck timeout. */
  checkStuck(): void;
  /** Keep-alive round: terminates a client that did not answer the previous ping, else pings it. */
  heartbeat(): void;
}

export interface FeedConnectionDeps {
  socket: WebSocket;
  peer: string;
  options: FeedOptions;
  parse: ClientMessageParser;
  /** Opens a subscription of the stream the message names, or refuses it (a stream this server does not serve). */
  open(message: SubscribeMessage | CaseSubscribeMessage): OpenedSubscription | OpenedCaseSubscription | ClientMessageProblem;
  index: SubscriptionIndex;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  onClosed(connection: FeedConnection): void;
}

export function createFeedConnection(deps: FeedConnectionDeps): FeedConnection {
  const { socket, options, metrics, logger, now } = deps;
  const outbox = createOutbox();
  const subscriptions = new Map<string, AnySubscription>();
  let closing = false;
  let awaitingPong = false;
  let blockedSince: number | null = null;
  const rate = createMessageRate({ perSecond: options.maxMessagesPerSecond, burst: options.messageBurst, now });
  /** Messages dropped in a row for going over the rate. */
  let dropped = 0;

  const keyOf = (id: SubscriptionId) => JSON.stringify(id);

  function error(code: ErrorCode, message: string, id?: SubscriptionId): void {
    connection.enqueue({ kind: 'message', message: { type: 'error', code, message, ...(id === undefined ? {} : { id }) } });
  }

  function dropSubscriptions(): void {
    for (const subscription of subscriptions.values()) deps.index.remove(subscription);
    subscriptions.clear();
  }

  function closeSlow(reason: string): void {
    if (closing) return;
    closing = true;
    logger.warn({ peer: deps.peer, queued: outbox.size, bufferedAmount: socket.bufferedAmount, code: 'OL_ERR_WS_SLOW_CONSUMER', reason }, 'closing slow feed client');
    outbox.clear();
    dropSubscriptions();
    socket.close(CLOSE_SLOW_CONSUMER, `slow consumer: ${reason}`.slice(0, 120));
  }

  /** Over the rate: dropped unread (parsing is what a flood would cost); one error frame per run. */
  function refuseFlood(): void {
    dropped++;
    if (dropped === 1) {
      error(
        'OL_ERR_WS_RATE_LIMITED',
        `more than ${options.maxMessagesPerSecond} messages per second (burst ${options.messageBurst}): messages are dropped until the rate falls; ` +
          `${options.messageBurst} more dropped in a row close the connection with ${CLOSE_TOO_MANY_MESSAGES}`,
      );
      connection.flush();
    } else if (dropped > options.messageBurst) {
      closing = true;
      logger.warn({ peer: deps.peer, dropped, code: 'OL_ERR_WS_RATE_LIMITED' }, 'closing feed client that kept sending over its message rate');
      outbox.clear();
      dropSubscriptions();
      socket.close(CLOSE_TOO_MANY_MESSAGES, `too many messages: over ${options.maxMessagesPerSecond}/s`);
    }
  }

  function receive(data: Buffer): void {
    if (closing) return;
    if (!rate.take()) return refuseFlood();
    dropped = 0;
    const parsed = deps.parse(data);
    if (!parsed.ok) {
      error(parsed.problem.code, parsed.problem.message, parsed.problem.id);
    } else {
      const message = parsed.message;
      if (message.type === 'ping') {
        connection.enqueue({ kind: 'message', message: { type: 'pong' } });
      } else if (message.type === 'unsubscribe') {
        const subscription = subscriptions.get(keyOf(message.id));
        if (subscription === undefined) {
          error('OL_ERR_WS_SUBSCRIPTION', `no subscription ${JSON.stringify(message.id)}`, message.id);
        } else {
          subscriptions.delete(keyOf(message.id));
          deps.index.remove(subscription);
          outbox.dropSubscription(message.id);
          connection.enqueue({ kind: 'message', message: { type: 'unsubscribed', id: message.id } });
        }
      } else if (subscriptions.has(keyOf(message.id))) {
        error('OL_ERR_WS_SUBSCRIPTION', `subscription ${JSON.stringify(message.id)} already exists; unsubscribe first or use another id`, message.id);
      } else if (subscriptions.size >= options.maxSubscriptions) {
        error('OL_ERR_WS_SUBSCRIPTION', `at most ${options.maxSubscriptions} subscriptions per connection`, message.id);
      } else {
        const opened = deps.open(message);
        if ('code' in opened) {
          error(opened.code, opened.message, opened.id);
        } else {
          subscriptions.set(keyOf(message.id), opened.subscription);
          deps.index.add(opened.subscription, connection);
          for (const item of opened.items) connection.enqueue(item);
        }
      }
    }
    connection.flush();
  }

  const connection: FeedConnection = {
    enqueue(item) {
      if (closing) return;
      outbox.push(item);
      if (outbox.size > options.maxQueuedMessages) {
        connection.flush();
        if (outbox.size > options.maxQueuedMessages) closeSlow(`more than ${options.maxQueuedMessages} messages pending`);
      }
    },
    flush() {
      if (closing || socket.readyState !== socket.OPEN) return;
      while (outbox.size > 0 && socket.bufferedAmount < options.highWaterMarkBytes) {
        const item = outbox.shift()!;
        socket.send(JSON.stringify(toServerMessage(item)));
        if (item.kind === 'delta' && item.times !== null) {
          const at = now();
          if (item.times.sourceTime > 0) metrics.pushLatencySource.observe((at - item.times.sourceTime) / 1000);
          if (item.times.kafkaTime > 0) metrics.pushLatencyKafka.observe((at - item.times.kafkaTime) / 1000);
        }
      }
      blockedSince = socket.bufferedAmount >= options.highWaterMarkBytes ? (blockedSince ?? now()) : null;
    },
    get waiting() {
      return !closing && (outbox.size > 0 || blockedSince !== null);
    },
    get queued() {
      return outbox.size;
    },
    get subscriptions() {
      return subscriptions.size;
    },
    get closing() {
      return closing;
    },
    checkStuck() {
      if (blockedSince !== null && now() - blockedSince >= options.stuckTimeoutMs) {
        closeSlow(`socket blocked for ${now() - blockedSince} ms`);
      }
    },
    heartbeat() {
      if (socket.readyState !== socket.OPEN) return;
      if (awaitingPong) {
        logger.info({ peer: deps.peer }, 'feed client did not answer the keep-alive ping: terminated');
        socket.terminate();
        return;
      }
      awaitingPong = true;
      socket.ping();
    },
  };

  socket.on('message', (data: Buffer) => receive(data));
  socket.on('pong', () => {
    awaitingPong = false;
  });
  socket.on('close', () => {
    closing = true;
    outbox.clear();
    dropSubscriptions();
    metrics.wsClients.dec();
    deps.onClosed(connection);
  });
  metrics.wsClients.inc();
  return connection;
}
