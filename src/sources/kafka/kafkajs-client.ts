import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaClient } from './kafka-port.js';
import { createKafkajsAdmin } from './kafkajs-admin.js';
import { createKafkajsConsumerGroup } from './kafkajs-consumer-group.js';
import { createKafkajsProducer } from './kafkajs-producer.js';

/** The port on kafkajs (pure JavaScript, the default), around a `Kafka` made by the composition root. */
export function createKafkajsClient(deps: { kafka: Kafka; logger: Logger; sessionTimeoutMs?: number }): KafkaClient {
  const { kafka, logger } = deps;
  return {
    library: 'kafkajs',
    consumerGroup: () => createKafkajsConsumerGroup(kafka, logger, deps.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: deps.sessionTimeoutMs }),
    producer: () => createKafkajsProducer(kafka),
    admin: () => createKafkajsAdmin(kafka),
  };
}
