import type { CanonicalEvent } from '../../normalize/index.js';
import type { StoredEvent } from '../../sinks/index.js';

/** One line of an order's history, as an agent reads it. */
export interface TimelineEntry {
  /** The event's own time, ISO-8601 UTC. */
  event_time: string;
  source: StoredEvent['source'];
  kind: StoredEvent['kind'];
  /** CRM: the Debezium op (c, u, d, r); WMS: the event type; TMS: the event code. */
  type: string;
  summary: string;
  topic: string;
  partition: number;
  offset: string;
  /** Replay file line, or null. */
  line: number | null;
  /** When orderlake received it (merge stage), ISO-8601 UTC. */
  ingested_at: string;
  /** ingested_at − event_time, ms: how late the event reached orderlake (negative with clock skew). */
  lag_ms: number;
  event_uid: string;
}

const deleted = ' (deleted)';

/** A one-line description of a canonical event: what happened, to what. */
export function summarize(event: CanonicalEvent): { type: string; summary: string } {
  switch (event.kind) {
    case 'crm_order':
      return {
        type: event.op,
        summary: event.image === null ? `order ${event.order_id}${deleted}` : `order row v${event.row_version ?? event.image.row_version}: ${event.image.status}`,
      };
    case 'crm_line':
      return {
        type: event.op,
        summary: event.image === null ? `line ${event.line_no}${deleted}` : `line ${event.line_no}: ${event.image.sku} × ${event.image.quantity}`,
      };
    case 'crm_case':
      return {
        type: event.op,
        summary: event.image === null ? `case ${event.case_id}${deleted}` : `case ${event.case_id}: ${event.image.case_type} ${event.image.status}`,
      };
    case 'wms': {
      const tracking = event.tracking_no === null ? '' : ` (${event.carrier ?? '?'} ${event.tracking_no})`;
      return { type: event.event_type, summary: `${event.event_type} ${event.fulfillment_id} at ${event.warehouse_id}${tracking}` };
    }
    case 'tms': {
      const where = event.location === null ? '' : ` at ${event.location}`;
      const problem = event.exception_code === null ? '' : ` [${event.exception_code}]`;
      return { type: event.event_code, summary: `${event.event_code} ${event.carrier} ${event.tracking_no}${where}${problem}` };
    }
  }
}

/** The timeline entries of stored events, keeping their order (event time, then source position). */
export function toTimeline(events: readonly StoredEvent[]): TimelineEntry[] {
  return events.map((e) => ({
    event_time: new Date(e.event_time).toISOString(),
    source: e.source,
    kind: e.kind,
    ...summarize(e.event),
    topic: e.topic,
    partition: e.partition,
    offset: e.offset,
    line: e.line > 0 ? e.line : null,
    ingested_at: new Date(e.ingested_at).toISOString(),
    lag_ms: e.ingested_at - e.event_time,
    event_uid: e.event_uid,
  }));
}
