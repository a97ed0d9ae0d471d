import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { toOrderlakeError } from '../../errors.js';
import type { KafkaProducer, ProducedMessage } from './kafka-port.js';

/**
 * Largest request body we send, bytes. kafkajs puts everything for one partition into one record
 * batch, and the broker refuses a batch over `message.max.bytes` (1 MiB by default): a large
 * consumed batch re-keyed onto few partitions would otherwise be refused again on every retry.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

function messageBytes(m: ProducedMessage): number {
  let n = 64 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) n += k.length + v.length;
  return n;
}

/** Splits topic messages into requests of at most `maxBytes` (a single larger message goes alone), keeping order. */
export function chunkTopicMessages<T extends { topic: string; messages: ProducedMessage[] }>(
  topicMessages: readonly T[],
  maxBytes: number = MAX_REQUEST_BYTES,
): Array<Array<{ topic: string; messages: ProducedMessage[] }>> {
  const chunks: Array<Array<{ topic: string; messages: ProducedMessage[] }>> = [];
  let current: Array<{ topic: string; messages: ProducedMessage[] }> = [];
  let bytes = 0;
  for (const t of topicMessages) {
    let slot: { topic: string; messages: ProducedMessage[] } | undefined;
    for (const m of t.messages) {
      const size = messageBytes(m);
      if (bytes > 0 && bytes + size > maxBytes) {
        chunks.push(current);
        current = [];
        bytes = 0;
        slot = undefined;
      }
      if (slot === undefined) {
        slot = { topic: t.topic, messages: [] };
        current.push(slot);
      }
      slot.messages.push(m);
      bytes += size;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function toKafkajsMessage(m: ProducedMessage): Message {
  return { key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) };
}

/**
 * The producer on kafkajs: idempotent (one request in flight per broker, as kafkajs requires for
 * idempotence), partitioned by kafkajs's DefaultPartitioner — murmur2 of the key bytes, the Java
 * client's choice — so the rdkafka adapter (murmur2_random) puts every key where this one does.
 */
export async function createKafkajsProducer(kafka: Kafka): Promise<KafkaProducer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async sendBatch(topicMessages) {
      const nonEmpty = topicMessages.filter((t) => t.messages.length > 0);
      if (nonEmpty.length === 0) return;
      try {
        // In order, one request at a time: the idempotent producer allows one in flight anyway.
        for (const chunk of chunkTopicMessages(nonEmpty)) {
          await producer.sendBatch({
            topicMessages: chunk.map((t) => ({ topic: t.topic, messages: t.messages.map(toKafkajsMessage) })),
            acks: -1,
          });
        }
      } catch (err) {
        throw toOrderlakeError(err, 'OL_ERR_KAFKA', { topic: nonEmpty.map((t) => t.topic).join(',') });
      }
    },
    close: () => producer.disconnect(),
  };
}
