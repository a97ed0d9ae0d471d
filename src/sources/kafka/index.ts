/** orderlake's Kafka port and its two adapters (kafkajs, node-rdkafka). */
export type {
  ConsumedMessage,
  ConsumerGroup,
  ConsumerGroupSpec,
  KafkaAdmin,
  KafkaClient,
  KafkaProducer,
  PartitionBatch,
  PartitionsByTopic,
  ProducedMessage,
  TopicMessages,
  TopicMetadata,
  TopicSpec,
} from './kafka-port.js';
export { compareOffsets, isOffset, nextOffset } from './offsets.js';
export { diffPartitions, normalizePartitions, toPartitionsByTopic } from './partition-sets.js';
export { createCoalescingProducer, type CoalescingProducer } from './coalescing-producer.js';
export { createKafkajsClient } from './kafkajs-client.js';
export { createRdkafkaClient } from './rdkafka-client.js';
export { loadRdkafka, type Rdkafka } from './rdkafka-loader.js';
export { rdkafkaConnection, type RdkafkaConnection } from './rdkafka-settings.js';
