import type { CaseImage, OrderImage } from '../normalize/canonical-event.js';
import { canonicalStatus } from './canonical-status.js';
import { compareCodePoints } from './code-point-order.js';
import type {
  GoldenAfterSalesCase,
  GoldenFulfillment,
  GoldenLine,
  GoldenShipment,
  GoldenSourceStats,
  GoldenViewBody,
} from './golden-view.js';
import { isoTimestamp } from './iso-timestamp.js';
import { orderExceptions } from './order-exceptions.js';
import type { OrderState, ShipmentState, SourceTally } from './order-state.js';
import { DELIVERED_RANK } from './progress-rank.js';

/**
 * Derives the order's golden view from its state (pure: no clock, no I/O). Null when the order is
 * deleted, or when no event of it has been applied yet.
 */
export function deriveView(state: OrderState): GoldenViewBody | null {
  if (state.deleted) return null;
  if (state.crm.ids.size === 0 && state.wms.ids.size === 0 && state.tms.ids.size === 0) return null;

  const row = state.newestImage;
  const { addressChanges, addressChangeTimes, cancelledAt } = readImageHistory(state);

  const cases: CaseImage[] = [];
  for (const { image } of state.cases.values()) if (image !== null) cases.push(image);
  cases.sort((a, b) => compareCodePoints(a.case_id, b.case_id));

  const packedAt = earliest(state.firstWmsPackedAt, state.firstLabelAt);
  const shippedAt = earliest(state.firstWmsShippedAt, state.firstTmsShippedAt);

  const shipments = [...state.shipments.values()].sort((a, b) => compareCodePoints(a.trackingNo, b.trackingNo));
  let openShipmentException = false;
  let anyShipmentReturned = false;
  const openShipmentEtas: number[] = [];
  for (const s of shipments) {
    if (s.returned) {
      anyShipmentReturned = true;
    } else if (s.firstDeliveredAt === null) {
      if (s.code === 'EXCEPTION') openShipmentException = true;
      if (s.eta !== null) openShipmentEtas.push(s.eta);
    }
  }

  const { activeProgress, anyFulfillmentCancelled, deliveredAt } = readFulfillments(state, shipments);
  const promisedAt = row === null ? null : row.promised_delivery_at;
  const onTime = deliveredAt !== null && promisedAt !== null ? deliveredAt <= promisedAt : null;
  const crmStatus = row === null ? null : row.status;
  const paid = row !== null && row.paid_at !== null;

  const status = canonicalStatus({
    cases,
    crmStatus,
    paid,
    shippedAt,
    openShipmentException,
    anyShipmentReturned,
    fulfillmentCount: state.fulfillments.size,
    activeProgress,
  });
  const exceptions = orderExceptions({
    crmCancelled: crmStatus === 'CANCELLED',
    cancelledAt,
    packedAt,
    shippedAt,
    deliveredAt,
    promisedDeliveryAt: promisedAt,
    onTime,
    status,
    addressChangeTimes,
    shortPicked: state.shortPicked,
    anyFulfillmentCancelled,
    lastEventAt: latest(latest(state.crm.lastAt, state.wms.lastAt), state.tms.lastAt),
    openShipmentEtas,
    openShipmentException,
  });

  return {
    order_id: state.orderId,
    channel: row === null ? null : row.channel,
    currency: row === null ? null : row.currency,
    gift_order: row === null ? null : row.gift_order,
    buyer_note: row === null ? null : row.buyer_note,
    customer: row === null ? null : customerOf(row),
    ship_to: row === null ? null : shipToOf(row),
    address_changes: addressChanges,
    lines: linesOf(state),
    total_amount: row === null ? null : row.total_amount,
    payment: row === null ? null : { status: paid ? 'PAID' : 'UNPAID', paid_at: iso(row.paid_at) },
    fulfillments: fulfillmentsOf(state),
    shipments: shipments.map(shipmentOf),
    after_sales: cases.map(caseOf),
    created_at: row === null ? null : iso(row.created_at),
    paid_at: row === null ? null : iso(row.paid_at),
    promised_delivery_at: iso(promisedAt),
    released_at: iso(state.firstWmsAt),
    packed_at: iso(packedAt),
    shipped_at: iso(shippedAt),
    delivered_at: iso(deliveredAt),
    cancelled_at: iso(cancelledAt),
    status,
    on_time: onTime,
    exceptions,
    sources: { crm: statsOf(state.crm), wms: statsOf(state.wms), tms: statsOf(state.tms) },
  };
}

/**
 * Walks the CRM images in row-version order: address changes (count and when), and the start of
 * the last unbroken run of CANCELLED images while the newest row is CANCELLED.
 */
