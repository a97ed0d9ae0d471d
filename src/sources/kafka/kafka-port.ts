/**
 * The Kafka the pipeline stages see: a consumer-group runner, a producer and a few admin calls,
 * with no client library's types in them. The ingest, link and merge workers are written against
 * this port only, so kafkajs and node-rdkafka (the adapters in this folder) are interchangeable and
 * give the same delivery guarantees.
 */

import type { BatchAck } from './ack-window.js';

export type { BatchAck } from './ack-window.js';

/** Partitions by topic name, each list ascending; topics without partitions are left out. */
export type PartitionsByTopic = Record<string, number[]>;

/** One consumed record, whatever client read it. */
export interface ConsumedMessage {
  /** Kafka offset, an int64 as a decimal string (JavaScript numbers stop being exact at 2^53). */
  offset: string;
  /** Record timestamp (CreateTime or LogAppendTime), epoch ms. */
  timestamp: number;
  key: Buffer | null;
  /** `null`: a tombstone. */
  value: Buffer | null;
  /** Record headers; a header repeated under one name keeps its first value. */
  headers?: Record<string, Buffer>;
}

/** Consecutive records of one partition, in offset order, never empty. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

/**
 * What a stage asks of its consumer group. The runner guarantees, for both clients:
 *
 * - batches of one partition are handed over one at a time, in offset order;
 * - no batch of a partition is handed over before the `onAssign` that gave it has settled, nor
 *   after the `onRevoke` that took it away (until a later `onAssign` gives it back);
 * - `onRevoke` is called only once the batches of those partitions that were being handled have
 *   finished, and it is called for whatever is still assigned when the runner stops;
 * - with `commits`, the offset after a batch is committed only once `eachBatch` has resolved and,
 *   when it resolved with a {@link BatchAck}, once that batch and every earlier batch of the
 *   partition are acknowledged — in offset order. So a stage never loses an input: a crash
 *   re-delivers from the last commit, and the stage's de-duplication absorbs the repeat;
 * - a stage that resolves with a `BatchAck` gets its next batch at once ("acknowledge and move
 *   on"); at most `maxUnacknowledged` batches of a partition wait for their acknowledgement, and a
 *   full window pauses that partition. A failed acknowledgement makes the runner read the
 *   partition again from the oldest unacknowledged batch. Before a revoke's partitions are given
 *   up, and on stop, the runner waits (bounded) for their acknowledgements and commits them.
 */
export interface ConsumerGroupSpec {
  groupId: string;
  topics: string[];
  /** Where a partition without a committed offset starts: its beginning, or its end. */
  fromBeginning: boolean;
  /**
   * `true`: the runner commits after every batch `eachBatch` resolved. `false`: the group never
   * commits, and every assignment re-reads its partitions from where `fromBeginning` says (the
   * link stage rebuilds its state that way).
   */
  commits: boolean;
  /** Batches of different partitions handled at once. Default 1. */
  partitionConcurrency?: number;
  /** Batches of one partition handed off and not yet acknowledged before it pauses. Default 4. */
  maxUnacknowledged?: number;
  /**
   * Partitions newly given to this member. May return a promise (a state rebuild); their batches
   * wait for it. A rejection is logged, and the stage's `eachBatch` must then guard itself.
   */
  onAssign?(partitions: PartitionsByTopic): void | Promise<void>;
  /** Partitions taken away from this member: drop what is held for them. */
  onRevoke?(partitions: PartitionsByTopic): void | Promise<void>;
  /**
   * Handles one batch. Resolve with nothing once everything it produced is acknowledged, or with a
   * {@link BatchAck} as soon as the batch is handed off, its `acknowledged` settling later. A
   * rejection re-delivers the batch (kafkajs: re-fetch after its retry/restart; rdkafka: retried
   * in place with backoff until it succeeds or the partition is revoked); it is never skipped.
   */
  eachBatch(batch: PartitionBatch): Promise<void | BatchAck>;
}

