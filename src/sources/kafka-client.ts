import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

/** kafkajs log levels mapped onto the process logger, so broker chatter is structured too. */
function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: { level: number; log: { message: string } & Record<string, unknown> }) => {
      const { message, ...extra } = log;
      if (level <= logLevel.ERROR) logger.error(extra, message);
      else if (level === logLevel.WARN) logger.warn(extra, message);
      else if (level === logLevel.INFO) logger.debug(extra, message);
      else logger.trace(extra, message);
    };
}

/** The one place a kafkajs client is created (called by the composition root and the CLI). */
export function createKafka(config: Config, logger: Logger): Kafka {
  const options: KafkaConfig = {
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    ssl: config.KAFKA_SSL,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
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
