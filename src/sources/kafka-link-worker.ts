import type { Consumer, Kafka, Producer, Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { ShipmentLinker } from '../golden/index.js';
import type { SourcePosition } from '../normalize/index.js';
import { decodeLinkMessage, encodeEventMessage, encodeLinkMessage } from '../pipeline/internal-messages.js';
import type { KafkaWorker } from './kafka-ingest-worker.js';

/**
 * Stage 2 on Kafka: the owner of a links-topic partition joins tracking events with the link facts
 * (tracking number or fulfillment → order) of the same key and forwards the tracking events, now
 * keyed by order id. Facts it derives for another key go back onto the links topic.
 *
 * Its state (facts and waiting events) is rebuilt by reading the links topic from the beginning:
 * the group never commits, so a worker that takes a partition over re-reads it. Re-forwarded
 * events are harmless: the merge de-duplicates by event id.
 */
export function createKafkaLinkWorker(deps: {
  kafka: Kafka;
  producer: Producer;
  logger: Logger;
  linker: ShipmentLinker;
  groupId: string;
  topics: { events: string; links: string };
  onPending?: (count: number) => void;
}): KafkaWorker {
  const { kafka, producer, logger, linker, topics } = deps;
  let consumer: Consumer | null = null;
  let assigned: Record<string, number[]> = {};
  const positions = new Map<string, SourcePosition>();

  return {
    async start() {
      consumer = kafka.consumer({ groupId: deps.groupId, sessionTimeout: 30_000, heartbeatInterval: 3000 });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        assigned = e.payload.memberAssignment;
        logger.info({ group: deps.groupId, assignment: assigned }, 'link partitions assigned');
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.links], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const events: Message[] = [];
          const facts: Message[] = [];
          let last: string | null = null;
          for (const m of batch.messages) {
            if (!isRunning() || isStale()) break;
            last = m.offset;
            if (m.value === null) continue;
            let parsed;
            try {
              parsed = decodeLinkMessage(m.value);
            } catch (err) {
              logger.error({ err, partition: batch.partition, offset: m.offset }, 'unreadable link message skipped');
              continue;
            }
            if (parsed.input.type === 'tms' && parsed.position) positions.set(parsed.input.event.event_id, parsed.position);
            const out = linker.accept(parsed.input);
            for (const r of out.resolved) {
              const eventId = r.event.kind === 'tms' ? r.event.event_id : '';
              const position = positions.get(eventId);
              if (position === undefined) continue; // already forwarded through its other key
              positions.delete(eventId);
              events.push({ key: r.orderId, value: encodeEventMessage({ orderId: r.orderId, event: r.event, position }) });
            }
            for (const fact of out.facts) facts.push({ key: fact.key, value: encodeLinkMessage({ input: fact }) });
          }
          const topicMessages = [
            { topic: topics.events, messages: events },
            { topic: topics.links, messages: facts },
          ].filter((t) => t.messages.length > 0);
          if (topicMessages.length > 0) await producer.sendBatch({ topicMessages, acks: -1 });
          // Only once the forwarded events are acknowledged does the fetch position move on.
          if (last !== null) resolveOffset(last);
          deps.onPending?.(linker.pendingCount);
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
