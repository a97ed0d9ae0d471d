import type { Logger } from 'pino';
import { routeEvent } from '../../golden/index.js';
import type { CanonicalEvent, SourcePosition } from '../../normalize/index.js';
import type { Ingestor } from '../ingest.js';
import type { RawMessage } from '../raw-message.js';
import { encodeEventMessage, encodeLinkMessage, type InternalFormat } from '../internal-messages.js';
import { withConfigVersion } from '../../live-config/config-version-header.js';
import type { DeadLetterRow, RawEventRow } from '../../sinks/index.js';
import { rawEventRows } from '../raw-event.js';
import { withRetry } from '../../retry.js';
import type { BatchAck, ConsumedMessage, ConsumerGroup, KafkaProducer, PartitionBatch, ProducedMessage } from '../../sources/kafka/index.js';
import type { KafkaWorker } from './kafka-worker.js';
import { createSentFacts } from './sent-facts.js';
import { inChunks } from '../yield-chunks.js';

export interface KafkaIngestWorkerDeps {
  consumer: ConsumerGroup;
  producer: KafkaProducer;
  logger: Logger;
  ingestor: Ingestor;
  groupId: string;
  sourceTopics: string[];
  topics: { events: string; links: string; deadLetters: string };
  /** Stores dead letters durably (ClickHouse), resolving once acknowledged. */
  storeDeadLetters(rows: DeadLetterRow[]): Promise<void>;
  /** Stores the batch's source messages (`raw_events`) durably, resolving once acknowledged; absent: not kept. */
  storeRawEvents?(rows: RawEventRow[]): Promise<void>;
  now: () => number;
  /** Batches per partition handed off and not yet acknowledged (see ConsumerGroupSpec). */
  ackWindow?: number;
  /** How events and link inputs are written to the internal topics (default Avro). */
  internalFormat?: InternalFormat;
}

export function toRawMessage(topic: string, partition: number, m: ConsumedMessage): RawMessage {
  return { topic, partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value };
}

/**
 * Largest key + value copied into a `<prefix>dead-letters` record, bytes. A source message near
 * the broker's `message.max.bytes` (1 MiB by default) fits its own topic but not the dead-letter
 * topic once the reason headers are added: the broker refused that record on every retry and the
 * partition stopped. Beyond this size the record goes without its value (header
 * `orderlake-value-omitted` gives the value's size); the ClickHouse dead-letter row keeps the bytes.
 */
export const DLQ_MAX_COPIED_BYTES = 1_000_000;

/** The `<prefix>dead-letters` record of a rejected source message: its bytes, with the reason in headers. */
export function dlqRecord(original: ConsumedMessage, deadLetter: DeadLetterRow, topic: string, partition: number): ProducedMessage {
  const headers: Record<string, string> = {
    'orderlake-error-code': deadLetter.code,
    'orderlake-error-reason': deadLetter.reason.slice(0, 1000),
    'orderlake-source-topic': topic,
    'orderlake-source-partition': String(partition),
    'orderlake-source-offset': original.offset,
  };
  const size = (original.key?.length ?? 0) + (original.value?.length ?? 0);
  if (size <= DLQ_MAX_COPIED_BYTES) return { key: original.key, value: original.value, headers };
  headers['orderlake-value-omitted'] = String(original.value?.length ?? 0);
  const key = original.key !== null && original.key.length <= DLQ_MAX_COPIED_BYTES ? original.key : null;
  return { key, value: null, headers };
}

/**
 * What the ingest stage produces for one canonical event: the event keyed by order id for
 * `<prefix>events`, and the link inputs (facts, tracking events without their order) keyed by
 * tracking number or fulfillment for `<prefix>links`, each fact named so a worker can skip sending
 * it twice. The one mapping from canonical event to internal records (ingest and re-drive).
 */
