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
import { CHANGED, type OrderState, type ShipmentState, type SourceTally } from './order-state.js';
import { DELIVERED_RANK } from './progress-rank.js';

/**
 * The parts of the last derived view that depend on one part of the state each, kept on
 * `OrderState.derived` so the next derivation rebuilds only what the events since changed (a WMS
 * scan does not rebuild the customer, lines or after-sales cases). Views share these parts, so
 * nothing here is mutated once built.
 */
interface DerivedParts {
  crm: CrmParts;
  lines: GoldenLine[];
  /** Live cases in `case_id` order, and their view entries. */
  cases: CaseImage[];
  afterSales: GoldenAfterSalesCase[];
  fulfillments: GoldenFulfillment[];
  shipments: ShipmentParts;
  progress: FulfillmentProgress;
  crmStats: GoldenSourceStats | null;
  wmsStats: GoldenSourceStats | null;
  tmsStats: GoldenSourceStats | null;
}

/** What the newest CRM order row and the row-image history give the view. */
interface CrmParts {
  row: OrderImage | null;
  customer: GoldenViewBody['customer'];
  shipTo: GoldenViewBody['ship_to'];
  payment: GoldenViewBody['payment'];
  paid: boolean;
  createdAt: string | null;
  paidAt: string | null;
  promisedAt: number | null;
  promisedAtIso: string | null;
  addressChangeTimes: number[];
  cancelledAt: number | null;
  cancelledAtIso: string | null;
}

interface ShipmentParts {
  /** Shipment states in `tracking_no` order. */
  states: ShipmentState[];
  views: GoldenShipment[];
  openShipmentException: boolean;
  anyShipmentReturned: boolean;
  openShipmentEtas: number[];
}

interface FulfillmentProgress {
  activeProgress: number[];
  anyFulfillmentCancelled: boolean;
  deliveredAt: number | null;
}

/**
 * Derives the order's golden view from its state (pure: no clock, no I/O). Null when the order is
 * deleted, or when no event of it has been applied yet. Parts of the previous derivation whose
 * inputs did not change (`OrderState.changed`) are reused; the result is the same as deriving
 * from scratch.
 */
