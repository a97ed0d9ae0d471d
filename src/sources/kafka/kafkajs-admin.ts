import type { Kafka } from 'kafkajs';
import type { KafkaAdmin } from './kafka-port.js';

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
        topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: t.replicationFactor })),
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
    close: () => admin.disconnect(),
  };
}
