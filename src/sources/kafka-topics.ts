import type { Logger } from 'pino';
import type { KafkaAdmin } from './kafka/index.js';

/**
 * Creates orderlake's internal topics when missing. Every internal topic has the same partition
 * count, since an order's owner is the partition its id hashes to.
 */
export async function ensureInternalTopics(
  admin: KafkaAdmin,
  logger: Logger,
  topics: { events: string; links: string; deadLetters: string },
  partitions: number,
  replicationFactor: number,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [topics.events, topics.links, topics.deadLetters].filter((t) => !existing.has(t));
  if (missing.length > 0) {
    await admin.createTopics(missing.map((topic) => ({ topic, partitions, replicationFactor })));
    logger.info({ topics: missing, partitions }, 'internal topics created');
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
