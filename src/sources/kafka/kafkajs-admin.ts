import type { Kafka } from 'kafkajs';
import { OrderlakeError } from '../../errors.js';
import { withRetry } from '../../retry.js';
import type { CommittedOffset, KafkaAdmin, PartitionWatermarks } from './kafka-port.js';
import { partitionKey } from './partition-sets.js';

/** The admin subset on kafkajs. */
export async function createKafkajsAdmin(kafka: Kafka): Promise<KafkaAdmin> {
  const admin = kafka.admin();
  await admin.connect();
  return {
    listTopics: () => admin.listTopics(),
    async createTopics(topics) {
      if (topics.length === 0) return;
      // kafkajs answers `false` rather than failing when a topic exists already: that is what we want.
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          ...(t.configs ? { configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })) } : {}),
        })),
      });
    },
    async fetchTopicMetadata(names) {
      const existing = new Set(await admin.listTopics());
      const wanted = names.filter((n) => existing.has(n));
      if (wanted.length === 0) return [];
      const metadata = await admin.fetchTopicMetadata({ topics: wanted });
      return metadata.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionId, leader: p.leader }))
          .sort((a, b) => a.partition - b.partition),
      }));
    },
    async fetchWatermarks(partitions) {
      const result: PartitionWatermarks[] = [];
      for (const [topic, list] of Object.entries(partitions)) {
        if (list.length === 0) continue;
        const offsets = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o]));
        for (const partition of list) {
          const found = offsets.get(partition);
          if (!found) throw new OrderlakeError('OL_ERR_KAFKA', `no offsets for ${topic}[${partition}]: no such partition`, { context: { topic, partition } });
          result.push({ topic, partition, low: found.low, high: found.high });
        }
      }
      return result;
    },
    async fetchCommittedOffsets(groupId, partitions) {
      const topics = Object.keys(partitions).filter((t) => partitions[t]!.length > 0);
      if (topics.length === 0) return [];
      // An OffsetFetch request: answered by the group coordinator without joining the group. kafkajs
      // does not retry it itself, and a coordinator still loading the offsets of the group's
      // __consumer_offsets partition answers NOT_COORDINATOR for a moment (seen on a fresh broker).
      const fetched = await withRetry(() => admin.fetchOffsets({ groupId, topics }), {
        retries: 5,
        baseMs: 100,
        maxMs: 1000,
        isRetriable: (err) => (err as { retriable?: unknown }).retriable === true,
      });
      const committed = new Map<string, string>();
      for (const t of fetched) {
        for (const p of t.partitions) committed.set(partitionKey({ topic: t.topic, partition: p.partition }), p.offset);
      }
      const result: CommittedOffset[] = [];
      for (const topic of topics) {
        for (const partition of partitions[topic]!) {
          const offset = committed.get(partitionKey({ topic, partition })) ?? '-1';
          result.push({ topic, partition, offset: offset.startsWith('-') ? '-1' : offset });
        }
      }
      return result;
    },
    close: () => admin.disconnect(),
  };
}
