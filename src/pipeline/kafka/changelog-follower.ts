import type { Logger } from 'pino';
import type { FollowedVersion } from '../../feed/index.js';
import type { ConsumerGroup, PartitionBatch } from '../../sources/kafka/index.js';
import type { GoldenChangelog } from './golden-changelog.js';
import type { KafkaWorker } from './kafka-worker.js';

/**
 * Follows the golden changelog topic on every worker, so that the live feed of any worker carries
 * every order's changes, not only those of the orders its merge owns. A consumer group of its own
 * per worker process (`groupId`, unique), never committing: all partitions, read from their
 * beginning — the topic is compacted, so that is the current version of every order, then every
 * change — each record decoded as any consumer of the topic would (`GoldenChangelog.decode`).
 * `caughtUp()` says when every partition has been read up to where it ended when following began
 * (`/ready` waits for it, so a client is not sent to a worker whose snapshots still lack orders). A record that is not a changelog
 * record is logged and skipped: this stage writes nothing, so it has nothing to dead-letter, and
 * the topic's producer is orderlake itself.
 */
export function createChangelogFollower(deps: {
  consumer: ConsumerGroup;
  changelog: GoldenChangelog;
  groupId: string;
  logger: Logger;
  onVersions(versions: FollowedVersion[]): void;
  /** Where each partition of the topic ends now (high-water marks): what `caughtUp` waits for. */
  endOffsets(): Promise<Map<number, bigint>>;
}): KafkaWorker & { caughtUp(): true | string } {
  const { consumer, changelog, logger } = deps;
  let unreadable = 0;
  /** Partitions still short of their end offset at start, and that offset. */
  let behind: Map<number, bigint> | null = null;

  async function handle({ partition, messages }: PartitionBatch): Promise<void> {
    const versions: FollowedVersion[] = [];
    for (const m of messages) {
      if (m.value === null) continue; // compaction tombstones: none are written, nothing to follow
      try {
        const record = await changelog.decode(m.value);
        versions.push({ orderId: record.order_id, version: record.version, view: record.view, changedFields: record.changed_fields, timestamp: m.timestamp });
      } catch (err) {
        unreadable++;
        // One line per hundred, so a topic full of garbage cannot flood the log.
        if (unreadable % 100 === 1) logger.warn({ err, partition, offset: m.offset, unreadable }, 'unreadable record on the golden changelog skipped');
      }
    }
    if (versions.length > 0) deps.onVersions(versions);
    const target = behind?.get(partition);
    if (target !== undefined && BigInt(messages[messages.length - 1]!.offset) + 1n >= target) {
      behind!.delete(partition);
      if (behind!.size === 0) logger.info({ topic: changelog.topic }, 'golden changelog read up to where it ended at start');
    }
  }

  return {
    async start() {
      const ends = await deps.endOffsets();
      behind = new Map([...ends].filter(([, end]) => end > 0n));
      await consumer.run({
        groupId: deps.groupId,
        topics: [changelog.topic],
        fromBeginning: true,
        commits: false,
        eachBatch: handle,
      });
    },
    caughtUp() {
      if (behind === null) return 'not started';
      if (behind.size === 0) return true;
      return `reading ${changelog.topic} up to where it ended at start (partitions ${[...behind.keys()].sort((x, y) => x - y).join(',')})`;
    },
    stop: () => consumer.stop(),
    assignment: () => consumer.assignment(),
  };
}
