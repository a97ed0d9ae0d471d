import type { Logger } from 'pino';
import type { GoldenStore, ViewChange } from '../../golden/index.js';
import type { MergeItem, MergeStage } from '../merge-stage.js';
import { decodeEventMessage } from '../internal-messages.js';
import { CONFIG_VERSION_HEADER } from '../../live-config/config-version-header.js';
import { toDeadLetter, type DeadLetterRecorder } from '../dead-letter.js';
import { OrderlakeError } from '../../errors.js';
import { inChunks } from '../yield-chunks.js';
import type { BatchAck, ConsumerGroup, PartitionBatch, PartitionsByTopic, ProducedMessage } from '../../sources/kafka/index.js';
import type { KafkaWorker } from './kafka-worker.js';
import { allViewFields, type GoldenChangelog, type GoldenVersion } from './golden-changelog.js';

/**
 * Stage 3 on Kafka: the owner of an events-topic partition owns its orders. On assignment it
 * rebuilds their golden state from ClickHouse before touching a batch; each batch is merged in
 * memory (pushes go out at once) and handed off, and the next batch is taken at once; its offsets
 * are committed only once its lake rows are stored in ClickHouse (the runner's acknowledgement
 * window), so a crash re-delivers, and the merge's de-duplication absorbs it. Golden rows are not
 * waited for: they follow on the sink's golden lane, and a takeover restores versions from the
 * lake when they lag. Revoked partitions' orders are evicted from memory: their next owner
 * rebuilds them.
 *
 * With a golden changelog, every version the batch made (and every delete) is published, keyed by
 * order id, and the batch's offsets wait for those records' acknowledgement too. A crash after the
 * lake rows were stored but before the records were acknowledged re-delivers events that are now
 * duplicates, which make no version: so an order restored by a takeover, or whose records failed,
 * has the version it holds re-published with its next event (before the version that event makes,
 * if any). Versions before that one which the crash also kept off the topic stay missing (see the
 * README's "Golden changelog topic").
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
  /** Where every golden version is published (`<prefix>golden`); absent with ORDERLAKE_GOLDEN_TOPIC=off. */
  changelog?: GoldenChangelog;
}): KafkaWorker & { ready(): boolean } {
  const { consumer, logger, store, merge, topic } = deps;
  const assigned = new Set<number>();
  /** Partitions whose orders are restored in memory; a batch of any other partition waits for its rebuild. */
  const rebuiltPartitions = new Set<number>();
  const rebuilding = new Map<number, Promise<void>>();
  /** Which partition owns each order held in memory, so revoked partitions can be evicted. */
  const ownerOf = new Map<string, number>();
  /**
   * Orders whose current version may be missing from the changelog: restored by a takeover (the
   * previous owner may have stored their events and died before its records were acknowledged),
   * or whose records could not be sent. Left when a version of theirs is published.
   */
  const unconfirmed = new Set<string>();

  function evict(partitions: ReadonlySet<number>): number {
    const evicted: string[] = [];
    for (const [orderId, p] of ownerOf) {
      if (partitions.has(p)) {
        store.evict(orderId);
        ownerOf.delete(orderId);
        unconfirmed.delete(orderId);
        evicted.push(orderId);
      }
    }
    if (evicted.length > 0) deps.onEvicted?.(evicted);
    return evicted.length;
  }

  function ensureRebuilt(partition: number): Promise<void> {
    if (rebuiltPartitions.has(partition)) return Promise.resolve();
    let running = rebuilding.get(partition);
    if (!running) {
      running = deps
        .rebuild([partition])
        .then((restored) => {
          for (const { orderId } of restored) {
            ownerOf.set(orderId, partition);
            // Asleep ones too: their events may come again (waking them) as well.
            if (deps.changelog) unconfirmed.add(orderId);
          }
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
      try {
        // orderlake never writes a tombstone here: one is a message from elsewhere, dead-lettered too.
        if (m.value === null) throw new Error('tombstone (null value): orderlake never writes one to this topic');
        const parsed = decodeEventMessage(m.value);
        const configVersion = m.headers?.[CONFIG_VERSION_HEADER]?.toString('utf8');
        items.push({ orderId: parsed.orderId, event: parsed.event, position: parsed.position, ownerPartition: partition, ...(configVersion ? { configVersion } : {}) });
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
    const { changelog } = deps;
    const records: ProducedMessage[] = [];
    const published = new Set<string>();
    await inChunks(items, async (slice) => {
      const changes = await merge.merge(slice);
      deps.onMerged?.(slice, changes);
      // Encoded slice by slice too, between the same yields.
      if (changelog) {
        for (const v of versionsOf(slice, changes)) {
          try {
            records.push(changelog.encode(v));
            published.add(v.orderId);
          } catch (err) {
            // A view the schema cannot carry is a bug, not a reason to stop the partition: the
            // version is dead-lettered (with its view) and logged.
            const valueJson = JSON.stringify({ orderId: v.orderId, version: v.version, view: v.view });
            deps.deadLetters([toDeadLetter({ topic: changelog.topic, partition, valueJson }, err, 'merge', deps.now(), 'OL_ERR_CODEC_ENCODE')]);
            logger.error({ err, orderId: v.orderId, version: v.version }, 'golden version not publishable: dead-lettered');
          }
        }
      }
    });
    // Handed off: pushes are out; the offsets follow once the lake rows are stored and then the
    // golden versions acknowledged by Kafka (golden rows follow on their own).
    const stored = deps.flush();
    if (!changelog || records.length === 0) return { acknowledged: stored };
    // Published only once stored: a takeover restores at least the stored versions, so a version on
    // the topic is never numbered again with another view.
    const acknowledged = changelog.publish(partition, records, stored).catch((err: unknown) => {
      // The runner reads the partition again, but its events are duplicates by now: mark the orders
      // (before the read) so that those duplicates re-publish their current version.
      for (const orderId of published) if (ownerOf.has(orderId)) unconfirmed.add(orderId);
      logger.error({ err, partition, records: records.length }, 'golden versions not published; the partition is read again');
      throw err;
    });
    return { acknowledged };
  }

  /**
   * Every version the slice made, in order; for an unconfirmed order, first the version it had
   * before (changed by the slice) or has (left unchanged), re-published.
   */
  function versionsOf(slice: readonly MergeItem[], changes: readonly ViewChange[]): GoldenVersion[] {
    const made = (c: ViewChange): GoldenVersion => ({ orderId: c.orderId, version: c.version, view: c.view, changedFields: c.changedFields });
    if (unconfirmed.size === 0) return changes.map(made);
    const versions: GoldenVersion[] = [];
    for (const c of changes) {
      if (unconfirmed.delete(c.orderId) && c.previous !== null && c.previous.version === c.version - 1) {
        versions.push({ orderId: c.orderId, version: c.previous.version, view: c.previous, changedFields: allViewFields() });
      }
      versions.push(made(c));
    }
    for (const { orderId } of slice) {
      if (!unconfirmed.has(orderId)) continue;
      const held = heldVersion(orderId);
      if (held === null) continue; // asleep again already: with a later event
      unconfirmed.delete(orderId);
      versions.push(held);
    }
    return versions;
  }

  /**
   * The version an order holds, to re-publish: its view, or its delete (held or asleep; an order
   * deleted before it ever had a view has no version, and nothing to publish). null also for an
   * order asleep with a view: it is woken, and re-published, with a later event of its own.
   */
  function heldVersion(orderId: string): GoldenVersion | null {
    const view = store.get(orderId);
    if (view !== null) return { orderId, version: view.version, view, changedFields: allViewFields() };
    const head = store.isDeleted(orderId) ? store.head(orderId) : undefined;
    if (head !== undefined) return { orderId, version: head.version, view: null, changedFields: allViewFields() };
    return null;
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
