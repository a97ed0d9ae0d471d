/**
 * The closed sets a rule file may name. Rules are declarative: a rule picks from these lists, and
 * anything else is refused when the file is loaded, so a typo never becomes a rule that silently
 * never fires.
 */

/** How urgent a case is; the console's queue sorts by it (critical first), then by age. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The source systems whose arrivals the source rules watch. */
export const SOURCE_SYSTEMS = ['crm', 'wms', 'tms'] as const;
export type SourceSystem = (typeof SOURCE_SYSTEMS)[number];

/**
 * What a playbook step asks an agent or a service to do. Fixed so that a service can automate a
 * step by its action (re-release through the WMS API, open a carrier ticket) without parsing text.
 */
export const PLAYBOOK_ACTIONS = [
  're_release_to_warehouse',
  'ask_carrier',
  'contact_customer',
  'intercept_parcel',
  'check_source_system',
  'refund_customer',
  'reship_order',
  'escalate',
] as const;
export type PlaybookAction = (typeof PLAYBOOK_ACTIONS)[number];

/** Timestamps of the golden view a `waiting` rule can start from or wait for. */
export const VIEW_TIME_FIELDS = [
  'created_at',
  'paid_at',
  'promised_delivery_at',
  'released_at',
  'packed_at',
  'shipped_at',
  'delivered_at',
  'cancelled_at',
] as const;
export type ViewTimeField = (typeof VIEW_TIME_FIELDS)[number];

/** Canonical statuses (contract, "Canonical status"). */
export const CANONICAL_STATUSES = [
  'CREATED', 'PAID', 'RELEASED', 'PICKING', 'PACKED', 'SHIPPED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED',
  'PARTIALLY_SHIPPED', 'PARTIALLY_DELIVERED', 'CANCELLED', 'FULFILLMENT_CANCELLED', 'DELIVERY_EXCEPTION',
  'RETURNED_TO_SENDER', 'RETURN_REQUESTED', 'RETURN_RECEIVED', 'REFUNDED', 'EXCHANGE_REQUESTED', 'EXCHANGE_SHIPPED',
] as const;
export type CanonicalStatus = (typeof CANONICAL_STATUSES)[number];

/** A shipment's `status` in the view: the code of its newest TMS event (or RETURNED_TO_SENDER). */
export const SHIPMENT_STATUSES = [
  'LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'ARRIVED_AT_HUB', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPTED',
  'DELIVERED', 'EXCEPTION', 'RETURNED_TO_SENDER',
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** Exception codes of the view (contract, "Exceptions"). */
export const ORDER_EXCEPTION_CODES = [
  'ADDRESS_CHANGED_AFTER_PACKING', 'CANCELLED_AFTER_SHIPMENT', 'SHIPPED_AFTER_CANCELLATION', 'SHORT_PICK',
  'FULFILLMENT_CANCELLED', 'LATE_DELIVERY', 'DELIVERY_OVERDUE', 'ETA_BEYOND_PROMISE', 'DELIVERY_EXCEPTION',
] as const;
export type OrderExceptionCode = (typeof ORDER_EXCEPTION_CODES)[number];

/** Top-level fields of the golden view a rule may copy into a case's evidence. */
export const EVIDENCE_FIELDS = [
  'channel', 'gift_order', 'ship_to', 'address_changes', 'lines', 'total_amount', 'payment', 'fulfillments', 'shipments', 'after_sales',
  'created_at', 'paid_at', 'promised_delivery_at', 'released_at', 'packed_at', 'shipped_at', 'delivered_at',
  'cancelled_at', 'status', 'on_time', 'exceptions', 'sources',
] as const;
export type EvidenceField = (typeof EVIDENCE_FIELDS)[number];

/** The statistic over the recent arrivals of a source that a `source_lagging` rule compares. */
export const LAG_STATISTICS = ['p50', 'p90', 'max'] as const;
export type LagStatistic = (typeof LAG_STATISTICS)[number];
