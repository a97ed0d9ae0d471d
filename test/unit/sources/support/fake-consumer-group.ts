import type { ConsumedMessage, ConsumerGroup, ConsumerGroupSpec, PartitionsByTopic } from '../../../../src/sources/kafka/index.js';

/**
 * A consumer group driven by the test, for unit tests of decorators around the port: it hands the
 * spec's callbacks exactly what the test says (assignments, batches), as a runner would.
 */
export interface FakeConsumerGroup extends ConsumerGroup {
  spec(): ConsumerGroupSpec;
  assign(partitions: PartitionsByTopic): Promise<void>;
  revoke(partitions: PartitionsByTopic): Promise<void>;
  /** Hands over one batch of consecutive offsets `[first, first + count)`. */
  deliver(topic: string, partition: number, first: number, count: number): Promise<void>;
  stopped: boolean;
}

export function fakeConsumerGroup(): FakeConsumerGroup {
  let current: ConsumerGroupSpec | null = null;
  let held: PartitionsByTopic = {};
  const message = (offset: number): ConsumedMessage => ({ offset: String(offset), timestamp: 0, key: null, value: Buffer.from('v') });
  const group: FakeConsumerGroup = {
    stopped: false,
    async run(spec) {
      current = spec;
    },
    async commit() {},
    assignment: () => held,
    async stop() {
      group.stopped = true;
      current = null;
      held = {};
    },
    spec() {
      if (!current) throw new Error('not running');
      return current;
    },
    async assign(partitions) {
      held = { ...held, ...partitions };
      await group.spec().onAssign?.(partitions);
    },
    async revoke(partitions) {
      const next: PartitionsByTopic = {};
      for (const [topic, list] of Object.entries(held)) {
        const kept = list.filter((p) => !(partitions[topic] ?? []).includes(p));
        if (kept.length > 0) next[topic] = kept;
      }
      held = next;
      await group.spec().onRevoke?.(partitions);
    },
    async deliver(topic, partition, first, count) {
      await group.spec().eachBatch({ topic, partition, messages: Array.from({ length: count }, (_, i) => message(first + i)) });
    },
  };
  return group;
}
