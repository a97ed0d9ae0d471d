import type {
  CaseImage,
  CrmCaseEvent,
  CrmLineEvent,
  CrmOp,
  CrmOrderEvent,
  LineImage,
  OrderImage,
  TmsEvent,
  WmsEvent,
} from '../../src/normalize/canonical-event.js';

/** A fixed instant the golden tests count from: 2026-11-18T00:00:00.000Z. */
export const T0 = Date.UTC(2026, 10, 18);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** ISO rendering as the view uses it. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function orderImage(overrides: Partial<OrderImage> = {}): OrderImage {
  return {
    order_id: 'SO-1',
    channel: 'WEB',
    customer_id: 'C-1',
    customer_name: '刘洋',
    customer_phone: '13900000000',
    member_tier: 'V1',
    status: 'CREATED',
    currency: 'CNY',
    total_amount: '199.00',
    ship_name: '王芳',
    ship_phone: '13700000000',
    ship_province: '广东省',
    ship_city: '深圳市',
    ship_district: null,
    ship_line: '世纪大道1号',
    ship_postcode: '518000',
    gift_order: false,
    buyer_note: null,
    promised_delivery_at: T0 + 3 * DAY,
    created_at: T0,
    paid_at: null,
    updated_at: T0,
    row_version: 1,
    ...overrides,
  };
}

/**
 * A CRM order change. `lsn` defaults to a function of the row version so that images built in
 * row-version order also come in lsn order; `ts_ms` defaults to the image's `updated_at`.
 */
export function crmOrder(
  image: Partial<OrderImage> = {},
  meta: { op?: CrmOp; lsn?: number; ts_ms?: number } = {},
): CrmOrderEvent {
  const full = orderImage(image);
  const op = meta.op ?? (full.row_version === 1 ? 'c' : 'u');
  return {
    kind: 'crm_order',
    source: 'crm',
    op,
    lsn: meta.lsn ?? 1000 + full.row_version * 10,
    ts_ms: meta.ts_ms ?? full.updated_at,
    order_id: full.order_id,
    row_version: full.row_version,
    image: op === 'd' ? null : full,
  };
}

/** A delete of the CRM order row (op `d`): final for the order. */
export function crmOrderDelete(orderId: string, lsn: number, ts_ms = T0, rowVersion: number | null = null): CrmOrderEvent {
  return { kind: 'crm_order', source: 'crm', op: 'd', lsn, ts_ms, order_id: orderId, row_version: rowVersion, image: null };
}

export function crmLine(
  line: Partial<LineImage> & { line_no: number },
  meta: { op?: CrmOp; lsn: number; ts_ms?: number; order_id?: string },
): CrmLineEvent {
  const orderId = meta.order_id ?? line.order_id ?? 'SO-1';
  const op = meta.op ?? 'c';
  const image: LineImage = {
    order_id: orderId,
    sku: 'SKU-1',
    name: '奶瓶',
    quantity: 1,
    unit_price: '89.00',
    updated_at: T0,
    ...line,
  };
  return {
    kind: 'crm_line',
    source: 'crm',
    op,
    lsn: meta.lsn,
    ts_ms: meta.ts_ms ?? T0,
    order_id: orderId,
    line_no: line.line_no,
    image: op === 'd' ? null : image,
  };
}

export function crmCase(
  c: Partial<CaseImage> & { case_id: string },
  meta: { op?: CrmOp; lsn: number; ts_ms?: number; order_id?: string },
): CrmCaseEvent {
  const orderId = meta.order_id ?? c.order_id ?? 'SO-1';
  const op = meta.op ?? 'c';
  const image: CaseImage = {
    order_id: orderId,
    case_type: 'RETURN',
    status: 'REQUESTED',
    sku: 'SKU-1',
    quantity: 1,
    refund_amount: null,
    replacement_sku: null,
    created_at: T0 + DAY,
    updated_at: T0 + DAY,
    ...c,
  };
  return {
    kind: 'crm_case',
    source: 'crm',
    op,
    lsn: meta.lsn,
    ts_ms: meta.ts_ms ?? image.updated_at,
    order_id: orderId,
    case_id: c.case_id,
    image: op === 'd' ? null : image,
  };
}

export function wms(
  event_type: string,
  occurred_at: number,
  overrides: Partial<WmsEvent> & { event_id: string },
): WmsEvent {
  return {
    kind: 'wms',
    source: 'wms',
    event_type,
    occurred_at,
    warehouse_id: 'WH-1',
    fulfillment_id: 'FF-1-1',
    order_id: 'SO-1',
    carrier: null,
    tracking_no: null,
    reason: null,
    store_id: null,
    ...overrides,
  };
}

export function tms(
  event_code: string,
  occurred_at: number,
  overrides: Partial<TmsEvent> & { event_id: string },
): TmsEvent {
  return {
    kind: 'tms',
    source: 'tms',
    event_code,
    occurred_at,
    tracking_no: 'SF1',
    carrier: 'SF',
    fulfillment_ref: null,
    order_ref: 'SO-1',
    location: null,
    eta: null,
    exception_code: null,
    ...overrides,
  };
}
