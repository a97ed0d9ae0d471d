import type { Logger } from 'pino';
import type { ShipmentLinker } from '../../golden/index.js';
import type { SourcePosition } from '../../normalize/index.js';
import { CONFIG_VERSION_HEADER, withConfigVersion } from '../../live-config/config-version-header.js';
import { decodeLinkMessage, encodeEventMessage, encodeLinkMessage, type InternalFormat } from '../internal-messages.js';
import { toDeadLetter, type DeadLetterRecorder } from '../dead-letter.js';
import { OrderlakeError } from '../../errors.js';
import type { DeadLetterRow } from '../../sinks/index.js';
import { withRetry } from '../../retry.js';
import type { BatchAck, ConsumerGroup, KafkaProducer, PartitionBatch, ProducedMessage } from '../../sources/kafka/index.js';
import type { KafkaWorker } from './kafka-worker.js';

/** Send attempts before a batch is given up (about ten minutes with the backoff below). */
const SEND_RETRIES = 60;

/**
 * Stage 2 on Kafka: the owner of a links-topic partition joins tracking events with the link facts
 * (tracking number or fulfillment → order) of the same key and forwards the tracking events, now
 * keyed by order id. Facts it derives for another key go back onto the links topic.
 *
 * Its state (facts and waiting events) is rebuilt by reading the links topic from the beginning:
 * the group never commits, so a worker that takes a partition over re-reads it. Re-forwarded
 * events are harmless: the merge de-duplicates by event id. A batch is handed off once its events
 * are sent; their acknowledgement (retried here, since the linker has moved on) only holds the
 * partition when several batches are waiting for theirs.
 */
export function createKafkaLinkWorker(deps: {
  consumer: ConsumerGroup;
  producer: KafkaProducer;
  logger: Logger;
  linker: ShipmentLinker;
  groupId: string;
  topics: { events: string; links: string };
  onPending?: (count: number) => void;
  /** Records (and counts) dead letters: buffered in ClickHouse, stored by the sink's next flush. */
  deadLetters: DeadLetterRecorder;
  now: () => number;
  /** Batches per partition handed off and not yet acknowledged (see ConsumerGroupSpec). */
  ackWindow?: number;
  /** How forwarded events and facts are written (default Avro). */
  internalFormat?: InternalFormat;
}): KafkaWorker {
  const { consumer, producer, logger, linker, topics } = deps;
  /** Waiting tracking events: where each came from, and the configuration version that normalized it (its header). */
  const positions = new Map<string, { position: SourcePosition; configVersion: string | undefined }>();

  async function handle({ partition, messages }: PartitionBatch): Promise<BatchAck | undefined> {
    const events: ProducedMessage[] = [];
    const facts: ProducedMessage[] = [];
    const unreadable: DeadLetterRow[] = [];
    for (const m of messages) {
      let parsed;
      try {
        // orderlake never writes a tombstone here: one is a message from elsewhere, dead-lettered too.
        if (m.value === null) throw new Error('tombstone (null value): orderlake never writes one to this topic');
        parsed = decodeLinkMessage(m.value);
      } catch (err) {
        const error = new OrderlakeError('OL_ERR_INTERNAL_MESSAGE', `unreadable message on ${topics.links}: ${(err as Error).message}`, { cause: err });
        unreadable.push(toDeadLetter({ topic: topics.links, partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value }, error, 'link', deps.now()));
        continue;
      }
      if (parsed.input.type === 'tms' && parsed.position) {
        positions.set(parsed.input.event.event_id, { position: parsed.position, configVersion: m.headers?.[CONFIG_VERSION_HEADER]?.toString('utf8') });
      }
      const out = linker.accept(parsed.input);
      for (const r of out.resolved) {
        const eventId = r.event.kind === 'tms' ? r.event.event_id : '';
        const waiting = positions.get(eventId);
        if (waiting === undefined) continue; // already forwarded through its other key
        positions.delete(eventId);
        const message = { key: r.orderId, value: encodeEventMessage({ orderId: r.orderId, event: r.event, position: waiting.position }, deps.internalFormat) };
        events.push(...withConfigVersion([message], waiting.configVersion));
      }
      for (const fact of out.facts) facts.push({ key: fact.key, value: encodeLinkMessage({ input: fact }, deps.internalFormat) });
    }
    if (unreadable.length > 0) {
      deps.deadLetters(unreadable);
      logger.warn({ partition, count: unreadable.length, first: unreadable[0]!.offset }, 'unreadable link messages dead-lettered');
    }
    const topicMessages = [
      { topic: topics.events, messages: events },
      { topic: topics.links, messages: facts },
    ].filter((t) => t.messages.length > 0);
    // Retried here rather than by re-delivering the batch: the linker has already moved on (a waiting
    // event it resolved is no longer waiting), so handling the same records again would not
    // produce these events again. The producer is idempotent, and the merge de-duplicates anyway.
    deps.onPending?.(linker.pendingCount);
    if (topicMessages.length === 0) return undefined;
    // Handed off at once; the runner holds at most a few batches per partition awaiting their acks.
    const acknowledged = withRetry(() => producer.sendBatch(topicMessages, { acks: 'all' }), {
      retries: SEND_RETRIES,
      baseMs: 200,
      maxMs: 10_000,
      isRetriable: () => true,
      onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs, partition }, 'forwarding linked events failed; retrying'),
    });
    return { acknowledged };
  }

  return {
    start: () =>
      consumer.run({
        groupId: deps.groupId,
        topics: [topics.links],
        fromBeginning: true,
        commits: false,
        ...(deps.ackWindow ? { maxUnacknowledged: deps.ackWindow } : {}),
        eachBatch: handle,
      }),
    stop: () => consumer.stop(),
    assignment: () => consumer.assignment(),
  };
}