export function internalRecordsOf(
  event: CanonicalEvent,
  position: SourcePosition,
  receivedAt: number,
  format?: InternalFormat,
): { events: ProducedMessage[]; links: Array<{ message: ProducedMessage; fact?: { key: string; orderId: string } }> } {
  const { direct, link } = routeEvent(event, receivedAt);
  return {
    events: direct.map((r) => ({ key: r.orderId, value: encodeEventMessage({ orderId: r.orderId, event: r.event, position }, format) })),
    links: link.map((input) => ({
      message: { key: input.key, value: encodeLinkMessage({ input, position }, format) },
      ...(input.type === 'fact' ? { fact: { key: input.key, orderId: input.orderId } } : {}),
    })),
  };
}

/**
 * Stage 1 on Kafka (any worker): decode and normalize the source topics, then re-key every
 * canonical event by order id onto the internal events topic, and tracking events that do not
 * name their order onto the links topic. A batch resolves — and so its offsets are committed —
 * only after everything it produced is acknowledged by Kafka and its dead letters by ClickHouse
 * and the DLQ topic.
 */
export function createKafkaIngestWorker(deps: KafkaIngestWorkerDeps): KafkaWorker {
  const { consumer, producer, logger, ingestor, topics, now } = deps;
  const sentFacts = createSentFacts(200_000);

  async function handle({ topic, partition, messages }: PartitionBatch): Promise<BatchAck> {
    const raw = messages.map((m) => toRawMessage(topic, partition, m));
    // In slices, so a large batch does not hold up pushes and lookups on this event loop.
    const ingestAll = async () => (await inChunks(raw, (slice) => ingestor.ingestBatch(slice))).flat();
    const outcomes = await withRetry(ingestAll, {
      retries: 10,
      baseMs: 200,
      maxMs: 10_000,
      onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs, topic, partition }, 'ingest retry'),
    });
    const events: ProducedMessage[] = [];
    const links: ProducedMessage[] = [];
    const newFacts = new Map<string, { key: string; orderId: string }>();
    const dead: DeadLetterRow[] = [];
    const dlq: ProducedMessage[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.type === 'event') {
        const records = internalRecordsOf(outcome.event, outcome.position, now(), deps.internalFormat);
        events.push(...withConfigVersion(records.events, outcome.configVersion));
        for (const { message, fact } of records.links) {
          if (fact !== undefined) {
            const id = `${fact.key}\u0000${fact.orderId}`;
            if (sentFacts.has(fact.key, fact.orderId) || newFacts.has(id)) continue;
            newFacts.set(id, fact);
          }
          // The link stage forwards a waiting tracking event with this version once its order is known.
          links.push(...withConfigVersion([message], outcome.configVersion));
        }
      } else if (outcome.type === 'dead') {
        dead.push(outcome.deadLetter);
        const original = messages[i]!;
        dlq.push(dlqRecord(original, outcome.deadLetter, topic, partition));
      }
    }
    const topicMessages = [
      { topic: topics.events, messages: events },
      { topic: topics.links, messages: links },
      { topic: topics.deadLetters, messages: dlq },
    ].filter((t) => t.messages.length > 0);
    // Handed off: the next batch is taken at once; this one's offsets are committed once Kafka has
    // acknowledged its output and ClickHouse its dead letters.
    const acknowledged = Promise.all([
      topicMessages.length > 0 ? producer.sendBatch(topicMessages, { acks: 'all' }) : Promise.resolve(),
      dead.length > 0 ? deps.storeDeadLetters(dead) : Promise.resolve(),
      deps.storeRawEvents ? deps.storeRawEvents(rawEventRows(raw, outcomes, now())) : Promise.resolve(),
    ]).then(() => {
      // Only acknowledged facts count as sent: a batch read again sends them again.
      for (const f of newFacts.values()) sentFacts.add(f.key, f.orderId);
    });
    return { acknowledged };
  }

  return {
    start: () =>
      consumer.run({
        groupId: deps.groupId,
        topics: deps.sourceTopics,
        fromBeginning: true,
        commits: true,
        partitionConcurrency: 64,
        ...(deps.ackWindow ? { maxUnacknowledged: deps.ackWindow } : {}),
        eachBatch: handle,
      }),
    stop: () => consumer.stop(),
    assignment: () => consumer.assignment(),
  };
}