/** A consumer-group member: `run` once, then `stop`. */
export interface ConsumerGroup {
  /** Connects, subscribes and starts consuming; resolves once consuming has started. */
  run(spec: ConsumerGroupSpec): Promise<void>;
  /**
   * Commits `nextOffset` (the offset of the next record to read) for a partition this member
   * holds. The runner already commits after each batch when `commits` is set; this is for callers
   * that commit on their own (tools, tests).
   */
  commit(topic: string, partition: number, nextOffset: string): Promise<void>;
  /** Partitions currently assigned, by topic. */
  assignment(): PartitionsByTopic;
  /**
   * Whether this member has joined its group since `run` — its first assignment has arrived,
   * possibly empty — until `stop`. `run` alone does not say so: with node-rdkafka it resolves once
   * subscribed, and the join follows (after a crash, once the dead member's session has expired).
   * Optional for test doubles; both adapters implement it.
   */
  joined?(): boolean;
  /** Finishes the batches being handled, revokes everything, leaves the group and disconnects. */
  stop(): Promise<void>;
}

/** One record to produce. A string key is sent as its UTF-8 bytes. */
export interface ProducedMessage {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

export interface TopicMessages {
  topic: string;
  messages: ProducedMessage[];
}

/**
 * An idempotent producer. Records with the same non-null key go to the partition Java's (and
 * kafkajs's) default partitioner picks — murmur2 of the key bytes — so every client agrees on
 * which partition, and so which worker, owns an order.
 */
export interface KafkaProducer {
  /**
   * Resolves once every record is acknowledged by all in-sync replicas (`acks: 'all'` is the only
   * setting orderlake uses, and says so at each call); rejects if any record failed, in which case
   * some of the others may still have been written (the caller retries the whole batch).
   */
  sendBatch(topicMessages: TopicMessages[], options: { acks: 'all' }): Promise<void>;
  /** Waits for records in flight, then disconnects. */
  close(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level settings, e.g. `{ 'cleanup.policy': 'compact' }`; absent: the broker's defaults. */
  configs?: Readonly<Record<string, string>>;
}

export interface TopicMetadata {
  topic: string;
  /** Partition ids with their leader's broker id (-1: no leader right now). */
  partitions: Array<{ partition: number; leader: number }>;
}

/** Where one partition's log starts and ends. Offsets are int64s as decimal strings. */
export interface PartitionWatermarks {
  topic: string;
  partition: number;
  /** The low-water mark: offset of the earliest record still in the log (retention deletes below it). */
  low: string;
  /** The high-water mark: the offset the next record appended will get (the log end for readers). */
  high: string;
}

/** A consumer group's committed offset on one partition. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The next offset the group will read, as committed; `-1` when it has committed none there. */
  offset: string;
}

/**
 * The admin calls orderlake needs: its internal topics and their partition counts, and the offsets
 * the consumer-lag gauge is computed from.
 */
export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  /** Creates the topics that do not exist yet (existing ones are left alone) and waits for their leaders. */
  createTopics(topics: TopicSpec[]): Promise<void>;
  /** Metadata of the named topics that exist; unknown names are left out. */
  fetchTopicMetadata(topics: string[]): Promise<TopicMetadata[]>;
  /** Low- and high-water marks of the given partitions, in the order of `partitions` (topic, then partition). */
  fetchWatermarks(partitions: PartitionsByTopic): Promise<PartitionWatermarks[]>;
  /**
   * What `groupId` has committed on the given partitions, one entry each (`-1` where nothing is
   * committed, and for a group that never committed at all). Reads offsets only: it does not join
   * the group or disturb its members.
   */
  fetchCommittedOffsets(groupId: string, partitions: PartitionsByTopic): Promise<CommittedOffset[]>;
  close(): Promise<void>;
}

/** A Kafka client library behind the port. The composition root picks one (KAFKA_CLIENT). */
export interface KafkaClient {
  readonly library: 'kafkajs' | 'rdkafka';
  /** A new, not yet running, consumer-group member. */
  consumerGroup(): ConsumerGroup;
  /** A connected producer. */
  producer(): Promise<KafkaProducer>;
  /** A connected admin client. */
  admin(): Promise<KafkaAdmin>;
}
