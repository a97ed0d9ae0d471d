import type { Consumer, Kafka, Producer, Message, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { routeEvent } from '../golden/index.js';
import type { Ingestor } from '../pipeline/ingest.js';
import type { RawMessage } from '../pipeline/raw-message.js';
import { encodeEventMessage, encodeLinkMessage } from '../pipeline/internal-messages.js';
import type { DeadLetterRow } from '../sinks/index.js';
import { withRetry } from '../retry.js';
import { toOrderlakeError } from '../errors.js';

export interface KafkaIngestWorkerDeps {
  kafka: Kafka;
  producer: Producer;
  logger: Logger;
  ingestor: Ingestor;
  groupId: string;
  sourceTopics: string[];
  topics: { events: string; links: string; deadLetters: string };
  /** Stores dead letters durably (ClickHouse), resolving once acknowledged. */
  storeDeadLetters(rows: DeadLetterRow[]): Promise<void>;
  now: () => number;
}

export interface KafkaWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Partitions currently assigned, by topic. */
  assignment(): Record<string, number[]>;
}

export function toRawMessage(topic: string, partition: number, m: KafkaMessage): RawMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
  };
}

/**
 * Stage 1 on Kafka (any worker): decode and normalize the source topics, then re-key every
 * canonical event by order id onto the internal events topic, and tracking events that do not
 * name their order onto the links topic. A batch's offsets are committed only after everything
 * it produced is acknowledged by Kafka and its dead letters by ClickHouse and the DLQ topic.
 */
export function createKafkaIngestWorker(deps: KafkaIngestWorkerDeps): KafkaWorker {
  const { kafka, producer, logger, ingestor, topics, now } = deps;
  let consumer: Consumer | null = null;
  let assigned: Record<string, number[]> = {};

  async function handle(topic: string, partition: number, messages: KafkaMessage[]): Promise<void> {
    const raw = messages.map((m) => toRawMessage(topic, partition, m));
    const outcomes = await withRetry(() => ingestor.ingestBatch(raw), {
      retries: 10,
      baseMs: 200,
      maxMs: 10_000,
      onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs, topic, partition }, 'ingest retry'),
    });
    const events: Message[] = [];
    const links: Message[] = [];
    const dead: DeadLetterRow[] = [];
    const dlq: Message[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.type === 'event') {
        const { direct, link } = routeEvent(outcome.event, now());
        for (const r of direct) {
          events.push({ key: r.orderId, value: encodeEventMessage({ orderId: r.orderId, event: r.event, position: outcome.position }) });
        }
        for (const input of link) {
          links.push({ key: input.key, value: encodeLinkMessage({ input, position: outcome.position }) });
        }
      } else if (outcome.type === 'dead') {
        dead.push(outcome.deadLetter);
        const original = messages[i]!;
        dlq.push({
          key: original.key ?? null,
          value: original.value ?? null,
          headers: {
            'orderlake-error-code': outcome.deadLetter.code,
            'orderlake-error-reason': outcome.deadLetter.reason.slice(0, 1000),
            'orderlake-source-topic': topic,
            'orderlake-source-partition': String(partition),
            'orderlake-source-offset': original.offset,
          },
        });
      }
    }
    const topicMessages = [
      { topic: topics.events, messages: events },
      { topic: topics.links, messages: links },
      { topic: topics.deadLetters, messages: dlq },
    ].filter((t) => t.messages.length > 0);
    await Promise.all([
      topicMessages.length > 0 ? producer.sendBatch({ topicMessages, acks: -1 }) : Promise.resolve(),
      dead.length > 0 ? deps.storeDeadLetters(dead) : Promise.resolve(),
    ]);
  }

  return {
    async start() {
      consumer = kafka.consumer({ groupId: deps.groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxBytesPerPartition: 4 << 20 });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        assigned = e.payload.memberAssignment;
        logger.info({ group: deps.groupId, assignment: assigned }, 'ingest partitions assigned');
      });
      await consumer.connect();
      await consumer.subscribe({ topics: deps.sourceTopics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 2,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (batch.messages.length === 0 || !isRunning() || isStale()) return;
          try {
            await handle(batch.topic, batch.partition, batch.messages);
          } catch (err) {
            throw toOrderlakeError(err, 'OL_ERR_KAFKA', { topic: batch.topic, partition: batch.partition });
          }
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          // Moves kafkajs' fetch position too: with eachBatchAutoResolve off, a commit alone does not.
          resolveOffset(batch.lastOffset());
          await heartbeat();
        },
      });
    },
    async stop() {
      await consumer?.disconnect();
      consumer = null;
    },
    assignment: () => assigned,
  };
}
