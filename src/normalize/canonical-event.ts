/**
 * The canonical order events: what normalize produces from any source and what the golden merge
 * consumes. Every timestamp is epoch milliseconds (UTC instants; ZonedTimestamp truncated,
 * MicroTimestamp floored), every decimal a canonical string at its schema scale ("199.00").
 * Plain JSON-serialisable objects: they travel through internal Kafka topics and the lake table.
 */

/** Debezium operation: create, update, delete, snapshot read. */
export type CrmOp = 'c' | 'u' | 'd' | 'r';

export type SourceSystem = 'crm' | 'wms' | 'tms';

export interface OrderImage {
  order_id: string;
  channel: string;
  customer_id: string;
  customer_name: string;
  customer_phone: string;
  member_tier: string | null;
  /** CREATED | PAID | CANCELLED | CLOSED */
  status: string;
  currency: string;
  total_amount: string;
  ship_name: string;
  ship_phone: string;
  ship_province: string;
  ship_city: string;
  ship_district: string | null;
  ship_line: string;
  ship_postcode: string | null;
  gift_order: boolean;
  buyer_note: string | null;
  promised_delivery_at: number | null;
  created_at: number;
  paid_at: number | null;
  updated_at: number;
  row_version: number;
}

export interface LineImage {
  order_id: string;
  line_no: number;
  sku: string;
  name: string;
  quantity: number;
  unit_price: string;
  updated_at: number;
}

export interface CaseImage {
  case_id: string;
  order_id: string;
  /** RETURN | EXCHANGE | REFUND_ONLY */
  case_type: string;
  /** REQUESTED | APPROVED | REJECTED | ITEM_RECEIVED | REFUNDED | REPLACEMENT_SHIPPED | CLOSED */
  status: string;
  sku: string;
  quantity: number;
  refund_amount: string | null;
  replacement_sku: string | null;
  created_at: number;
  updated_at: number;
}

interface CrmEventBase {
  source: 'crm';
  op: CrmOp;
  /** Debezium `source.lsn`; the reference CRM always sets it. */
  lsn: number;
  /** Debezium `source.ts_ms`: commit time in the CRM database, ms. */
  ts_ms: number;
  order_id: string;
}

/** A change of `public.orders`. `image` is the `after` image; null for a delete (op `d`). */
export interface CrmOrderEvent extends CrmEventBase {
  kind: 'crm_order';
  /** `after.row_version`, or `before.row_version` for a delete (null when neither image has it). */
  row_version: number | null;
  image: OrderImage | null;
}

/** A change of `public.order_lines`. `image` is null for a delete. */
export interface CrmLineEvent extends CrmEventBase {
  kind: 'crm_line';
  line_no: number;
  image: LineImage | null;
}

/** A change of `public.after_sales`. `image` is null for a delete. */
export interface CrmCaseEvent extends CrmEventBase {
  kind: 'crm_case';
  case_id: string;
  image: CaseImage | null;
}

export interface WmsEvent {
  kind: 'wms';
  source: 'wms';
  event_id: string;
  /** Raw WMS event type (RELEASED … CANCELLED, REROUTED, UNKNOWN). */
  event_type: string;
  occurred_at: number;
  warehouse_id: string;
  fulfillment_id: string;
  /** The CRM order id (`external_order_no`). */
  order_id: string;
  carrier: string | null;
  tracking_no: string | null;
  reason: string | null;
  store_id: string | null;
}

export interface TmsEvent {
  kind: 'tms';
  source: 'tms';
  event_id: string;
  tracking_no: string;
  carrier: string;
  fulfillment_ref: string | null;
  /** The order, when the carrier knows it; else found through linking. */
  order_ref: string | null;
  event_code: string;
  occurred_at: number;
  location: string | null;
  eta: number | null;
  exception_code: string | null;
}

export type CrmEvent = CrmOrderEvent | CrmLineEvent | CrmCaseEvent;
export type CanonicalEvent = CrmEvent | WmsEvent | TmsEvent;

/** Where a raw input came from: a Kafka message, a replay file line or the simulator. */
export interface SourcePosition {
  topic: string;
  partition: number;
  /** Kafka offset as a decimal string (int64), or the line's position within its topic in a replay. */
  offset: string;
  /** Kafka append time (or replay/simulator timestamp), epoch ms. */
  timestamp: number;
  /** 1-based replay file line, when the input came from a replay file. */
  line?: number;
}

/** A canonical event with the position of the raw input it was normalized from. */
export interface PositionedEvent {
  event: CanonicalEvent;
  position: SourcePosition;
}

/**
 * The identity used for de-duplication: CRM by topic + key + lsn (tombstones are never events),
 * WMS and TMS by `event_id`.
 */
export function eventUid(event: CanonicalEvent): string {
  switch (event.kind) {
    case 'crm_order':
      return `crm.orders|${event.order_id}|${event.lsn}`;
    case 'crm_line':
      return `crm.lines|${event.order_id}|${event.line_no}|${event.lsn}`;
    case 'crm_case':
      return `crm.cases|${event.case_id}|${event.lsn}`;
    case 'wms':
      return `wms|${event.event_id}`;
    case 'tms':
      return `tms|${event.event_id}`;
  }
}

/** The event time used for `sources.*.last_event_at`: CRM `source.ts_ms`, WMS/TMS `occurred_at`. */
export function eventTime(event: CanonicalEvent): number {
  return event.source === 'crm' ? event.ts_ms : event.occurred_at;
}
