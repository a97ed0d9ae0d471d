import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { toOrderlakeError } from '../../errors.js';
import type { ConsumedMessage, ConsumerGroup, ConsumerGroupSpec, PartitionsByTopic } from './kafka-port.js';
import { nextOffset } from './offsets.js';
import { diffPartitions, isEmptyPartitions, normalizePartitions } from './partition-sets.js';

/** kafkajs consumer settings every stage shares. */
const CONSUMER_SETTINGS = {
  sessionTimeout: 30_000,
  heartbeatInterval: 3000,
  /** Up to 4 MiB per partition and fetch: large batches, few commits. */
  maxBytesPerPartition: 4 << 20,
} as const;

function toConsumedMessage(m: KafkaMessage): ConsumedMessage {
  const message: ConsumedMessage = { offset: m.offset, timestamp: Number(m.timestamp), key: m.key ?? null, value: m.value ?? null };
  if (m.headers) {
    const headers: Record<string, Buffer> = {};
    for (const [name, raw] of Object.entries(m.headers)) {
      const first = Array.isArray(raw) ? raw[0] : raw;
      if (first !== undefined) headers[name] = Buffer.isBuffer(first) ? first : Buffer.from(first);
    }
    if (Object.keys(headers).length > 0) message.headers = headers;
  }
  return message;
}

/**
 * The consumer-group runner on kafkajs. kafkajs has no revoke callback: each GROUP_JOIN carries the
 * new assignment, and the difference with the previous one becomes `onRevoke` (lost) then
 * `onAssign` (gained); kafkajs joins only after its fetchers have stopped. GROUP_JOIN listeners
 * cannot hold kafkajs up, so batches wait on a gate for those callbacks to settle.
 *
 * Offsets are resolved by hand (`eachBatchAutoResolve: false`): a batch's last offset is resolved
 * only after `eachBatch` (and its commit) succeeded. kafkajs fetches from the resolved position,
 * so without that call it would fetch the same batch again; with it, a failed batch is fetched
 * again after kafkajs's retry and restart.
 */
export function createKafkajsConsumerGroup(kafka: Kafka, logger: Logger): ConsumerGroup {
  let consumer: Consumer | null = null;
  let spec: ConsumerGroupSpec | null = null;
  let assigned: PartitionsByTopic = {};
  let gate: Promise<void> = Promise.resolve();

  function onJoin(memberAssignment: Record<string, number[]>): void {
    const next = normalizePartitions(memberAssignment);
    const { lost, gained } = diffPartitions(assigned, next);
    assigned = next;
    logger.info({ group: spec?.groupId, assignment: next }, 'partitions assigned');
    const current = spec!;
    gate = gate.then(async () => {
      try {
        if (!isEmptyPartitions(lost)) await current.onRevoke?.(lost);
        if (!isEmptyPartitions(gained)) await current.onAssign?.(gained);
      } catch (err) {
        logger.error({ err, group: current.groupId }, 'assignment callback failed');
      }
    });
  }

  async function commit(topic: string, partition: number, offset: string): Promise<void> {
    if (!consumer) throw new Error('consumer group is not running');
    await consumer.commitOffsets([{ topic, partition, offset }]);
  }

  return {
    async run(runSpec) {
      if (consumer) throw new Error('consumer group already running');
      spec = runSpec;
      const c = kafka.consumer({ groupId: runSpec.groupId, ...CONSUMER_SETTINGS });
      consumer = c;
      c.on(c.events.GROUP_JOIN, (e) => onJoin(e.payload.memberAssignment));
      c.on(c.events.CRASH, (e) =>
        logger.error({ err: e.payload.error, group: runSpec.groupId, restart: e.payload.restart }, 'kafkajs consumer crashed'),
      );
      await c.connect();
      await c.subscribe({ topics: runSpec.topics, fromBeginning: runSpec.fromBeginning });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: runSpec.partitionConcurrency ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          await gate;
          if (batch.messages.length === 0 || !isRunning() || isStale()) return;
          const { topic, partition } = batch;
          try {
            await runSpec.eachBatch({ topic, partition, messages: batch.messages.map(toConsumedMessage) });
            if (runSpec.commits) await commit(topic, partition, nextOffset(batch.lastOffset()));
          } catch (err) {
            throw toOrderlakeError(err, 'OL_ERR_KAFKA', { topic, partition, offset: batch.firstOffset() ?? undefined });
          }
          resolveOffset(batch.lastOffset());
          await heartbeat();
        },
      });
    },
    commit,
    assignment: () => assigned,
    async stop() {
      if (!consumer) return;
      await consumer.disconnect();
      consumer = null;
      await gate;
      const held = assigned;
      assigned = {};
      if (spec && !isEmptyPartitions(held)) {
        try {
          await spec.onRevoke?.(held);
        } catch (err) {
          logger.error({ err, group: spec.groupId }, 'revoke callback failed');
        }
      }
    },
  };
}
