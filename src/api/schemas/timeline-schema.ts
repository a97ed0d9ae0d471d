import { SHIP_TO_REQUIRED, shipToProperties } from './golden-view-schema.js';
const nullableString = { type: ['string', 'null'] } as const;

/** `TimelineDetails`: one object whose fields depend on the event's kind; null for a CRM delete. */
const detailsSchema = {
  type: ['object', 'null'],
  description:
    'What the order card reads of the event, by kind. crm_order: row_version, status, ship_to {name, phone, province, city, district, line, postcode}; ' +
    'crm_line: line_no, sku, name, quantity; crm_case: case_id, case_type, status, sku, quantity; ' +
    'wms: fulfillment_id, warehouse_id, event_type, carrier, tracking_no, reason; ' +
    'tms: tracking_no, carrier, event_code, location, eta, exception_code. Null for a CRM delete.',
  additionalProperties: false,
  properties: {
    row_version: { type: ['integer', 'null'] },
    status: { type: 'string' },
    ship_to: { type: 'object', additionalProperties: false, properties: shipToProperties, required: SHIP_TO_REQUIRED },
    line_no: { type: 'integer' },
    sku: { type: 'string' },
    name: { type: 'string' },
    quantity: { type: 'integer' },
    case_id: { type: 'string' },
    case_type: { type: 'string' },
    fulfillment_id: { type: 'string' },
    warehouse_id: { type: 'string' },
    event_type: { type: 'string' },
    carrier: nullableString,
    tracking_no: nullableString,
    reason: nullableString,
    event_code: { type: 'string' },
    location: nullableString,
    eta: { type: ['string', 'null'], format: 'date-time' },
    exception_code: nullableString,
  },
} as const;

/** JSON schema of one `TimelineEntry` (src/api/orders/timeline.ts). */
export const timelineEntrySchema = {
  type: 'object',
  properties: {
    event_time: { type: 'string', format: 'date-time' },
    source: { type: 'string', enum: ['crm', 'wms', 'tms'] },
    kind: { type: 'string', enum: ['crm_order', 'crm_line', 'crm_case', 'wms', 'tms'] },
    type: { type: 'string', description: 'CRM op (c, u, d, r), WMS event type or TMS event code' },
    summary: { type: 'string' },
    topic: { type: 'string' },
    partition: { type: 'integer' },
    offset: { type: 'string' },
    line: { type: ['integer', 'null'] },
    ingested_at: { type: 'string', format: 'date-time', description: 'when orderlake received the event' },
    lag_ms: { type: 'integer', description: 'ingested_at − event_time, milliseconds' },
    event_uid: { type: 'string' },
    details: detailsSchema,
  },
  required: ['event_time', 'source', 'kind', 'type', 'summary', 'topic', 'partition', 'offset', 'line', 'ingested_at', 'lag_ms', 'event_uid', 'details'],
} as const;
