import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { toOrderlakeError } from '../../errors.js';
import { createAckWindow, type AckWindow } from './ack-window.js';
import type { ConsumedMessage, ConsumerGroup, ConsumerGroupSpec, PartitionsByTopic } from './kafka-port.js';
import { diffPartitions, isEmptyPartitions, normalizePartitions, toTopicPartitions } from './partition-sets.js';

/** kafkajs consumer settings every stage shares. */
const CONSUMER_SETTINGS = {
  sessionTimeout: 30_000,
  heartbeatInterval: 3000,
  /** Up to 4 MiB per partition and fetch: large batches, few commits. */
  maxBytesPerPartition: 4 << 20,
  /**
   * Longest a fetch waits on the broker for new records, ms (kafkajs: 5000). Stopping waits for the
   * fetch in flight before it can leave the group, so this bounds how long a SIGTERM takes; a fetch
   * returns as soon as records arrive, so it costs no latency, only an empty fetch a second when idle.
   */
  maxWaitTimeInMs: 1000,
} as const;

/** A session timeout other than the default, with heartbeats at a tenth of it (at most every 3 s). */
function sessionTimeout(ms: number | undefined): { sessionTimeout?: number; heartbeatInterval?: number } {
  return ms === undefined ? {} : { sessionTimeout: ms, heartbeatInterval: Math.min(3000, Math.max(100, Math.floor(ms / 10))) };
}

/** How often a batch held up heartbeats, ms (kafkajs itself sends at most one per heartbeatInterval). */
const KEEP_ALIVE_MS = 500;

/** Longest a revoke or a stop waits for handed-off batches to be acknowledged before giving them up, ms. */
const SETTLE_TIMEOUT_MS = 20_000;

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
 * once `eachBatch` has handed it off. kafkajs fetches from the resolved position, so without that
 * call it would fetch the same batch again; with it, a failed batch is fetched again after
 * kafkajs's retry and restart. Commits follow acknowledgements through an {@link AckWindow}; a
 * failed acknowledgement seeks the partition back to the oldest unacknowledged batch.
 */
