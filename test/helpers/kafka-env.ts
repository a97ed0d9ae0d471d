import { inject } from 'vitest';
import type {} from '../setup/provided-context.js';

/**
 * The bootstrap brokers of the run's real Kafka broker (started by test/setup/global-kafka.ts),
 * as kafkajs wants them. Only available in the `integration` project.
 */
export function kafkaBrokers(): string[] {
  const brokers = inject('kafkaBrokers');
  if (!brokers) {
    throw new Error('no Kafka broker was provided: run this test in the integration project (test/setup/global-kafka.ts)');
  }
  return brokers
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}
