/**
 * The part of node-rdkafka's API orderlake uses, declared here rather than imported from the
 * package: node-rdkafka is an optional dependency that is absent wherever its native build failed,
 * and type-checking or building orderlake must not need it. Names and shapes follow node-rdkafka
 * 3.x (`index.d.ts`); the integration tests run them against the real module.
 */

/** librdkafka settings by their CONFIGURATION.md names (node-rdkafka passes them through). */
export type RdkafkaConfig = Record<string, string | number | boolean>;

/** What node-rdkafka reports and throws for librdkafka failures. */
export interface LibrdKafkaError {
  message: string;
  code: number;
  errno?: number;
  origin?: string;
  isFatal?: boolean;
  isRetriable?: boolean;
}

export interface RdkafkaTopicPartition {
  topic: string;
  partition: number;
}

export interface RdkafkaTopicPartitionOffset extends RdkafkaTopicPartition {
  /** An offset, or a logical one (-2 beginning, -1 end). */
  offset: number;
}

/** One header as node-rdkafka lists them: a single-key object. */
export type RdkafkaMessageHeader = Record<string, string | Buffer>;

export interface RdkafkaMessage extends RdkafkaTopicPartitionOffset {
  value: Buffer | null;
  key?: Buffer | string | null;
  timestamp?: number;
  headers?: RdkafkaMessageHeader[];
  size: number;
}

export interface RdkafkaDeliveryReport extends RdkafkaTopicPartitionOffset {
  opaque?: unknown;
}

export interface RdkafkaMetadata {
  topics: Array<{ name: string; partitions: Array<{ id: number; leader: number }> }>;
}

/** A librdkafka log line (with `event_cb: true`): syslog severity, facility, text. */
export interface RdkafkaLogEvent {
  severity?: number;
  fac?: string;
  message?: string;
}

export type RebalanceCallback = (err: LibrdKafkaError | undefined, partitions: RdkafkaTopicPartition[]) => void;

/** A consumer's settings: librdkafka's, plus the JavaScript rebalance callback node-rdkafka wires in. */
export interface RdkafkaConsumerConfig {
  [name: string]: string | number | boolean | RebalanceCallback;
  rebalance_cb: RebalanceCallback;
}

export interface RdkafkaConsumer {
  connect(options: { timeout: number }, cb: (err: LibrdKafkaError | null) => void): unknown;
  disconnect(cb: (err: unknown) => void): unknown;
  on(event: 'event.log', listener: (event: RdkafkaLogEvent) => void): unknown;
  on(event: 'event.error', listener: (err: LibrdKafkaError) => void): unknown;
  subscribe(topics: string[]): unknown;
  assign(assignments: Array<RdkafkaTopicPartition | RdkafkaTopicPartitionOffset>): unknown;
  unassign(): unknown;
  setDefaultConsumeTimeout(timeoutMs: number): void;
  consume(count: number, cb: (err: LibrdKafkaError | null, messages: RdkafkaMessage[]) => void): void;
  /** Asynchronous: queued to the coordinator; a failure is only logged by librdkafka. */
  commit(offsets: RdkafkaTopicPartitionOffset | RdkafkaTopicPartitionOffset[]): unknown;
  /** Moves the fetch position of an assigned partition; `timeoutMs` 0 seeks in the background. */
  seek(partition: RdkafkaTopicPartitionOffset, timeoutMs: number, cb: (err: LibrdKafkaError | undefined) => void): unknown;
  /** Blocks until the broker answered; throws a LibrdKafkaError on failure. */
  commitSync(offsets: RdkafkaTopicPartitionOffset | RdkafkaTopicPartitionOffset[]): unknown;
  /** The group's committed offsets (an OffsetFetch; negative where none is committed). Needs no assignment. */
  committed(
    partitions: RdkafkaTopicPartition[],
    timeoutMs: number,
    cb: (err: LibrdKafkaError | null, offsets: RdkafkaTopicPartitionOffset[]) => void,
  ): unknown;
}

/** A partition's low- and high-water marks as librdkafka reports them. */
export interface RdkafkaWatermarkOffsets {
  lowOffset: number;
  highOffset: number;
}

export interface RdkafkaProducer {
  connect(options: { timeout: number }, cb: (err: LibrdKafkaError | null) => void): unknown;
  disconnect(timeoutMs: number, cb: (err: unknown) => void): unknown;
  disconnect(cb: (err: unknown) => void): unknown;
  on(event: 'event.log', listener: (event: RdkafkaLogEvent) => void): unknown;
  on(event: 'event.error', listener: (err: LibrdKafkaError) => void): unknown;
  on(event: 'delivery-report', listener: (err: LibrdKafkaError | null, report: RdkafkaDeliveryReport) => void): unknown;
  getMetadata(options: { allTopics?: boolean; timeout?: number }, cb: (err: LibrdKafkaError | null, metadata: RdkafkaMetadata) => void): unknown;
  /** Enqueues a record; throws a LibrdKafkaError when librdkafka refuses it (e.g. its queue is full). */
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key: Buffer | null,
    timestamp: number | null,
    opaque: unknown,
    headers?: RdkafkaMessageHeader[],
  ): unknown;
  poll(): unknown;
  setPollInterval(intervalMs: number): unknown;
  /** Asks the partition's leader for its watermarks (any connected client can). */
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeoutMs: number,
    cb: (err: LibrdKafkaError | null, offsets: RdkafkaWatermarkOffsets) => void,
  ): unknown;
}

export interface RdkafkaAdminClient {
  createTopic(
    topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> },
    timeoutMs: number,
    cb: (err: LibrdKafkaError | null) => void,
  ): void;
  disconnect(): void;
}

/** The node-rdkafka module. */
export interface Rdkafka {
  KafkaConsumer: new (global: RdkafkaConsumerConfig, topic: RdkafkaConfig) => RdkafkaConsumer;
  Producer: new (global: RdkafkaConfig, topic?: RdkafkaConfig) => RdkafkaProducer;
  AdminClient: { create(config: RdkafkaConfig): RdkafkaAdminClient };
  CODES: {
    ERRORS: {
      ERR__ASSIGN_PARTITIONS: number;
      ERR__REVOKE_PARTITIONS: number;
      ERR__QUEUE_FULL: number;
      ERR_TOPIC_ALREADY_EXISTS: number;
    };
  };
  librdkafkaVersion: string;
}
