import type { PartitionsByTopic } from '../../sources/kafka/index.js';

/** One pipeline stage running as a Kafka consumer group inside a worker process. */
export interface KafkaWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Partitions currently assigned, by topic. */
  assignment(): PartitionsByTopic;
}