function readImageHistory(state: OrderState): {
  addressChanges: number;
  addressChangeTimes: number[];
  cancelledAt: number | null;
} {
  const images = state.images;
  const addressChangeTimes: number[] = [];
  let runStart: number | null = null;
  for (let i = 0; i < images.length; i++) {
    const image = images[i]!;
    if (i > 0 && image.address !== images[i - 1]!.address) addressChangeTimes.push(image.updatedAt);
    if (!image.cancelled) runStart = null;
    else if (runStart === null) runStart = image.updatedAt;
  }
  return { addressChanges: addressChangeTimes.length, addressChangeTimes, cancelledAt: runStart };
}

/**
 * Progress of each fulfillment (its WMS ranks and those of the shipments that belong to it), which
 * fulfillments are cancelled, and the order's `delivered_at`.
 */
function readFulfillments(
  state: OrderState,
  shipments: readonly ShipmentState[],
): { activeProgress: number[]; anyFulfillmentCancelled: boolean; deliveredAt: number | null } {
  const progress = new Map<string, number>();
  const shipmentsOf = new Map<string, ShipmentState[]>();
  const byTracking = new Map<string, string[]>();
  for (const f of state.fulfillments.values()) {
    progress.set(f.id, f.rank);
    shipmentsOf.set(f.id, []);
    for (const tn of f.trackingNos) {
      const owners = byTracking.get(tn);
      if (owners === undefined) byTracking.set(tn, [f.id]);
      else owners.push(f.id);
    }
  }
  for (const s of shipments) {
    const rank = Math.max(s.rankWithoutDelivered, !s.returned && s.firstDeliveredAt !== null ? DELIVERED_RANK : 0);
    const owners = new Set(byTracking.get(s.trackingNo));
    for (const ref of s.fulfillmentRefs) if (state.fulfillments.has(ref)) owners.add(ref);
    for (const id of owners) {
      if (rank > progress.get(id)!) progress.set(id, rank);
      shipmentsOf.get(id)!.push(s);
    }
  }

  const activeProgress: number[] = [];
  let anyFulfillmentCancelled = false;
  let deliveredAt: number | null = null;
  let allDelivered = true;
  for (const f of state.fulfillments.values()) {
    if (f.status === 'CANCELLED') {
      anyFulfillmentCancelled = true;
      continue;
    }
    const rank = progress.get(f.id)!;
    activeProgress.push(rank);
    if (rank !== DELIVERED_RANK) allDelivered = false;
    for (const s of shipmentsOf.get(f.id)!) {
      if (!s.returned) deliveredAt = latest(deliveredAt, s.firstDeliveredAt);
    }
  }
  return {
    activeProgress,
    anyFulfillmentCancelled,
    deliveredAt: activeProgress.length > 0 && allDelivered ? deliveredAt : null,
  };
}

function linesOf(state: OrderState): GoldenLine[] {
  const lines: GoldenLine[] = [];
  for (const { image } of state.lines.values()) {
    if (image === null) continue;
    lines.push({
      line_no: image.line_no,
      sku: image.sku,
      name: image.name,
      quantity: image.quantity,
      unit_price: image.unit_price,
    });
  }
  return lines.sort((a, b) => a.line_no - b.line_no);
}

function fulfillmentsOf(state: OrderState): GoldenFulfillment[] {
  return [...state.fulfillments.values()]
    .sort((a, b) => compareCodePoints(a.id, b.id))
    .map((f) => ({
      fulfillment_id: f.id,
      warehouse_id: f.warehouseId,
      store_id: f.storeId,
      status: f.status,
      tracking_no: f.trackingNo,
      carrier: f.carrier,
    }));
}

function shipmentOf(s: ShipmentState): GoldenShipment {
  return {
    tracking_no: s.trackingNo,
    carrier: s.carrier,
    status: s.returned ? 'RETURNED_TO_SENDER' : s.code,
    location: s.location,
    eta: iso(s.eta),
    delivered_at: s.returned ? null : iso(s.firstDeliveredAt),
    exception_code: s.exceptionCode,
  };
}

function caseOf(c: CaseImage): GoldenAfterSalesCase {
  return {
    case_id: c.case_id,
    case_type: c.case_type,
    status: c.status,
    sku: c.sku,
    quantity: c.quantity,
    refund_amount: c.refund_amount,
    replacement_sku: c.replacement_sku,
  };
}

function customerOf(row: OrderImage): GoldenViewBody['customer'] {
  return { id: row.customer_id, name: row.customer_name, phone: row.customer_phone, member_tier: row.member_tier };
}

function shipToOf(row: OrderImage): GoldenViewBody['ship_to'] {
  return {
    name: row.ship_name,
    phone: row.ship_phone,
    province: row.ship_province,
    city: row.ship_city,
    district: row.ship_district,
    line: row.ship_line,
    postcode: row.ship_postcode,
  };
}

function statsOf(source: SourceTally): GoldenSourceStats | null {
  if (source.lastAt === null) return null;
  return { last_event_at: iso(source.lastAt)!, events: source.ids.size };
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : isoTimestamp(ms);
}
