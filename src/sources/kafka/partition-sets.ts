import type { PartitionsByTopic } from './kafka-port.js';

/** A topic-partition pair as both clients report assignments. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Groups topic-partition pairs by topic: partitions ascending and distinct, empty topics left out. */
export function toPartitionsByTopic(pairs: Iterable<TopicPartition>): PartitionsByTopic {
  const sets = new Map<string, Set<number>>();
  for (const { topic, partition } of pairs) {
    let set = sets.get(topic);
    if (!set) sets.set(topic, (set = new Set()));
    set.add(partition);
  }
  const result: PartitionsByTopic = {};
  for (const topic of [...sets.keys()].sort()) result[topic] = [...sets.get(topic)!].sort((a, b) => a - b);
  return result;
}

/** The pairs of a by-topic map, topic by topic. */
export function toTopicPartitions(partitions: PartitionsByTopic): TopicPartition[] {
  return Object.entries(partitions).flatMap(([topic, list]) => list.map((partition) => ({ topic, partition })));
}

/** Normalizes a by-topic map (kafkajs lists subscribed topics with no partitions too). */
export function normalizePartitions(partitions: Record<string, readonly number[] | undefined>): PartitionsByTopic {
  return toPartitionsByTopic(
    Object.entries(partitions).flatMap(([topic, list]) => (list ?? []).map((partition) => ({ topic, partition }))),
  );
}

export function isEmptyPartitions(partitions: PartitionsByTopic): boolean {
  return Object.values(partitions).every((list) => list.length === 0);
}

/** What an assignment change took away and what it gave, so kept partitions keep their state. */
export function diffPartitions(
  before: PartitionsByTopic,
  after: PartitionsByTopic,
): { lost: PartitionsByTopic; gained: PartitionsByTopic } {
  const keys = (p: PartitionsByTopic) => new Set(toTopicPartitions(p).map(partitionKey));
  const beforeKeys = keys(before);
  const afterKeys = keys(after);
  return {
    lost: toPartitionsByTopic(toTopicPartitions(before).filter((tp) => !afterKeys.has(partitionKey(tp)))),
    gained: toPartitionsByTopic(toTopicPartitions(after).filter((tp) => !beforeKeys.has(partitionKey(tp)))),
  };
}

/** A map key for a topic-partition (topic names cannot contain a NUL). */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}
