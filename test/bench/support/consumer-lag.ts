import type { Admin } from 'kafkajs';

/**
 * Messages a consumer group has not committed yet over `topics` (an uncommitted partition counts
 * from its low watermark). Zero means everything the topics hold has been processed and committed.
 */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  for (const t of committed) {
    const ends = await admin.fetchTopicOffsets(t.topic);
    for (const p of t.partitions) {
      const end = ends.find((e) => e.partition === p.partition);
      const high = Number(end?.high ?? 0);
      const done = p.offset === '-1' ? Number(end?.low ?? 0) : Number(p.offset);
      lag += high - done;
    }
  }
  return lag;
}
