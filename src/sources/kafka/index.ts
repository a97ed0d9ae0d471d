/** orderlake's Kafka port and its two adapters (kafkajs, node-rdkafka). */
export type {
  BatchAck,
  CommittedOffset,
  ConsumedMessage,
  ConsumerGroup,
  ConsumerGroupSpec,
  KafkaAdmin,
  KafkaClient,
  KafkaProducer,
  PartitionBatch,
  PartitionWatermarks,
  PartitionsByTopic,
  ProducedMessage,
  TopicMessages,
  TopicMetadata,
  TopicSpec,
} from './kafka-port.js';
export { compareOffsets, isOffset, nextOffset } from './offsets.js';
export { createAckWindow, type AckWindow } from './ack-window.js';
export { diffPartitions, normalizePartitions, toPartitionsByTopic } from './partition-sets.js';
export { createCoalescingProducer, type CoalescingProducer } from './coalescing-producer.js';
export { partitionLags, type PartitionLag, type PartitionPosition } from './consumer-lag.js';
export { createConsumerLagMonitor, intervalTicker, type ConsumerLagMonitor, type LagSource, type Ticker } from './consumer-lag-monitor.js';
export { instrumentConsumerGroup, type InstrumentedConsumerGroup } from './instrumented-consumer-group.js';
export { createKafkajsClient } from './kafkajs-client.js';
export { createRdkafkaClient } from './rdkafka-client.js';
export { loadRdkafka, type Rdkafka } from './rdkafka-loader.js';
export { rdkafkaConnection, type RdkafkaConnection } from './rdkafka-settings.js';
