import type { Logger } from 'pino';
import { createKafkaClientLog } from './client-log.js';
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
  // One for all of this client's consumers, producers and admins: a broker restart is counted once.
  const clientLog = createKafkaClientLog({ logger });
  return {
    library: 'rdkafka',
    consumerGroup: () => createRdkafkaConsumerGroup({ rdkafka, connection, logger, clientLog }),
    producer: () => createRdkafkaProducer({ rdkafka, connection, logger, clientLog }),
    admin: () => createRdkafkaAdmin({ rdkafka, connection, logger, clientLog }),
  };
}
