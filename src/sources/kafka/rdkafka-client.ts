import type { Logger } from 'pino';
import type { KafkaClient } from './kafka-port.js';
import { createRdkafkaAdmin } from './rdkafka-admin.js';
import { createRdkafkaConsumerGroup } from './rdkafka-consumer-group.js';
import type { Rdkafka } from './rdkafka-loader.js';
import { createRdkafkaProducer } from './rdkafka-producer.js';
import type { RdkafkaConnection } from './rdkafka-settings.js';

/**
 * The port on node-rdkafka (librdkafka), for throughput: fetching, batching and acknowledgements
 * run in librdkafka's threads. `rdkafka` is the module `loadRdkafka` returned.
 */
export function createRdkafkaClient(deps: { rdkafka: Rdkafka; connection: RdkafkaConnection; logger: Logger }): KafkaClient {
  const { rdkafka, connection } = deps;
  const logger = deps.logger.child({ component: 'rdkafka' });
  return {
    library: 'rdkafka',
    consumerGroup: () => createRdkafkaConsumerGroup({ rdkafka, connection, logger }),
    producer: () => createRdkafkaProducer({ rdkafka, connection, logger }),
    admin: () => createRdkafkaAdmin({ rdkafka, connection, logger }),
  };
}
