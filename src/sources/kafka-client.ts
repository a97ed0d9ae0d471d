import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createKafkaClientLog, type KafkaClientLog } from './kafka/client-log.js';

/**
 * The one place a kafkajs client is created (called by the composition root and the CLI). Its
 * log lines go through `clientLog` (see `kafka/client-log-policy.ts`): the conditions kafkajs
 * retries by itself — a broker restarting, a coordinator loading, a group rebalancing — are one
 * line and a summary with a count, not an error per attempt.
 */
export function createKafka(
  config: Config,
  logger: Logger,
  clientLog: KafkaClientLog = createKafkaClientLog({ logger: logger.child({ component: 'kafkajs' }) }),
): Kafka {
  const options: KafkaConfig = {
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    ssl: config.KAFKA_SSL,
    logLevel: logLevel.INFO,
    logCreator: clientLog.kafkajsLogCreator,
    retry: { initialRetryTime: 100, retries: 8 },
  };
  if (config.KAFKA_SASL_MECHANISM) {
    options.sasl = {
      mechanism: config.KAFKA_SASL_MECHANISM,
      username: config.KAFKA_SASL_USERNAME ?? '',
      password: config.KAFKA_SASL_PASSWORD ?? '',
    } as SASLOptions;
  }
  return new Kafka(options);
}
