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
  },
  required: ['event_time', 'source', 'kind', 'type', 'summary', 'topic', 'partition', 'offset', 'line', 'ingested_at', 'lag_ms', 'event_uid'],
} as const;