export function deriveView(state: OrderState): GoldenViewBody | null {
  if (state.deleted) return null;
  if (state.crm.ids.size === 0 && state.wms.ids.size === 0 && state.tms.ids.size === 0) return null;

  const previous = state.derived as DerivedParts | null;
  const changed = previous === null ? CHANGED.all : state.changed;
  // Every bit is set for a first derivation, so each part below is built before it is read.
  const parts = previous ?? ({} as DerivedParts);
  if (changed & CHANGED.crmOrder) parts.crm = crmPartsOf(state);
  if (changed & CHANGED.lines) parts.lines = linesOf(state);
  if (changed & CHANGED.cases) {
    const cases: CaseImage[] = [];
    for (const { image } of state.cases.values()) if (image !== null) cases.push(image);
    cases.sort((a, b) => compareCodePoints(a.case_id, b.case_id));
    parts.cases = cases;
    parts.afterSales = cases.map(caseOf);
  }
  if (changed & CHANGED.wms) parts.fulfillments = fulfillmentsOf(state);
  if (changed & CHANGED.tms) parts.shipments = shipmentPartsOf(state);
  if (changed & (CHANGED.wms | CHANGED.tms)) parts.progress = readFulfillments(state, parts.shipments.states);
  if (changed & CHANGED.crmSource) parts.crmStats = statsOf(state.crm);
  if (changed & CHANGED.wmsSource) parts.wmsStats = statsOf(state.wms);
  if (changed & CHANGED.tmsSource) parts.tmsStats = statsOf(state.tms);
  state.derived = parts;
  state.changed = 0;

  const { crm, shipments, progress } = parts;
  const row = crm.row;
  const packedAt = earliest(state.firstWmsPackedAt, state.firstLabelAt);
  const shippedAt = earliest(state.firstWmsShippedAt, state.firstTmsShippedAt);
  const { deliveredAt } = progress;
  const promisedAt = crm.promisedAt;
  const onTime = deliveredAt !== null && promisedAt !== null ? deliveredAt <= promisedAt : null;
  const crmStatus = row === null ? null : row.status;

  const status = canonicalStatus({
    cases: parts.cases,
    crmStatus,
    paid: crm.paid,
    shippedAt,
    openShipmentException: shipments.openShipmentException,
    anyShipmentReturned: shipments.anyShipmentReturned,
    fulfillmentCount: state.fulfillments.size,
    activeProgress: progress.activeProgress,
  });
  const exceptions = orderExceptions({
    crmCancelled: crmStatus === 'CANCELLED',
    cancelledAt: crm.cancelledAt,
    packedAt,
    shippedAt,
    deliveredAt,
    promisedDeliveryAt: promisedAt,
    onTime,
    status,
    addressChangeTimes: crm.addressChangeTimes,
    shortPicked: state.shortPicked,
    anyFulfillmentCancelled: progress.anyFulfillmentCancelled,
    lastEventAt: latest(latest(state.crm.lastAt, state.wms.lastAt), state.tms.lastAt),
    openShipmentEtas: shipments.openShipmentEtas,
    openShipmentException: shipments.openShipmentException,
  });

  return {
    order_id: state.orderId,
    channel: row === null ? null : row.channel,
    currency: row === null ? null : row.currency,
    gift_order: row === null ? null : row.gift_order,
    buyer_note: row === null ? null : row.buyer_note,
    customer: crm.customer,
    ship_to: crm.shipTo,
    address_changes: crm.addressChangeTimes.length,
    lines: parts.lines,
    total_amount: row === null ? null : row.total_amount,
    payment: crm.payment,
    fulfillments: parts.fulfillments,
    shipments: shipments.views,
    after_sales: parts.afterSales,
    created_at: crm.createdAt,
    paid_at: crm.paidAt,
    promised_delivery_at: crm.promisedAtIso,
    released_at: iso(state.firstWmsAt),
    packed_at: iso(packedAt),
    shipped_at: iso(shippedAt),
    delivered_at: iso(deliveredAt),
    cancelled_at: crm.cancelledAtIso,
    status,
    on_time: onTime,
    exceptions,
    sources: { crm: parts.crmStats, wms: parts.wmsStats, tms: parts.tmsStats },
  };
}

function crmPartsOf(state: OrderState): CrmParts {
  const row = state.newestImage;
  const { addressChangeTimes, cancelledAt } = readImageHistory(state);
  const paid = row !== null && row.paid_at !== null;
  const promisedAt = row === null ? null : row.promised_delivery_at;
  return {
    row,
    customer: row === null ? null : customerOf(row),
    shipTo: row === null ? null : shipToOf(row),
    payment: row === null ? null : { status: paid ? 'PAID' : 'UNPAID', paid_at: iso(row.paid_at) },
    paid,
    createdAt: row === null ? null : iso(row.created_at),
    paidAt: row === null ? null : iso(row.paid_at),
    promisedAt,
    promisedAtIso: iso(promisedAt),
    addressChangeTimes,
    cancelledAt,
    cancelledAtIso: iso(cancelledAt),
  };
}

function shipmentPartsOf(state: OrderState): ShipmentParts {
  const states = [...state.shipments.values()].sort((a, b) => compareCodePoints(a.trackingNo, b.trackingNo));
  let openShipmentException = false;
  let anyShipmentReturned = false;
  const openShipmentEtas: number[] = [];
  for (const s of states) {
    if (s.returned) {
      anyShipmentReturned = true;
    } else if (s.firstDeliveredAt === null) {
      if (s.code === 'EXCEPTION') openShipmentException = true;
      if (s.eta !== null) openShipmentEtas.push(s.eta);
    }
  }
  return { states, views: states.map(shipmentOf), openShipmentException, anyShipmentReturned, openShipmentEtas };
}

/**
 * Walks the CRM images in row-version order: address changes (count and when), and the start of
 * the last unbroken run of CANCELLED images while the newest row is CANCELLED.
 */
function readImageHistory(state: OrderState): {
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
  return { addressChangeTimes, cancelledAt: runStart };
}

/**
 * Progress of each fulfillment (its WMS ranks and those of the shipments that belong to it), which
 * fulfillments are cancelled, and the order's `delivered_at`.
 */
function readFulfillments(state: OrderState, shipments: readonly ShipmentState[]): FulfillmentProgress {
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
