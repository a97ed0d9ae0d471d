import { createLocalRouter, type ShipmentLinker, type ViewChange } from '../golden/index.js';
import { eventTime, eventUid, type SourcePosition, type TmsEvent } from '../normalize/index.js';
import type { DeadLetterRow, PendingShipmentRow } from '../sinks/index.js';
import type { Arrival, ShipmentLinkedInput, ShipmentWaitingInput } from '../health/index.js';
import type { Ingestor } from './ingest.js';
import type { MergeItem, MergeStage } from './merge-stage.js';
import type { RawMessage } from './raw-message.js';

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

export interface EmbeddedPipeline {
  /** Runs a batch through ingest → link → merge; rows are buffered in the sink (flush to acknowledge). */
  process(messages: readonly RawMessage[]): Promise<BatchResult>;
  /**
   * Puts tracking events that were waiting for their order before a restart (from
   * `pending_shipment_events`) back into the linker; those whose link is known by now go on to
   * the merge at once.
   */
  restorePending(waiting: ReadonlyArray<{ event: TmsEvent; position: SourcePosition; waitingSince: number }>): Promise<ViewChange[]>;
  /** Tracking events waiting for their order right now. */
  readonly pendingCount: number;
}

/**
 * All three stages in one process, with function calls in place of the internal topics: the same
 * ingest, linker and merge code as the Kafka workers, so one worker and the embedded mode agree.
 * Every order is owned by partition 0 here. Tracking events that wait for their order are kept in
 * `pending_shipment_events` (and marked resolved when they move on), so a restart loses none.
 */
export function createEmbeddedPipeline(deps: {
  ingestor: Ingestor;
  linker: ShipmentLinker;
  merge: MergeStage;
  sink: { writeDeadLetters(rows: DeadLetterRow[]): void; writePendingShipments(rows: PendingShipmentRow[]): void };
  now: () => number;
}): EmbeddedPipeline {
  const { ingestor, merge, sink, now, linker } = deps;
  const route = createLocalRouter(linker);
  /** Waiting tracking events: where they came from and since when, for the pending table. */
  const waiting = new Map<string, { position: SourcePosition; since: number }>();

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
  ): void {
    let forwardedSelf = false;
    for (const r of route(event, at)) {
      let from = position;
      if (r.event.kind === 'tms') {
        if (event.kind === 'tms' && r.event.event_id === event.event_id) forwardedSelf = true;
        const w = waiting.get(r.event.event_id);
        if (w !== undefined) {
          // A tracking event that had to wait moves on now, with the position it arrived with.
          waiting.delete(r.event.event_id);
          from = w.position;
          pending.push(pendingRow(r.event, w.position, w.since, 1));
          shipments.push({ type: 'shipment_linked', trackingNo: r.event.tracking_no, orderId: r.orderId, linkedAt: eventTime(event) });
        }
      }
      items.push({ orderId: r.orderId, event: r.event, position: from, ownerPartition: 0 });
    }
    if (event.kind === 'tms' && !forwardedSelf && !waiting.has(event.event_id)) {
      waiting.set(event.event_id, { position, since: at });
      pending.push(pendingRow(event, position, at, 0));
      shipments.push({ type: 'shipment_waiting', trackingNo: event.tracking_no, eventTime: event.occurred_at });
    }
  }

  return {
    async process(messages) {
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
          routeOne(outcome.event, outcome.position, items, pending, at, shipments);
        } else if (outcome.type === 'tombstone') {
          tombstones++;
        } else {
          dead.push(outcome.deadLetter);
        }
      }
      if (dead.length > 0) sink.writeDeadLetters(dead);
      if (pending.length > 0) sink.writePendingShipments(pending);
      const changes = await merge.merge(items);
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
  };
}
