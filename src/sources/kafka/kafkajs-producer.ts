import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { toOrderlakeError } from '../../errors.js';
import type { KafkaProducer, ProducedMessage } from './kafka-port.js';

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
        await producer.sendBatch({
          topicMessages: nonEmpty.map((t) => ({ topic: t.topic, messages: t.messages.map(toKafkajsMessage) })),
          acks: -1,
        });
      } catch (err) {
        throw toOrderlakeError(err, 'OL_ERR_KAFKA', { topic: nonEmpty.map((t) => t.topic).join(',') });
      }
    },
    close: () => producer.disconnect(),
  };
}
