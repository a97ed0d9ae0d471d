import { randomUUID } from 'node:crypto';
import type { DeadLetterRow, GoldenRow, LakeRow, PendingShipmentRow } from '../../src/sinks/index.js';

export const T0 = Date.UTC(2026, 10, 27, 8, 0, 0, 123);

/** A lake row for a WMS event of `orderId`; `n` varies the event. */
export function lakeRow(orderId: string, n: number, overrides: Partial<LakeRow> = {}): LakeRow {
  const event = { kind: 'wms', source: 'wms', event_id: `ev-${orderId}-${n}`, event_type: 'PACKED', occurred_at: T0 + n, order_id: orderId };
  return {
    event_uid: `wms|${event.event_id}`,
    source: 'wms',
    kind: 'wms',
    order_id: orderId,
    owner_partition: 0,
    topic: 'wms.fulfillment.events',
    partition: 2,
    offset: String(1000 + n),
    line: 0,
    event_time: T0 + n,
    kafka_time: T0 + n + 5,
    ingested_at: T0 + n + 10,
    payload: JSON.stringify(event),
    order_version: 0,
    order_version_at: T0 + n + 10,
    config_version: '',
    ...overrides,
  };
}

/** A live golden row whose view records `version`. */
export function goldenRow(orderId: string, version: number, overrides: Partial<GoldenRow> = {}): GoldenRow {
  return {
    order_id: orderId,
    version,
    updated_at: T0 + version,
    is_deleted: 0,
    owner_partition: 0,
    status: 'PAID',
    channel: 'APP',
    customer_id: 'C-1',
    customer_phone: '13800000000',
    ship_phone: null,
    tracking_nos: ['SF1'],
    exceptions: [],
    created_at: T0,
    view: JSON.stringify({ order_id: orderId, version, status: 'PAID' }),
    config_version: '',
    ...overrides,
  };
}

/** The row that marks `orderId` deleted at `version`. */
export function deletedRow(orderId: string, version: number, ownerPartition = 0): GoldenRow {
  return goldenRow(orderId, version, {
    is_deleted: 1,
    owner_partition: ownerPartition,
    status: null,
    channel: null,
    customer_id: null,
    customer_phone: null,
    tracking_nos: [],
    created_at: null,
    view: '',
  });
}

export function deadLetterRow(n: number, overrides: Partial<DeadLetterRow> = {}): DeadLetterRow {
  return {
    id: randomUUID(),
    at: T0 + n,
    stage: 'codec',
    code: 'OL_ERR_CODEC_BAD_MAGIC',
    reason: `bad magic byte ${n}`,
    topic: 'crm.public.orders',
    partition: 1,
    offset: String(9_007_199_254_740_993n + BigInt(n)),
    line: 0,
    file: '',
    key: Buffer.from(`key-${n}`).toString('base64'),
    value: Buffer.from([1, 0, 0, 0, n & 0xff]).toString('base64'),
    value_json: '',
    ...overrides,
  };
}

export function pendingRow(trackingNo: string, n: number, overrides: Partial<PendingShipmentRow> = {}): PendingShipmentRow {
  const event = { kind: 'tms', source: 'tms', event_id: `tms-${trackingNo}-${n}`, tracking_no: trackingNo, order_ref: null, event_code: 'IN_TRANSIT' };
  return {
    event_uid: `tms|${event.event_id}`,
    tracking_no: trackingNo,
    link_partition: 0,
    link_keys: [trackingNo],
    topic: 'tms.tracking.events',
    partition: 0,
    offset: String(n),
    line: 0,
    event_time: T0 + n,
    kafka_time: T0 + n,
    ingested_at: T0 + n,
    payload: JSON.stringify(event),
    resolved: 0,
    ...overrides,
  };
}
