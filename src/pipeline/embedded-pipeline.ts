import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createLocalRouter, type ShipmentLinker, type ViewChange } from '../golden/index.js';
import { eventTime, eventUid, type SourcePosition, type TmsEvent } from '../normalize/index.js';
import type { DeadLetterRow, PendingShipmentRow, RawEventRow } from '../sinks/index.js';
import type { Arrival, ShipmentLinkedInput, ShipmentWaitingInput } from '../health/index.js';
import type { Ingestor } from './ingest.js';
import type { MergeItem, MergeStage } from './merge-stage.js';
import type { RawMessage } from './raw-message.js';
import { rawEventRows } from './raw-event.js';

export interface BatchResult {
  events: number;
  tombstones: number;
  deadLetters: number;
  changes: ViewChange[];
  /** Every source event of the batch in arrival order: source, event time, Kafka (or recorded) time. */
  arrivals: Arrival[];
  /** Tracking events that started waiting for their order link, and waits that ended, in order. */
  shipments: Array<ShipmentWaitingInput | ShipmentLinkedInput>;
}

/** The next offset to read of a source partition: everything before it is stored (as a Kafka commit). */
export interface AcknowledgedPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface EmbeddedPipeline {
  /**
   * Runs a batch through ingest → link → merge; its rows go to the sink, and the batch counts as
   * unacknowledged until a commit-lane flush started after it has stored them. With `ackWindow`
   * batches unacknowledged, `process` first waits for room: the caller (the source) is paused
   * instead of buffering without bound while ClickHouse is slow or down.
   */
  process(messages: readonly RawMessage[]): Promise<BatchResult>;
  /** Batches processed and not yet acknowledged (their commit-lane rows not all stored). */
  readonly unacknowledged: number;
  /** Per source partition, the position up to which every batch is acknowledged, in offset order. */
  acknowledged(): AcknowledgedPosition[];
  /** Resolves once every batch processed so far is acknowledged. */
  settle(): Promise<void>;
  /** Stops retrying acknowledgements (the runtime is closing; the sink's close flushes what is left). */
  stop(): void;
  /**
   * Puts tracking events that were waiting for their order before a restart (from
   * `pending_shipment_events`) back into the linker; those whose link is known by now go on to
   * the merge at once.
   */
  restorePending(waiting: ReadonlyArray<{ event: TmsEvent; position: SourcePosition; waitingSince: number }>): Promise<ViewChange[]>;
  /** Tracking events waiting for their order right now. */
  readonly pendingCount: number;
}

/** Default of `ackWindow`: as ORDERLAKE_ACK_WINDOW. */
const DEFAULT_ACK_WINDOW = 4;
/** Default pause between two failed acknowledgement flushes, ms (each already retried by the sink). */
const DEFAULT_ACK_RETRY_MS = 1000;

/**
 * All three stages in one process, with function calls in place of the internal topics: the same
 * ingest, linker and merge code as the Kafka workers, so one worker and the embedded mode agree.
 * Every order is owned by partition 0 here. Tracking events that wait for their order are kept in
 * `pending_shipment_events` (and marked resolved when they move on), so a restart loses none.
 *
 * Backpressure as on Kafka ("acknowledge and move on"): a batch is handed off once merged, its
 * acknowledgement is a flush of the sink's commit lane, and at most `ackWindow` batches wait for
 * theirs before `process` pauses its caller. A failed flush leaves the rows buffered in the sink
 * and is tried again after `retryMs` (until `stop`); positions are acknowledged only in order, and
 * only once stored.
 */
