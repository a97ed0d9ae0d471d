import { Kafka, logLevel, Partitioners, type Admin, type KafkaConfig, type Producer, type ProducerConfig } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { kafkaBrokers } from './kafka-env.js';
import { randomName } from './kafka-topics.js';

/**
 * A kafkajs client on the run's broker. kafkajs logging is off by default: its transient
 * "coordinator not available" errors while a group forms are noise, and real failures surface as
 * rejected promises in the test.
 */
export function testKafka(config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: randomName('orderlake-test'),
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
    ...config,
  });
}

/**
 * A producer with kafkajs' DefaultPartitioner: murmur2 on the key like the Java client, so a key
 * lands on the partition any other Kafka client would choose (and kafkajs prints no warning).
 */
export function testProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
}

/** A kafkajs client and a connected admin for one describe block, set up and torn down with it. */
export interface TestKafkaFixture {
  readonly kafka: Kafka;
  readonly admin: Admin;
}

/**
 * Registers beforeAll/afterAll hooks that connect a kafkajs client and admin to the run's broker
 * and disconnect them afterwards; read `kafka` and `admin` inside tests (they exist from beforeAll).
 */
export function useTestKafka(): TestKafkaFixture {
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });
  return {
    get kafka() {
      if (!kafka) throw new Error('useTestKafka: the Kafka client exists only inside tests');
      return kafka;
    },
    get admin() {
      if (!admin) throw new Error('useTestKafka: the admin exists only inside tests');
      return admin;
    },
  };
}
