/**
 * JSON schema of the golden order view, exactly as the contract names and nests its fields. It
 * documents the view in the OpenAPI document and serializes responses; objects allow additional
 * properties so that a field added to the view is never silently dropped from the answer.
 */

const timestamp = { type: ['string', 'null'], format: 'date-time', description: 'ISO-8601 UTC with milliseconds, or null' } as const;
const decimal = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'canonical decimal at the schema scale' } as const;
const nullableString = { type: ['string', 'null'] } as const;

/** A ship-to address, as the golden view and the timeline's CRM order details carry it. */
export const shipToProperties = {
  name: { type: 'string' },
  phone: { type: 'string' },
  province: { type: 'string' },
  city: { type: 'string' },
  district: nullableString,
  line: { type: 'string' },
  postcode: nullableString,
} as const;
export const SHIP_TO_REQUIRED = ['name', 'phone', 'province', 'city', 'district', 'line', 'postcode'];

const sourceStats = {
  type: ['object', 'null'],
  additionalProperties: true,
  properties: { last_event_at: { type: 'string', format: 'date-time' }, events: { type: 'integer' } },
  required: ['last_event_at', 'events'],
} as const;

export const goldenViewSchema = {
  type: 'object',
  description: 'The golden order view (see the contract, "The golden order view").',
  additionalProperties: true,
  properties: {
    order_id: { type: 'string' },
    channel: nullableString,
    currency: nullableString,
    gift_order: { type: ['boolean', 'null'] },
    buyer_note: nullableString,
    customer: {
      type: ['object', 'null'],
      additionalProperties: true,
      properties: { id: { type: 'string' }, name: { type: 'string' }, phone: { type: 'string' }, member_tier: nullableString },
      required: ['id', 'name', 'phone', 'member_tier'],
    },
    ship_to: { type: ['object', 'null'], additionalProperties: true, properties: shipToProperties, required: SHIP_TO_REQUIRED },
    address_changes: { type: 'integer' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: { line_no: { type: 'integer' }, sku: { type: 'string' }, name: { type: 'string' }, quantity: { type: 'integer' }, unit_price: decimal },
        required: ['line_no', 'sku', 'name', 'quantity', 'unit_price'],
      },
    },
    total_amount: { ...decimal, type: ['string', 'null'] },
    payment: {
      type: ['object', 'null'],
      additionalProperties: true,
      properties: { status: { type: 'string', enum: ['PAID', 'UNPAID'] }, paid_at: timestamp },
      required: ['status', 'paid_at'],
    },
    fulfillments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          fulfillment_id: { type: 'string' },
          warehouse_id: { type: 'string' },
          store_id: nullableString,
          status: { type: 'string', description: 'raw WMS event_type of the newest event' },
          tracking_no: nullableString,
          carrier: nullableString,
        },
        required: ['fulfillment_id', 'warehouse_id', 'store_id', 'status', 'tracking_no', 'carrier'],
      },
    },
    shipments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          tracking_no: { type: 'string' },
          carrier: { type: 'string' },
          status: { type: 'string' },
          location: nullableString,
          eta: timestamp,
          delivered_at: timestamp,
          exception_code: nullableString,
        },
        required: ['tracking_no', 'carrier', 'status', 'location', 'eta', 'delivered_at', 'exception_code'],
      },
    },
    after_sales: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          case_id: { type: 'string' },
          case_type: { type: 'string' },
          status: { type: 'string' },
          sku: { type: 'string' },
          quantity: { type: 'integer' },
          refund_amount: { ...decimal, type: ['string', 'null'] },
          replacement_sku: nullableString,
        },
        required: ['case_id', 'case_type', 'status', 'sku', 'quantity', 'refund_amount', 'replacement_sku'],
      },
    },
    created_at: timestamp,
    paid_at: timestamp,
    promised_delivery_at: timestamp,
    released_at: timestamp,
    packed_at: timestamp,
    shipped_at: timestamp,
    delivered_at: timestamp,
    cancelled_at: timestamp,
    status: { type: ['string', 'null'], description: 'canonical status' },
    on_time: { type: ['boolean', 'null'] },
    exceptions: { type: 'array', items: { type: 'string' } },
    sources: {
      type: 'object',
      additionalProperties: true,
      properties: { crm: sourceStats, wms: sourceStats, tms: sourceStats },
      required: ['crm', 'wms', 'tms'],
    },
    version: { type: 'integer', description: 'rises by one each time the view changes' },
    updated_at: { type: 'string', format: 'date-time', description: 'processing time of the last change' },
  },
  required: [
    'order_id', 'channel', 'currency', 'gift_order', 'buyer_note', 'customer', 'ship_to', 'address_changes', 'lines',
    'total_amount', 'payment', 'fulfillments', 'shipments', 'after_sales', 'created_at', 'paid_at', 'promised_delivery_at',
    'released_at', 'packed_at', 'shipped_at', 'delivered_at', 'cancelled_at', 'status', 'on_time', 'exceptions', 'sources',
    'version', 'updated_at',
  ],
} as const;

/** Canonical statuses (contract, "Canonical status"): the values `GET /orders?status=` accepts. */
export const ORDER_STATUSES = [
  'CREATED', 'PAID', 'RELEASED', 'PICKING', 'PACKED', 'SHIPPED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED',
  'PARTIALLY_SHIPPED', 'PARTIALLY_DELIVERED', 'CANCELLED', 'FULFILLMENT_CANCELLED', 'DELIVERY_EXCEPTION',
  'RETURNED_TO_SENDER', 'RETURN_REQUESTED', 'RETURN_RECEIVED', 'REFUNDED', 'EXCHANGE_REQUESTED', 'EXCHANGE_SHIPPED',
] as const;

/** Exception codes (contract, "Exceptions"): the values `GET /orders?exception=` accepts. */
export const EXCEPTION_CODES = [
  'ADDRESS_CHANGED_AFTER_PACKING', 'CANCELLED_AFTER_SHIPMENT', 'SHIPPED_AFTER_CANCELLATION', 'SHORT_PICK',
  'FULFILLMENT_CANCELLED', 'LATE_DELIVERY', 'DELIVERY_OVERDUE', 'ETA_BEYOND_PROMISE', 'DELIVERY_EXCEPTION',
] as const;
