import { timeBatches, type BatchStage, type Metrics } from '../../metrics.js';
import type { PartitionPosition } from './consumer-lag.js';
import type { LagSource, LagSourceGroup } from './consumer-lag-monitor.js';
import type { ConsumerGroup, PartitionsByTopic } from './kafka-port.js';
import { nextOffset } from './offsets.js';
import { partitionKey, toTopicPartitions } from './partition-sets.js';

/** A consumer group that times its stage's batches and tells the lag monitor where it stands. */
export interface InstrumentedConsumerGroup extends ConsumerGroup, LagSource {
  /** Batches the stage handed off whose acknowledgement has not settled yet (what a stop still waits for). */
  unacknowledged(): number;
}

/**
 * Decorates a consumer-group member of one stage, whatever client runs it:
 *
 * - every `eachBatch` call is timed into `orderlake_batch_seconds{stage}` (failed attempts too);
 * - the offset after the last record of each batch the stage resolved is kept per partition held,
 *   forgotten when the partition is assigned or revoked. For a group that never commits (link) this
 *   is the only position there is: it re-reads its partitions on every assignment;
 * - batches handed off (`eachBatch` resolved with a `BatchAck`) until their acknowledgement settles
 *   are counted into `orderlake_unacknowledged_batches{stage}` and `unacknowledged()`: what a stop
 *   that runs out of time leaves behind.
 *
 * The stage's callbacks and guarantees are untouched: the wrapper only looks on.
 */
export function instrumentConsumerGroup(
  inner: ConsumerGroup,
  deps: { stage: Exclude<BatchStage, 'embedded'>; metrics: Pick<Metrics, 'batchSeconds' | 'unacknowledgedBatches'>; /** Monotonic clock, ms. */ now?: () => number },
): InstrumentedConsumerGroup {
  const { stage } = deps;
  let group: LagSourceGroup | null = null;
  const handled = new Map<string, PartitionPosition>();
  let unacknowledged = 0;
  const settled = () => {
    unacknowledged--;
    deps.metrics.unacknowledgedBatches.dec({ stage });
  };

  function forget(partitions: PartitionsByTopic): void {
    for (const tp of toTopicPartitions(partitions)) handled.delete(partitionKey(tp));
  }

  return {
    stage,
    async run(spec) {
      group = { groupId: spec.groupId, topics: [...spec.topics], commits: spec.commits, fromBeginning: spec.fromBeginning };
      const eachBatch = timeBatches(deps.metrics, stage, spec.eachBatch, deps.now);
      try {
        await inner.run({
          ...spec,
          onAssign(partitions) {
            forget(partitions);
            return spec.onAssign?.(partitions);
          },
          onRevoke(partitions) {
            forget(partitions);
            return spec.onRevoke?.(partitions);
          },
          async eachBatch(batch) {
            const handedOff = await eachBatch(batch);
            const last = batch.messages[batch.messages.length - 1];
            if (last) handled.set(partitionKey(batch), { topic: batch.topic, partition: batch.partition, offset: nextOffset(last.offset) });
            if (handedOff) {
              unacknowledged++;
              deps.metrics.unacknowledgedBatches.inc({ stage });
              // Only counted here: the runner handles the acknowledgement's outcome.
              handedOff.acknowledged.then(settled, settled);
            }
            return handedOff;
          },
        });
      } catch (err) {
        group = null;
        throw err;
      }
    },
    commit: (topic, partition, offset) => inner.commit(topic, partition, offset),
    assignment: () => inner.assignment(),
    ...(inner.joined ? { joined: () => inner.joined!() } : {}),
    async stop() {
      try {
        await inner.stop();
      } finally {
        group = null;
        handled.clear();
      }
    },
    running: () => group,
    unacknowledged: () => unacknowledged,
    handledPositions: () => [...handled.values()],
  };
}
