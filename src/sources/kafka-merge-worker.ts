import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { GoldenStore } from '../golden/index.js';
import type { MergeItem, MergeStage } from '../pipeline/merge-stage.js';
import { decodeEventMessage } from '../pipeline/internal-messages.js';
import type { KafkaWorker } from './kafka-ingest-worker.js';

/**
 * Stage 3 on Kafka: the owner of an events-topic partition owns its orders. On assignment it
 * rebuilds their golden state from ClickHouse before touching a batch; each batch is merged in
 * memory (pushes go out at once), its rows are flushed to ClickHouse, and only then are its
 * offsets committed — so a crash re-delivers, and the merge's de-duplication absorbs it.
 */
export function createKafkaMergeWorker(deps: {
  kafka: Kafka;
  logger: Logger;
  store: GoldenStore;
  merge: MergeStage;
  groupId: string;
  topic: string;
  /** Loads the owned orders' state from ClickHouse into the store; returns the orders restored. */
  rebuild(partitions: number[]): Promise<Array<{ orderId: string; partition: number }>>;
  /** Resolves when every row buffered so far is acknowledged by ClickHouse. */
  flush(): Promise<void>;
}): KafkaWorker & { ready(): boolean } {
  const { kafka, logger, store, merge, topic } = deps;
  let consumer: Consumer | null = null;
  let assigned: number[] = [];
  /** Partitions whose orders are restored in memory; a batch of any other partition waits for its rebuild. */
  const rebuiltPartitions = new Set<number>();
  const rebuilding = new Map<number, Promise<void>>();
  /** Which partition owns each order held in memory, so revoked partitions can be evicted. */
  const ownerOf = new Map<string, number>();

  function ensureRebuilt(partition: number): Promise<void> {
    if (rebuiltPartitions.has(partition)) return Promise.resolve();
    let running = rebuilding.get(partition);
    if (!running) {
      running = deps
        .rebuild([partition])
        .then((restored) => {
          for (const { orderId } of restored) ownerOf.set(orderId, partition);
          if (assigned.includes(partition)) rebuiltPartitions.add(partition);
        })
        .finally(() => rebuilding.delete(partition));
      rebuilding.set(partition, running);
    }
    return running;
  }

  function onAssignment(partitions: number[]): void {
    const next = new Set(partitions);
    const lost = assigned.filter((p) => !next.has(p));
    assigned = partitions;
    if (lost.length > 0) {
      const lostSet = new Set(lost);
      let evicted = 0;
      for (const [orderId, p] of ownerOf) {
        if (lostSet.has(p)) {
          store.evict(orderId);
          ownerOf.delete(orderId);
          evicted++;
        }
      }
      for (const p of lost) rebuiltPartitions.delete(p);
      logger.info({ lost, evicted }, 'partitions revoked: orders evicted from memory');
    }
    // Start rebuilding at once; a batch that arrives first waits for its partition (and retries a failed rebuild).
    for (const p of partitions) {
      ensureRebuilt(p).catch((err) => logger.error({ err, partition: p }, 'state rebuild failed; retried on the next batch'));
    }
  }

  return {
    async start() {
      consumer = kafka.consumer({ groupId: deps.groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxBytesPerPartition: 4 << 20 });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const partitions = e.payload.memberAssignment[topic] ?? [];
        logger.info({ group: deps.groupId, partitions }, 'merge partitions assigned');
        onAssignment(partitions);
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          await ensureRebuilt(batch.partition);
          if (batch.messages.length === 0 || !isRunning() || isStale()) return;
          const items: MergeItem[] = [];
          for (const m of batch.messages) {
            if (m.value === null) continue;
            try {
              const parsed = decodeEventMessage(m.value);
              items.push({ orderId: parsed.orderId, event: parsed.event, position: parsed.position, ownerPartition: batch.partition });
              ownerOf.set(parsed.orderId, batch.partition);
            } catch (err) {
              logger.error({ err, partition: batch.partition, offset: m.offset }, 'unreadable internal event skipped');
            }
          }
          merge.apply(items);
          await deps.flush();
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await consumer!.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
          // Moves kafkajs' fetch position too: with eachBatchAutoResolve off, a commit alone does not.
          resolveOffset(batch.lastOffset());
          await heartbeat();
        },
      });
    },
    async stop() {
      await consumer?.disconnect();
      consumer = null;
    },
    assignment: () => ({ [topic]: assigned }),
    ready: () => assigned.length > 0 && assigned.every((p) => rebuiltPartitions.has(p)),
  };
}
