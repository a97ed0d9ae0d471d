import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { backoffDelay } from '../../retry.js';
import { createAckWindow, type AckWindow } from './ack-window.js';
import type { ConsumedMessage, ConsumerGroup, ConsumerGroupSpec, PartitionBatch, PartitionsByTopic } from './kafka-port.js';
import { nextOffset, offsetToNumber } from './offsets.js';
import { toPartitionBatches } from './partition-batches.js';
import { isEmptyPartitions, partitionKey, toPartitionsByTopic, toTopicPartitions } from './partition-sets.js';
import type { Rdkafka } from './rdkafka-loader.js';
import { connectClient, disconnectClient } from './rdkafka-connect.js';
import { createKafkaClientLog, type KafkaClientLog } from './client-log.js';
import { fromRdkafkaError } from './rdkafka-errors.js';
import { consumerConfig, type RdkafkaConnection } from './rdkafka-settings.js';
import type {
  LibrdKafkaError,
  RdkafkaConsumer,
  RdkafkaMessage,
  RdkafkaTopicPartition,
  RdkafkaTopicPartitionOffset,
} from './rdkafka-types.js';

/** librdkafka's logical offset "the beginning of the partition" (RD_KAFKA_OFFSET_BEGINNING). */
const OFFSET_BEGINNING = -2;
/** Longest a poll waits for a first record, ms; also how soon `stop` and rebalances are noticed. */
const POLL_TIMEOUT_MS = 200;
/** Most records one poll returns (over all partitions). */
const MAX_POLL_RECORDS = 5000;
/** Backoff of a failing batch: first ceiling and cap, ms (full jitter, see retry.ts). */
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 5000;
/** Attempts at committing a batch; a later batch's commit covers one that failed. */
const COMMIT_ATTEMPTS = 3;
/** Longest a revoke or a stop waits for handed-off batches to be acknowledged before giving them up, ms. */
const SETTLE_TIMEOUT_MS = 20_000;

function toConsumedMessage(m: RdkafkaMessage): ConsumedMessage {
  const message: ConsumedMessage = {
    offset: String(m.offset),
    timestamp: m.timestamp ?? 0,
    key: m.key === null || m.key === undefined ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key),
    value: m.value ?? null,
  };
  if (m.headers && m.headers.length > 0) {
    const headers: Record<string, Buffer> = {};
    for (const header of m.headers) {
      for (const [name, value] of Object.entries(header)) {
        if (!(name in headers)) headers[name] = Buffer.isBuffer(value) ? value : Buffer.from(value);
      }
    }
    message.headers = headers;
  }
  return message;
}

/** Runs `tasks` with at most `limit` at a time. */
async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/**
 * The consumer-group runner on node-rdkafka: one poll loop (`consume(n)`, records of every assigned
 * partition), split into per-partition batches, each handed to `eachBatch` and then committed
 * with its explicit offset (asynchronously; synchronously for every handled partition before a
 * revoke's `unassign` and when stopping), before the next poll.
 *
 * Rebalances are eager and go through `rebalance_cb`, which librdkafka lets the application answer
 * later: a revoke waits for the poll in progress and the batches being handled, then calls
 * `onRevoke` and `unassign`; an assign calls `assign` (from the beginning for a group that never
 * commits) and `onAssign`, and records are handled only once both are done. Every revoke starts a
 * new epoch, and the records of a poll that saw one are dropped unhandled: `unassign` follows, and
 * after the next `assign` librdkafka fetches again from the committed offsets, so nothing is
 * skipped. Since the next assignment cannot arrive before `unassign`, and `unassign` waits for the
 * poll, no poll mixes records of two assignments.
 *
 * A failing batch is retried in place with backoff; it is given up (uncommitted, so re-read by the
 * next owner) only when its partition is revoked or the runner stops. A batch handed off with a
 * `BatchAck` is committed once acknowledged, in offset order (an {@link AckWindow}); the poll loop
 * goes on meanwhile, pausing a partition whose window is full. A failed acknowledgement seeks the
 * partition back to the oldest unacknowledged batch.
 */
