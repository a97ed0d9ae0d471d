import type { Logger } from 'pino';
import type { KafkaAdmin, TopicSpec } from './kafka/index.js';

/** Settings of the golden changelog topic: the newest record of each order is kept for good. */
export const GOLDEN_TOPIC_CONFIGS: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact' };

/**
 * Creates orderlake's internal topics when missing. Every internal topic has the same partition
 * count, since an order's owner is the partition its id hashes to. `golden` (the changelog, when
 * enabled) is created compacted; a golden topic that already exists is left as it is.
 */
export async function ensureInternalTopics(
  admin: KafkaAdmin,
  logger: Logger,
  topics: { events: string; links: string; deadLetters: string; golden?: string | null },
  partitions: number,
  replicationFactor: number,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted: TopicSpec[] = [topics.events, topics.links, topics.deadLetters].map((topic) => ({ topic, partitions, replicationFactor }));
  if (topics.golden) wanted.push({ topic: topics.golden, partitions, replicationFactor, configs: GOLDEN_TOPIC_CONFIGS });
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    await admin.createTopics(missing);
    logger.info({ topics: missing.map((t) => t.topic), partitions }, 'internal topics created');
  }
  for (const t of await admin.fetchTopicMetadata([topics.events, topics.links])) {
    if (t.partitions.length !== partitions) {
      logger.warn(
        { topic: t.topic, partitions: t.partitions.length, configured: partitions },
        'internal topic partition count differs from ORDERLAKE_INTERNAL_PARTITIONS; ownership follows the topic',
      );
    }
  }
}
