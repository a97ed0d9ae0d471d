import type { CaseImage, LineImage, OrderImage, TmsEvent, WmsEvent } from './canonical-event.js';
import type { EmitKind, FieldType } from './pipeline-schema.js';

/** What JavaScript value a canonical field holds, which decides the conversions that may feed it. */
export type CanonicalValueKind = 'string' | 'decimal' | 'integer' | 'timestamp' | 'boolean';

/** What the canonical event type says about one field; the loader checks mappings against it. */
export interface CanonicalFieldSpec {
  readonly kind: CanonicalValueKind;
  /** Whether the canonical type allows null. */
  readonly nullable: boolean;
}

type FieldTable<T> = { readonly [K in keyof T]-?: CanonicalFieldSpec };

const str = { kind: 'string', nullable: false } as const;
const strN = { kind: 'string', nullable: true } as const;
const dec = { kind: 'decimal', nullable: false } as const;
const decN = { kind: 'decimal', nullable: true } as const;
const int = { kind: 'integer', nullable: false } as const;
const ts = { kind: 'timestamp', nullable: false } as const;
const tsN = { kind: 'timestamp', nullable: true } as const;
const bool = { kind: 'boolean', nullable: false } as const;

const ORDER_FIELDS: FieldTable<OrderImage> = {
  order_id: str,
  channel: str,
  customer_id: str,
  customer_name: str,
  customer_phone: str,
  member_tier: strN,
  status: str,
  currency: str,
  total_amount: dec,
  ship_name: str,
  ship_phone: str,
  ship_province: str,
  ship_city: str,
  ship_district: strN,
  ship_line: str,
  ship_postcode: strN,
  gift_order: bool,
  buyer_note: strN,
  promised_delivery_at: tsN,
  created_at: ts,
  paid_at: tsN,
  updated_at: ts,
  row_version: int,
};

const LINE_FIELDS: FieldTable<LineImage> = {
  order_id: str,
  line_no: int,
  sku: str,
  name: str,
  quantity: int,
  unit_price: dec,
  updated_at: ts,
};

const CASE_FIELDS: FieldTable<CaseImage> = {
  case_id: str,
  order_id: str,
  case_type: str,
  status: str,
  sku: str,
  quantity: int,
  refund_amount: decN,
  replacement_sku: strN,
  created_at: ts,
  updated_at: ts,
};

type MappedWms = Omit<WmsEvent, 'kind' | 'source'>;
type MappedTms = Omit<TmsEvent, 'kind' | 'source'>;

const WMS_FIELDS: FieldTable<MappedWms> = {
  event_id: str,
  event_type: str,
  occurred_at: ts,
  warehouse_id: str,
  fulfillment_id: str,
  order_id: str,
  carrier: strN,
  tracking_no: strN,
  reason: strN,
  store_id: strN,
};

const TMS_FIELDS: FieldTable<MappedTms> = {
  event_id: str,
  tracking_no: str,
  carrier: str,
  fulfillment_ref: strN,
  order_ref: strN,
  event_code: str,
  occurred_at: ts,
  location: strN,
  eta: tsN,
  exception_code: strN,
};

/**
 * The canonical fields a pipeline must map for each kind: the row image for CRM kinds (the envelope
 * fields `op`, `lsn`, `ts_ms` come from Debezium's `op` and `source`), the event itself for WMS and
 * TMS. Kept beside the canonical types so the two cannot drift: the tables are typed against them.
 */
export const CANONICAL_FIELDS: Readonly<Record<EmitKind, Readonly<Record<string, CanonicalFieldSpec>>>> = {
  crm_order: ORDER_FIELDS,
  crm_line: LINE_FIELDS,
  crm_case: CASE_FIELDS,
  wms: WMS_FIELDS,
  tms: TMS_FIELDS,
};

/** The envelope each kind needs: CRM kinds are Debezium change events, WMS and TMS plain records. */
export const ENVELOPE_OF_KIND: Readonly<Record<EmitKind, 'debezium' | 'plain'>> = {
  crm_order: 'debezium',
  crm_line: 'debezium',
  crm_case: 'debezium',
  wms: 'plain',
  tms: 'plain',
};

/** Conversions allowed to feed each canonical value kind. */
export const TYPES_FOR_KIND: Readonly<Record<CanonicalValueKind, readonly FieldType[]>> = {
  string: ['string'],
  decimal: ['decimal'],
  integer: ['int', 'long'],
  timestamp: ['zoned-timestamp', 'micro-timestamp', 'millis-timestamp'],
  boolean: ['boolean'],
};