export function createEmbeddedPipeline(deps: {
  ingestor: Ingestor;
  linker: ShipmentLinker;
  merge: MergeStage;
  sink: {
    writeDeadLetters(rows: DeadLetterRow[]): void;
    writePendingShipments(rows: PendingShipmentRow[]): void;
    /** Keeps each source message's bytes (`raw_events`, commit lane); absent: not kept. */
    writeRawEvents?(rows: RawEventRow[]): void;
    /** Stores every lake, pending-shipment and dead-letter row written before the call. */
    flushCommitLane(): Promise<void>;
  };
  now: () => number;
  logger: Logger;
  /** Batches processed and not yet acknowledged before `process` waits. Default 4. */
  ackWindow?: number;
  /** Pause after a failed acknowledgement flush before the next, ms. Default 1000. */
  retryMs?: number;
  /** Waits `ms` (tests move time themselves). Default: a timer that does not hold the process. */
  sleep?: (ms: number) => Promise<void>;
  /** Called with the number of unacknowledged batches whenever it changes (a gauge). */
  onUnacknowledged?: (batches: number) => void;
}): EmbeddedPipeline {
  const { ingestor, merge, sink, now, linker, logger } = deps;
  const ackWindow = deps.ackWindow ?? DEFAULT_ACK_WINDOW;
  if (!Number.isInteger(ackWindow) || ackWindow < 1) throw new RangeError(`ackWindow must be a positive integer, got ${ackWindow}`);
  const retryMs = deps.retryMs ?? DEFAULT_ACK_RETRY_MS;
  const sleep = deps.sleep ?? ((ms: number) => delay(ms, undefined, { ref: false }));
  /** Batches processed and not yet acknowledged, oldest first: the next offset of each partition they read. */
  const unacknowledged: Array<Map<string, AcknowledgedPosition>> = [];
  const acknowledged = new Map<string, AcknowledgedPosition>();
  /** Callers of `process` waiting for room, and of `settle` waiting for everything. */
  let roomWaiters: Array<() => void> = [];
  let settleWaiters: Array<() => void> = [];
  let acking: Promise<void> | null = null;
  let stopped = false;

  const changed = () => deps.onUnacknowledged?.(unacknowledged.length);

  function wake(): void {
    if (unacknowledged.length < ackWindow || stopped) {
      const waiters = roomWaiters;
      roomWaiters = [];
      for (const w of waiters) w();
    }
    if (unacknowledged.length === 0 || stopped) {
      const waiters = settleWaiters;
      settleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Flushes the commit lane until every batch tracked is acknowledged; failures wait and try again. */
  async function acknowledge(): Promise<void> {
    while (unacknowledged.length > 0 && !stopped) {
      // Every row of these batches was written before this flush starts: it stores them all.
      const covered = unacknowledged.length;
      try {
        await sink.flushCommitLane();
      } catch (err) {
        logger.warn({ err, unacknowledged: unacknowledged.length, retryMs }, 'embedded batches not acknowledged (ClickHouse flush failed); the source stays paused while the window is full, and the flush is tried again');
        await sleep(retryMs);
        continue;
      }
      for (const batch of unacknowledged.splice(0, covered)) {
        for (const [k, position] of batch) acknowledged.set(k, position);
      }
      changed();
      wake();
    }
  }

  function track(messages: readonly RawMessage[]): void {
    const positions = new Map<string, AcknowledgedPosition>();
    for (const m of messages) {
      if (!/^\d+$/.test(m.offset)) continue; // not a position (hand-made input): nothing to acknowledge
      const k = `${m.topic}\u0000${m.partition}`;
      const next = (BigInt(m.offset) + 1n).toString();
      const held = positions.get(k);
      if (held === undefined || BigInt(held.offset) < BigInt(next)) positions.set(k, { topic: m.topic, partition: m.partition, offset: next });
    }
    unacknowledged.push(positions);
    changed();
    acking ??= acknowledge().finally(() => {
      acking = null;
      wake();
    });
  }

  async function room(): Promise<void> {
    while (unacknowledged.length >= ackWindow && !stopped) await new Promise<void>((resolve) => roomWaiters.push(resolve));
  }
  const route = createLocalRouter(linker);
  /** Waiting tracking events: where they came from and since when, for the pending table. */
  const waiting = new Map<string, { position: SourcePosition; since: number; configVersion?: string }>();

  function pendingRow(event: TmsEvent, position: SourcePosition, since: number, resolved: 0 | 1): PendingShipmentRow {
    const keys = [`tn:${event.tracking_no}`];
    if (event.fulfillment_ref) keys.push(`ff:${event.fulfillment_ref}`);
    return {
      event_uid: eventUid(event),
      tracking_no: event.tracking_no,
      link_partition: 0,
      link_keys: keys,
      topic: position.topic,
      partition: position.partition,
      offset: position.offset,
      line: position.line ?? 0,
      event_time: eventTime(event),
      kafka_time: position.timestamp,
      ingested_at: since,
      payload: JSON.stringify(event),
      resolved,
    };
  }

  /** Routes one event; collects merge items, pending-table rows and shipment waits begun or ended. */
  function routeOne(
    event: MergeItem['event'],
    position: SourcePosition,
    items: MergeItem[],
    pending: PendingShipmentRow[],
    at: number,
    shipments: BatchResult['shipments'],
    configVersion?: string,
  ): void {
    let forwardedSelf = false;
    for (const r of route(event, at)) {
      let from = position;
      let version = configVersion;
      if (r.event.kind === 'tms') {
        if (event.kind === 'tms' && r.event.event_id === event.event_id) forwardedSelf = true;
        const w = waiting.get(r.event.event_id);
        if (w !== undefined) {
          // A tracking event that had to wait moves on now, with the position it arrived with.
          waiting.delete(r.event.event_id);
          from = w.position;
          // Normalized when it arrived: the version of that batch, not of the one that linked it.
          version = w.configVersion;
          pending.push(pendingRow(r.event, w.position, w.since, 1));
          shipments.push({ type: 'shipment_linked', trackingNo: r.event.tracking_no, orderId: r.orderId, linkedAt: eventTime(event) });
        }
      }
      items.push({ orderId: r.orderId, event: r.event, position: from, ownerPartition: 0, ...(version !== undefined ? { configVersion: version } : {}) });
    }
    if (event.kind === 'tms' && !forwardedSelf && !waiting.has(event.event_id)) {
      waiting.set(event.event_id, { position, since: at, ...(configVersion !== undefined ? { configVersion } : {}) });
      pending.push(pendingRow(event, position, at, 0));
      shipments.push({ type: 'shipment_waiting', trackingNo: event.tracking_no, eventTime: event.occurred_at });
    }
  }

  return {
    async process(messages) {
      await room();
      const outcomes = await ingestor.ingestBatch(messages);
      const items: MergeItem[] = [];
      const dead: DeadLetterRow[] = [];
      const pending: PendingShipmentRow[] = [];
      const arrivals: Arrival[] = [];
      const shipments: BatchResult['shipments'] = [];
      let events = 0;
      let tombstones = 0;
      const at = now();
      for (const outcome of outcomes) {
        if (outcome.type === 'event') {
          events++;
          arrivals.push({ source: outcome.event.source, eventTime: eventTime(outcome.event), arrivedAt: outcome.position.timestamp });
          routeOne(outcome.event, outcome.position, items, pending, at, shipments, outcome.configVersion);
        } else if (outcome.type === 'tombstone') {
          tombstones++;
        } else {
          dead.push(outcome.deadLetter);
        }
      }
      if (dead.length > 0) sink.writeDeadLetters(dead);
      if (sink.writeRawEvents) {
        const raw = rawEventRows(messages, outcomes, at);
        if (raw.length > 0) sink.writeRawEvents(raw);
      }
      if (pending.length > 0) sink.writePendingShipments(pending);
      const changes = await merge.merge(items);
      if (messages.length > 0) track(messages);
      return { events, tombstones, deadLetters: dead.length, changes, arrivals, shipments };
    },
    async restorePending(list) {
      const items: MergeItem[] = [];
      const pending: PendingShipmentRow[] = [];
      for (const w of list) {
        // Known as waiting since it first arrived: a re-wait must not reset its orphan age.
        waiting.set(w.event.event_id, { position: w.position, since: w.waitingSince });
        const routed = route(w.event, w.waitingSince);
        for (const r of routed) {
          const from = r.event.kind === 'tms' ? waiting.get(r.event.event_id) : undefined;
          if (r.event.kind === 'tms' && from !== undefined) {
            waiting.delete(r.event.event_id);
            pending.push(pendingRow(r.event, from.position, from.since, 1));
          }
          items.push({ orderId: r.orderId, event: r.event, position: from?.position ?? w.position, ownerPartition: 0 });
        }
      }
      if (pending.length > 0) sink.writePendingShipments(pending);
      return merge.merge(items);
    },
    get pendingCount() {
      return waiting.size;
    },
    get unacknowledged() {
      return unacknowledged.length;
    },
    acknowledged: () => [...acknowledged.values()].map((p) => ({ ...p })),
    settle() {
      if (unacknowledged.length === 0 || stopped) return Promise.resolve();
      return new Promise((resolve) => settleWaiters.push(resolve));
    },
    stop() {
      stopped = true;
      wake();
    },
  };
}
