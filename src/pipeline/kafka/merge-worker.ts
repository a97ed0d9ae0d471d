import type { Logger } from 'pino';
import type { GoldenStore, ViewChange } from '../../golden/index.js';
import type { MergeItem, MergeStage } from '../merge-stage.js';
import { decodeEventMessage } from '../internal-messages.js';
import { toDeadLetter, type DeadLetterRecorder } from '../dead-letter.js';
import { OrderlakeError } from '../../errors.js';
import { inChunks } from '../yield-chunks.js';
import type { BatchAck, ConsumerGroup, PartitionBatch, PartitionsByTopic } from '../../sources/kafka/index.js';
import type { KafkaWorker } from './kafka-worker.js';

/**
 * Stage 3 on Kafka: the owner of an events-topic partition owns its orders. On assignment it
 * rebuilds their golden state from ClickHouse before touching a batch; each batch is merged in
 * memory (pushes go out at once) and handed off, and the next batch is taken at once; its offsets
 * are committed only once its lake rows are stored in ClickHouse (the runner's acknowledgement
 * window), so a crash re-delivers, and the merge's de-duplication absorbs it. Golden rows are not
 * waited for: they follow on the sink's golden lane, and a takeover restores versions from the
 * lake when they lag. Revoked partitions' orders are evicted from memory: their next owner
 * rebuilds them.
 */
export function createKafkaMergeWorker(deps: {
  consumer: ConsumerGroup;
  logger: Logger;
  store: GoldenStore;
  merge: MergeStage;
  groupId: string;
  topic: string;
  /** Loads the owned orders' state from ClickHouse into the store; returns the orders restored. */
  rebuild(partitions: number[]): Promise<Array<{ orderId: string; partition: number }>>;
  /**
   * Resolves when every lake row and dead letter buffered so far is acknowledged by ClickHouse:
   * what a batch's offsets wait for. The sink's commit lane (`ClickHouseSink.flushCommitLane`);
   * golden and case rows follow on their own, and are not waited for.
   */
  flush(): Promise<void>;
  /** Records (and counts) dead letters; they are stored by the flush that ends the batch. */
  deadLetters: DeadLetterRecorder;
  now: () => number;
  /** Batches per partition handed off and not yet acknowledged (see ConsumerGroupSpec). */
  ackWindow?: number;
  /** Each merged slice and the view changes it made (the health rules follow them). */
  onMerged?(items: readonly MergeItem[], changes: readonly ViewChange[]): void;
  /** Orders evicted from memory because their partition was revoked. */
  onEvicted?(orderIds: readonly string[]): void;
}): KafkaWorker & { ready(): boolean } {
  const { consumer, logger, store, merge, topic } = deps;
  const assigned = new Set<number>();
  /** Partitions whose orders are restored in memory; a batch of any other partition waits for its rebuild. */
  const rebuiltPartitions = new Set<number>();
  const rebuilding = new Map<number, Promise<void>>();
  /** Which partition owns each order held in memory, so revoked partitions can be evicted. */
  const ownerOf = new Map<string, number>();

  function evict(partitions: ReadonlySet<number>): number {
    const evicted: string[] = [];
    for (const [orderId, p] of ownerOf) {
      if (partitions.has(p)) {
        store.evict(orderId);
        ownerOf.delete(orderId);
        evicted.push(orderId);
      }
    }
    if (evicted.length > 0) {
      merge.forget(evicted);
      deps.onEvicted?.(evicted);
    }
    return evicted.length;
  }

  function ensureRebuilt(partition: number): Promise<void> {
    if (rebuiltPartitions.has(partition)) return Promise.resolve();
    let running = rebuilding.get(partition);
    if (!running) {
      running = deps
        .rebuild([partition])
        .then((restored) => {
          for (const { orderId } of restored) ownerOf.set(orderId, partition);
          if (assigned.has(partition)) rebuiltPartitions.add(partition);
          // Revoked while rebuilding: what was just restored belongs to the partition's next owner.
          else evict(new Set([partition]));
        })
        .finally(() => rebuilding.delete(partition));
      rebuilding.set(partition, running);
    }
    return running;
  }

  async function onAssign(partitions: PartitionsByTopic): Promise<void> {
    const gained = partitions[topic] ?? [];
    for (const p of gained) assigned.add(p);
    logger.info({ group: deps.groupId, gained }, 'merge partitions assigned: rebuilding their orders');
    // A failed rebuild is logged here and retried by the partition's next batch.
    await Promise.all(
      gained.map((p) => ensureRebuilt(p).catch((err) => logger.error({ err, partition: p }, 'state rebuild failed; retried on the next batch'))),
    );
  }

  function onRevoke(partitions: PartitionsByTopic): void {
    const lost = new Set(partitions[topic] ?? []);
    for (const p of lost) {
      assigned.delete(p);
      rebuiltPartitions.delete(p);
    }
    const evicted = evict(lost);
    logger.info({ lost: [...lost], evicted }, 'partitions revoked: orders evicted from memory');
  }

  async function handle({ partition, messages }: PartitionBatch): Promise<BatchAck> {
    await ensureRebuilt(partition);
    const items: MergeItem[] = [];
    const unreadable = [];
    for (const m of messages) {
      if (m.value === null) continue;
      try {
        const parsed = decodeEventMessage(m.value);
        items.push({ orderId: parsed.orderId, event: parsed.event, position: parsed.position, ownerPartition: partition });
        ownerOf.set(parsed.orderId, partition);
      } catch (err) {
        const error = new OrderlakeError('OL_ERR_INTERNAL_MESSAGE', `unreadable message on ${topic}: ${(err as Error).message}`, { cause: err });
        unreadable.push(toDeadLetter({ topic, partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value }, error, 'merge', deps.now()));
      }
    }
    if (unreadable.length > 0) {
      deps.deadLetters(unreadable);
      logger.warn({ partition, count: unreadable.length, first: unreadable[0]!.offset }, 'unreadable internal events dead-lettered');
    }
    // In slices, yielding between them, so pushes of one slice go out while the next is merged.
    // Closed orders asleep in ClickHouse come back with each slice, just before their events.
    await inChunks(items, async (slice) => {
      const changes = await merge.merge(slice);
      deps.onMerged?.(slice, changes);
    });
    // Handed off: pushes are out; the offsets follow once the lake rows are stored (golden rows
    // follow on their own).
    return { acknowledged: deps.flush() };
  }

  return {
    start: () =>
      consumer.run({
        groupId: deps.groupId,
        topics: [topic],
        fromBeginning: true,
        commits: true,
        // While one partition's batch waits for its ClickHouse flush, the others keep merging (and
        // pushing): the flush, not the merge, is what a push would otherwise queue behind.
        partitionConcurrency: 64,
        onAssign,
        onRevoke,
        ...(deps.ackWindow ? { maxUnacknowledged: deps.ackWindow } : {}),
        eachBatch: handle,
      }),
    stop: () => consumer.stop(),
    assignment: () => consumer.assignment(),
    ready: () => assigned.size > 0 && [...assigned].every((p) => rebuiltPartitions.has(p)),
  };
}
