const eventRef = {
  type: 'object',
  description: 'The source event: Kafka topic, partition and offset (or replay file line), its own event time and identity.',
  properties: {
    topic: { type: 'string' },
    partition: { type: 'integer' },
    offset: { type: 'string', description: 'int64 as a decimal string' },
    line: { type: ['integer', 'null'], description: 'replay file line, null for Kafka or the simulator' },
    event_time: { type: 'string', format: 'date-time' },
    event_uid: { type: 'string' },
  },
  required: ['topic', 'partition', 'offset', 'line', 'event_time', 'event_uid'],
} as const;

const nullableRef = { ...eventRef, type: ['object', 'null'] } as const;

/** JSON schema of `Provenance` (src/api/orders/provenance.ts). */
export const provenanceSchema = {
  type: 'object',
  description: 'Which source event set each field group, by the contract\'s "newest" rules; computed from the lake at request time.',
  properties: {
    header: nullableRef,
    customer: nullableRef,
    ship_to: nullableRef,
    payment: nullableRef,
    lines: {
      type: 'array',
      items: { type: 'object', properties: { line_no: { type: 'integer' }, set_by: eventRef }, required: ['line_no', 'set_by'] },
    },
    after_sales: {
      type: 'array',
      items: { type: 'object', properties: { case_id: { type: 'string' }, set_by: eventRef }, required: ['case_id', 'set_by'] },
    },
    fulfillments: {
      type: 'array',
      items: {
        type: 'object',
        properties: { fulfillment_id: { type: 'string' }, set_by: eventRef, tracking_set_by: nullableRef, carrier_set_by: nullableRef },
        required: ['fulfillment_id', 'set_by', 'tracking_set_by', 'carrier_set_by'],
      },
    },
    shipments: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          tracking_no: { type: 'string' },
          set_by: eventRef,
          status_set_by: eventRef,
          eta_set_by: nullableRef,
          delivered_by: nullableRef,
        },
        required: ['tracking_no', 'set_by', 'status_set_by', 'eta_set_by', 'delivered_by'],
      },
    },
  },
  required: ['header', 'customer', 'ship_to', 'payment', 'lines', 'after_sales', 'fulfillments', 'shipments'],
} as const;