export function createRdkafkaConsumerGroup(deps: { rdkafka: Rdkafka; connection: RdkafkaConnection; logger: Logger; clientLog?: KafkaClientLog }): ConsumerGroup {
  const { rdkafka, logger } = deps;
  const clientLog = deps.clientLog ?? createKafkaClientLog({ logger });
  const ASSIGN = rdkafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS;
  let consumer: RdkafkaConsumer | null = null;
  let spec: ConsumerGroupSpec | null = null;
  let assigned: PartitionsByTopic = {};
  let epoch = 0;
  let stopping = false;
  /** An assignment (possibly empty) has arrived since `run`: `run` resolves once subscribed, before the join. */
  let hasJoined = false;
  let rebalancing: Promise<void> = Promise.resolve();
  let processing: Promise<void> = Promise.resolve();
  /** The poll in progress, settled or not: a revoke waits for it before `unassign`. */
  let pollInFlight: Promise<unknown> = Promise.resolve();
  let polling: Promise<void> = Promise.resolve();
  /** Offsets after the batches handled since the last synchronous commit, by partition. */
  const handled = new Map<string, RdkafkaTopicPartitionOffset>();
  /** The last poll error reported at warn level, so a lasting condition is not logged every poll. */
  let lastPollError: number | null = null;
  let window: AckWindow | null = null;

  /** Waits (bounded) for handed-off batches to be acknowledged (committed as they are), then drops the rest. */
  async function settleAcks(): Promise<void> {
    if (!window) return;
    const left = await window.settle({ timeoutMs: SETTLE_TIMEOUT_MS, sleep: (ms, signal) => sleep(ms, undefined, { signal }) });
    if (left > 0) logger.warn({ group: spec?.groupId, unacknowledged: left }, 'batches still unacknowledged are given up uncommitted; they will be read again');
    window.forget(toTopicPartitions(assigned));
  }

  async function callback(name: 'onAssign' | 'onRevoke', partitions: PartitionsByTopic): Promise<void> {
    try {
      await spec?.[name]?.(partitions);
    } catch (err) {
      logger.error({ err, group: spec?.groupId, partitions }, `${name} failed`);
    }
  }

  async function handleAssign(partitions: RdkafkaTopicPartition[]): Promise<void> {
    const c = consumer;
    if (!c || !spec) return;
    const fromStart = !spec.commits && spec.fromBeginning;
    const assignment: Array<RdkafkaTopicPartition | RdkafkaTopicPartitionOffset> = partitions.map(({ topic, partition }) =>
      fromStart ? { topic, partition, offset: OFFSET_BEGINNING } : { topic, partition },
    );
    try {
      c.assign(assignment);
    } catch (err) {
      logger.error({ err, group: spec.groupId }, 'assign failed');
      return;
    }
    if (stopping) return;
    assigned = toPartitionsByTopic(partitions);
    logger.info({ group: spec.groupId, assignment: assigned }, 'partitions assigned');
    if (!isEmptyPartitions(assigned)) await callback('onAssign', assigned);
  }

  async function handleRevoke(): Promise<void> {
    // Until `unassign`, librdkafka cannot deliver the next assignment. Waiting for the poll in
    // progress first means no poll ever returns records of both the old and the new assignment:
    // a poll that saw a revoke is dropped whole, and positions restart from the committed offsets.
    await pollInFlight;
    await processing.catch(() => undefined);
    await settleAcks();
    commitHandled();
    const held = assigned;
    assigned = {};
    if (!isEmptyPartitions(held)) {
      logger.info({ group: spec?.groupId, revoked: held }, 'partitions revoked');
      await callback('onRevoke', held);
    }
    try {
      consumer?.unassign();
    } catch (err) {
      logger.warn({ err, group: spec?.groupId }, 'unassign failed');
    }
  }

  function onRebalance(err: LibrdKafkaError | undefined, partitions: RdkafkaTopicPartition[]): void {
    const failed = (error: unknown) => logger.error({ err: error, group: spec?.groupId }, 'rebalance handling failed');
    if (err?.code === ASSIGN) {
      hasJoined = true;
      rebalancing = rebalancing.then(() => handleAssign(partitions)).catch(failed);
    } else {
      // A revoke, or a rebalance error (librdkafka then wants the assignment dropped as well).
      epoch++;
      if (err && err.code !== rdkafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) logger.warn({ err, group: spec?.groupId }, 'rebalance error');
      rebalancing = rebalancing.then(() => handleRevoke()).catch(failed);
    }
  }

  function poll(c: RdkafkaConsumer): Promise<RdkafkaMessage[]> {
    return new Promise((resolve, reject) => c.consume(MAX_POLL_RECORDS, (err, messages) => (err ? reject(err) : resolve(messages))));
  }

  /**
   * Commits after a handled batch, asynchronously: `commitSync` blocked the event loop for a
   * coordinator round trip per partition batch (30 a poll with 30 source partitions), holding up
   * every other stage and push on it. A lost async commit is covered by the next one, and by
   * {@link commitHandled} before a partition is given up or the runner stops.
   */
  function commitAfter(topic: string, partition: number, next: string): void {
    const offsets = { topic, partition, offset: offsetToNumber(next) };
    handled.set(partitionKey(offsets), offsets);
    try {
      consumer!.commit(offsets);
    } catch (err) {
      logger.warn({ err, group: spec?.groupId, ...offsets }, 'commit failed; the next one covers it');
    }
  }

  /**
   * Commits, synchronously and in one request, the offsets after every batch handled since the
   * last call: while the partitions are still this member's (before `unassign`), the broker takes
   * commits of the current generation, so the next owner starts exactly after what was handled.
   */
  function commitHandled(): void {
    if (handled.size === 0 || !consumer) return;
    const offsets = [...handled.values()];
    handled.clear();
    for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
      try {
        consumer.commitSync(offsets);
        return;
      } catch (err) {
        // Not fatal: a crash or a takeover before a later commit re-delivers (de-duplicated downstream).
        logger.warn({ err, group: spec?.groupId, offsets, attempt }, 'commit failed');
      }
    }
  }

  async function handleBatch(batch: PartitionBatch, startedEpoch: number): Promise<void> {
    const acks = window!;
    // A full window holds this partition (and so the next poll) until an acknowledgement arrives.
    await acks.room(batch.topic, batch.partition);
    const firstOffset = batch.messages[0]!.offset;
    const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
    for (let attempt = 1; ; attempt++) {
      if (stopping || epoch !== startedEpoch) return;
      try {
        const handedOff = await spec!.eachBatch(batch);
        acks.track(batch.topic, batch.partition, { firstOffset, lastOffset }, handedOff ? handedOff.acknowledged : Promise.resolve());
        break;
      } catch (err) {
        const delayMs = backoffDelay(attempt, RETRY_BASE_MS, RETRY_MAX_MS);
        logger.error(
          { err, group: spec!.groupId, topic: batch.topic, partition: batch.partition, offset: batch.messages[0]!.offset, attempt, delayMs },
          'batch failed; retrying it',
        );
        await sleep(delayMs);
      }
    }
  }

  async function handleRecords(records: RdkafkaMessage[], startedEpoch: number): Promise<void> {
    const held = new Set(toTopicPartitions(assigned).map(partitionKey));
    const batches = toPartitionBatches(records, (m) => ({ topic: m.topic, partition: m.partition, message: toConsumedMessage(m) })).filter(
      (b) => held.has(partitionKey(b)),
    );
    await runLimited(
      batches.map((batch) => () => handleBatch(batch, startedEpoch)),
      spec!.partitionConcurrency ?? 1,
    );
  }

  async function pollLoop(c: RdkafkaConsumer): Promise<void> {
    while (!stopping) {
      await rebalancing;
      if (stopping) break;
      const startedEpoch = epoch;
      let records: RdkafkaMessage[];
      try {
        const polled = poll(c);
        pollInFlight = polled.catch(() => undefined);
        records = await polled;
        lastPollError = null;
      } catch (err) {
        if (stopping) break;
        const code = (err as LibrdKafkaError).code ?? null;
        if (code !== lastPollError) logger.warn({ err, group: spec?.groupId }, 'poll failed; polling again');
        lastPollError = code;
        await sleep(POLL_TIMEOUT_MS);
        continue;
      }
      // An assign served during this poll may still be running its onAssign: its records wait for it.
      await rebalancing;
      if (stopping || epoch !== startedEpoch || records.length === 0) continue;
      processing = handleRecords(records, startedEpoch);
      await processing;
    }
  }

  async function commit(topic: string, partition: number, offset: string): Promise<void> {
    if (!consumer) throw new Error('consumer group is not running');
    try {
      consumer.commitSync({ topic, partition, offset: offsetToNumber(offset) });
    } catch (err) {
      throw fromRdkafkaError(err, 'commit failed', { topic, partition, offset });
    }
  }

  return {
    async run(runSpec) {
      if (consumer) throw new Error('consumer group already running');
      spec = runSpec;
      hasJoined = false;
      const { global, topic } = consumerConfig(deps.connection, runSpec.groupId, runSpec.fromBeginning);
      const c: RdkafkaConsumer = new rdkafka.KafkaConsumer({ ...global, rebalance_cb: onRebalance }, topic);
      consumer = c;
      window = createAckWindow({
        limit: runSpec.maxUnacknowledged ?? 4,
        commit: (t, partition, next) => {
          if (runSpec.commits && consumer === c) commitAfter(t, partition, next);
        },
        onFailure: (t, partition, offset, err) => {
          // Recovered by the runner itself (the batch is read and handled again): a warning.
          logger.warn({ err, group: runSpec.groupId, topic: t, partition, offset }, 'a handed-off batch was not acknowledged; reading again from its first offset');
          c.seek({ topic: t, partition, offset: offsetToNumber(offset) }, 0, (seekErr) => {
            if (seekErr) logger.error({ err: seekErr, group: runSpec.groupId, topic: t, partition }, 'seek failed; the partition is read again from its committed offset after the next rebalance');
          });
        },
      });
      c.on('event.log', (event) => clientLog.rdkafkaLog(event, { group: runSpec.groupId }));
      // While stopping, librdkafka reports the connections it is closing as errors, which they are not.
      c.on('event.error', (err) =>
        stopping ? logger.debug({ err, group: runSpec.groupId }, 'rdkafka consumer error while stopping') : clientLog.rdkafkaError(err, { group: runSpec.groupId }, 'rdkafka consumer error'),
      );
      await connectClient(c, 'rdkafka consumer');
      c.setDefaultConsumeTimeout(POLL_TIMEOUT_MS);
      c.subscribe(runSpec.topics);
      polling = pollLoop(c).catch((err) => logger.fatal({ err, group: runSpec.groupId }, 'rdkafka poll loop died'));
    },
    commit,
    assignment: () => assigned,
    joined: () => hasJoined && !stopping,
    async stop() {
      const c = consumer;
      if (!c) return;
      stopping = true;
      await polling;
      await rebalancing;
      await settleAcks();
      commitHandled();
      const held = assigned;
      assigned = {};
      if (!isEmptyPartitions(held)) await callback('onRevoke', held);
      // Closing revokes the assignment through rebalance_cb; handleRevoke answers with `unassign` at
      // once. librdkafka's close then sends LeaveGroup: the group rebalances at once instead of
      // waiting for this member's session to time out, so a planned restart takes seconds.
      await disconnectClient(c);
      consumer = null;
    },
  };
}
