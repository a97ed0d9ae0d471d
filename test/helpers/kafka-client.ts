import { Kafka, logLevel, Partitioners, type KafkaConfig, type Producer, type ProducerConfig } from 'kafkajs';
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
