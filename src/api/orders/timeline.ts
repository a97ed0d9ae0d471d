import type { CanonicalEvent } from '../../normalize/index.js';
import type { GoldenShipTo } from '../../golden/index.js';
import type { StoredEvent } from '../../sinks/index.js';

/**
 * The facts of one event an agent reads on the order card, by kind: the ship-to of each CRM order
 * image (the card shows an address change as old → new, and when), the item of a line or an
 * after-sales case, a WMS step, a carrier scan. Null for a CRM delete.
 */
export type TimelineDetails =
  | { row_version: number | null; status: string; ship_to: GoldenShipTo }
  | { line_no: number; sku: string; name: string; quantity: number }
  | { case_id: string; case_type: string; status: string; sku: string; quantity: number }
  | { fulfillment_id: string; warehouse_id: string; event_type: string; carrier: string | null; tracking_no: string | null; reason: string | null }
  | { tracking_no: string; carrier: string; event_code: string; location: string | null; eta: string | null; exception_code: string | null }
  | null;

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
  details: TimelineDetails;
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

/** What the card reads of an event (see {@link TimelineDetails}). */
export function detailsOf(event: CanonicalEvent): TimelineDetails {
  switch (event.kind) {
    case 'crm_order': {
      const i = event.image;
      if (i === null) return null;
      return {
        row_version: event.row_version ?? i.row_version,
        status: i.status,
        ship_to: { name: i.ship_name, phone: i.ship_phone, province: i.ship_province, city: i.ship_city, district: i.ship_district, line: i.ship_line, postcode: i.ship_postcode },
      };
    }
    case 'crm_line':
      return event.image === null ? null : { line_no: event.line_no, sku: event.image.sku, name: event.image.name, quantity: event.image.quantity };
    case 'crm_case':
      return event.image === null
        ? null
        : { case_id: event.case_id, case_type: event.image.case_type, status: event.image.status, sku: event.image.sku, quantity: event.image.quantity };
    case 'wms':
      return { fulfillment_id: event.fulfillment_id, warehouse_id: event.warehouse_id, event_type: event.event_type, carrier: event.carrier, tracking_no: event.tracking_no, reason: event.reason };
    case 'tms':
      return {
        tracking_no: event.tracking_no,
        carrier: event.carrier,
        event_code: event.event_code,
        location: event.location,
        eta: event.eta === null ? null : new Date(event.eta).toISOString(),
        exception_code: event.exception_code,
      };
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
    details: detailsOf(e.event),
  }));
}
