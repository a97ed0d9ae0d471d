/**
 * The golden order view: one JSON document per order, exactly as the contract names and nests its
 * fields. Timestamps are ISO-8601 UTC strings with milliseconds, decimals canonical strings.
 */

export interface GoldenCustomer {
  id: string;
  name: string;
  phone: string;
  member_tier: string | null;
}

export interface GoldenShipTo {
  name: string;
  phone: string;
  province: string;
  city: string;
  district: string | null;
  line: string;
  postcode: string | null;
}

export interface GoldenLine {
  line_no: number;
  sku: string;
  name: string;
  quantity: number;
  unit_price: string;
}

export interface GoldenPayment {
  status: 'PAID' | 'UNPAID';
  paid_at: string | null;
}

export interface GoldenFulfillment {
  fulfillment_id: string;
  warehouse_id: string;
  store_id: string | null;
  /** The raw WMS `event_type` of the newest event. */
  status: string;
  tracking_no: string | null;
  carrier: string | null;
}

export interface GoldenShipment {
  tracking_no: string;
  carrier: string;
  status: string;
  location: string | null;
  eta: string | null;
  delivered_at: string | null;
  exception_code: string | null;
}

export interface GoldenAfterSalesCase {
  case_id: string;
  case_type: string;
  status: string;
  sku: string;
  quantity: number;
  refund_amount: string | null;
  replacement_sku: string | null;
}

export interface GoldenSourceStats {
  /** Newest event time seen from the source (CRM `source.ts_ms`, WMS/TMS `occurred_at`). */
  last_event_at: string;
  /** Distinct events applied, late older images included. */
  events: number;
}

export interface GoldenSources {
  crm: GoldenSourceStats | null;
  wms: GoldenSourceStats | null;
  tms: GoldenSourceStats | null;
}

/** Everything of the view that derives from the order's events (no processing-time fields). */
export interface GoldenViewBody {
  order_id: string;
  channel: string | null;
  currency: string | null;
  gift_order: boolean | null;
  buyer_note: string | null;
  customer: GoldenCustomer | null;
  ship_to: GoldenShipTo | null;
  address_changes: number;
  lines: GoldenLine[];
  total_amount: string | null;
  payment: GoldenPayment | null;
  fulfillments: GoldenFulfillment[];
  shipments: GoldenShipment[];
  after_sales: GoldenAfterSalesCase[];
  created_at: string | null;
  paid_at: string | null;
  promised_delivery_at: string | null;
  released_at: string | null;
  packed_at: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  cancelled_at: string | null;
  status: string | null;
  on_time: boolean | null;
  exceptions: string[];
  sources: GoldenSources;
}

/** The view as served and stored: the body plus its version and when it last changed. */
export interface GoldenView extends GoldenViewBody {
  /** Rises by one each time the view changes. */
  version: number;
  /** Processing time of the last change, ISO-8601 UTC. */
  updated_at: string;
}

/** The body's top-level field names, in contract order. */
export const GOLDEN_BODY_FIELDS: ReadonlyArray<keyof GoldenViewBody> = [
  'order_id',
  'channel',
  'currency',
  'gift_order',
  'buyer_note',
  'customer',
  'ship_to',
  'address_changes',
  'lines',
  'total_amount',
  'payment',
  'fulfillments',
  'shipments',
  'after_sales',
  'created_at',
  'paid_at',
  'promised_delivery_at',
  'released_at',
  'packed_at',
  'shipped_at',
  'delivered_at',
  'cancelled_at',
  'status',
  'on_time',
  'exceptions',
  'sources',
];