export function createKafkajsConsumerGroup(kafka: Kafka, logger: Logger, options: { sessionTimeoutMs?: number } = {}): ConsumerGroup {
  let consumer: Consumer | null = null;
  let spec: ConsumerGroupSpec | null = null;
  let assigned: PartitionsByTopic = {};
  let gate: Promise<void> = Promise.resolve();
  let window: AckWindow | null = null;
  let stopping = false;
  /** A GROUP_JOIN has been seen since `run` (kafkajs's `run` also resolves after a join that crashed). */
  let hasJoined = false;
  /** `eachBatch` calls in progress. */
  const handling = new Set<Promise<unknown>>();

  /** This member's id in the group at its last join. */
  let memberId: string | null = null;

  function onJoin(memberAssignment: Record<string, number[]>, joinedAs: string): void {
    const next = normalizePartitions(memberAssignment);
    // A new member id means this member was out of the group (its session expired while it was
    // held up, or the coordinator forgot it): generations went by without it, and a partition it
    // holds again may have had another owner meanwhile, who moved its orders on. So every partition
    // is given up and taken again, and the stage rebuilds their state, as after any move; only a
    // partition kept within one membership is kept as it is.
    const rejoined = memberId !== null && joinedAs !== memberId;
    if (rejoined) logger.warn({ group: spec?.groupId, was: memberId, now: joinedAs }, 'rejoined the group as a new member: every partition is given up and taken again');
    memberId = joinedAs;
    const { lost, gained } = rejoined ? { lost: assigned, gained: next } : diffPartitions(assigned, next);
    assigned = next;
    hasJoined = true;
    logger.info({ group: spec?.groupId, assignment: next }, 'partitions assigned');
    const current = spec!;
    gate = gate.then(async () => {
      try {
        if (!isEmptyPartitions(lost)) {
          await settle(toTopicPartitions(lost));
          await current.onRevoke?.(lost);
        }
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

  /** Commits in the background, one request at a time, so offsets reach the broker in order. */
  let commits: Promise<void> = Promise.resolve();
  function commitInOrder(topic: string, partition: number, offset: string): void {
    commits = commits
      .then(() => commit(topic, partition, offset))
      .catch((err: unknown) => logger.warn({ err, group: spec?.groupId, topic, partition, offset }, 'commit failed; the next one covers it'));
  }

  /** Waits (bounded) for the handed-off batches of `partitions` to be acknowledged and committed, then drops the rest. */
  async function settle(partitions: Array<{ topic: string; partition: number }> | undefined): Promise<void> {
    if (!window) return;
    const left = await window.settle({ ...(partitions ? { partitions } : {}), timeoutMs: SETTLE_TIMEOUT_MS, sleep: (ms, signal) => sleep(ms, undefined, { signal }) });
    if (left > 0) logger.warn({ group: spec?.groupId, unacknowledged: left }, 'batches still unacknowledged are given up uncommitted; they will be read again');
    window.forget(partitions ?? toTopicPartitions(assigned));
    await commits;
  }

  return {
    async run(runSpec) {
      if (consumer) throw new Error('consumer group already running');
      spec = runSpec;
      stopping = false;
      hasJoined = false;
      memberId = null;
      const c = kafka.consumer({
        groupId: runSpec.groupId,
        ...CONSUMER_SETTINGS,
        ...sessionTimeout(options.sessionTimeoutMs),
        // kafkajs's default (5 retries), and no restart after a crash once stopping: a restart
        // timer would join the group again after `stop` has left it.
        retry: { retries: 5, restartOnFailure: async () => !stopping },
      });
      consumer = c;
      const acks = createAckWindow({
        limit: runSpec.maxUnacknowledged ?? 4,
        commit: (topic, partition, offset) => {
          if (runSpec.commits) commitInOrder(topic, partition, offset);
        },
        onFailure: (topic, partition, offset, err) => {
          // Recovered by the runner itself (the batch is read and handled again): a warning.
          logger.warn({ err, group: runSpec.groupId, topic, partition, offset }, 'a handed-off batch was not acknowledged; reading again from its first offset');
          try {
            c.seek({ topic, partition, offset });
          } catch (seekErr) {
            logger.error({ err: seekErr, group: runSpec.groupId, topic, partition }, 'seek failed; the partition is read again from its committed offset after the next rebalance');
          }
        },
      });
      window = acks;
      c.on(c.events.GROUP_JOIN, (e) => onJoin(e.payload.memberAssignment, e.payload.memberId));
      // kafkajs's own lines ("Crash: …", "Restarting the consumer in …") are counted by the client
      // log; what only this event knows is whether kafkajs gave up.
      c.on(c.events.CRASH, (e) => {
        const fields = { err: e.payload.error, group: runSpec.groupId, restart: e.payload.restart };
        if (e.payload.restart) logger.debug(fields, 'kafkajs consumer crashed on a retriable error; it restarts by itself');
        else if (stopping) logger.debug(fields, 'kafkajs consumer stopped while stopping');
        else logger.error(fields, 'kafkajs consumer crashed on an error it does not retry: this stage consumes nothing until the worker restarts');
      });
      await c.connect();
      // Stopped while connecting: `stop` has disconnected; running now would connect again.
      if (stopping) return;
      await c.subscribe({ topics: runSpec.topics, fromBeginning: runSpec.fromBeginning });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: runSpec.partitionConcurrency ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          // kafkajs heartbeats only between batches. A batch held up (a full acknowledgement window
          // while ClickHouse is down, a rebuild retrying) would otherwise let this member's session
          // expire while it still works on its partitions: the group would hand them to another
          // member, and both would write them until this one noticed. Heartbeats go on meanwhile
          // (kafkajs sends one at most every heartbeatInterval; a failed one is the main loop's to
          // handle).
          const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), KEEP_ALIVE_MS);
          try {
            await handleBatch(batch, resolveOffset, heartbeat, isRunning, isStale);
          } finally {
            clearInterval(keepAlive);
          }
        },
      });
      async function handleBatch(
        batch: Batch,
        resolveOffset: (offset: string) => void,
        heartbeat: () => Promise<void>,
        isRunning: () => boolean,
        isStale: () => boolean,
      ): Promise<void> {
          await gate;
          if (stopping || batch.messages.length === 0 || !isRunning() || isStale()) return;
          const { topic, partition } = batch;
          // A full window holds this partition here, so kafkajs fetches no more of it meanwhile.
          await acks.room(topic, partition);
          if (stopping || !isRunning() || isStale()) return;
          const firstOffset = batch.firstOffset()!;
          const lastOffset = batch.lastOffset();
          try {
            const running = runSpec.eachBatch({ topic, partition, messages: batch.messages.map(toConsumedMessage) });
            handling.add(running);
            const handedOff = await running.finally(() => handling.delete(running));
            acks.track(topic, partition, { firstOffset, lastOffset }, handedOff ? handedOff.acknowledged : Promise.resolve());
          } catch (err) {
            throw toOrderlakeError(err, 'OL_ERR_KAFKA', { topic, partition, offset: firstOffset });
          }
          resolveOffset(lastOffset);
          await heartbeat();
      }
    },
    commit,
    assignment: () => assigned,
    joined: () => hasJoined && !stopping,
    async stop() {
      if (!consumer) return;
      // Offsets of what was handed off are committed while this member still holds its partitions:
      // take no new batch, let the ones being handled finish, wait for their acknowledgements.
      stopping = true;
      try {
        if (spec) consumer.pause(spec.topics.map((topic) => ({ topic })));
      } catch {
        // Not running yet (stopped while joining): there is nothing to pause.
      }
      await Promise.allSettled([...handling]);
      await gate;
      await settle(undefined);
      // kafkajs sends LeaveGroup here (when it has joined): the group rebalances at once instead of
      // waiting for this member's session to time out, so a planned restart takes seconds.
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
