import {
  eventUid,
  type CanonicalEvent,
  type CaseImage,
  type CrmOrderEvent,
  type LineImage,
  type OrderImage,
  type TmsEvent,
  type WmsEvent,
} from '../normalize/canonical-event.js';
import { isNewerEvent } from './code-point-order.js';
import { TMS_SHIPPED_CODES, tmsRank, wmsRank } from './progress-rank.js';

/**
 * One CRM order row image, reduced to what `address_changes`, `cancelled_at` and the
 * address-after-packing exception need; only the newest image is kept whole.
 */
export interface CrmImageEntry {
  rowVersion: number;
  lsn: number;
  /** The seven `ship_*` columns as one string, so that two images compare with one equality. */
  address: string;
  cancelled: boolean;
  updatedAt: number;
}

/** The change with the highest `lsn` of one keyed CRM row; `image` is null when it is a delete. */
export interface KeyedRow<T> {
  lsn: number;
  image: T | null;
}

/**
 * A fulfillment's WMS events folded by associative, commutative reductions (newest by
 * `occurred_at` then `event_id`, maxima, unions), so arrival order cannot matter.
 */
export interface FulfillmentState {
  id: string;
  newestAt: number;
  newestId: string;
  status: string;
  warehouseId: string;
  storeId: string | null;
  trackingNo: string | null;
  trackingAt: number;
  trackingId: string;
  carrier: string | null;
  carrierAt: number;
  carrierId: string;
  /** Every tracking number any of its events carried: those shipments belong to it. */
  trackingNos: Set<string>;
  /** Highest progress rank its own WMS events reached. */
  rank: number;
}

/** A shipment's TMS events (one tracking number) folded like {@link FulfillmentState}. */
export interface ShipmentState {
  trackingNo: string;
  newestAt: number;
  newestId: string;
  code: string;
  carrier: string;
  location: string | null;
  exceptionCode: string | null;
  eta: number | null;
  etaAt: number;
  etaId: string;
  returned: boolean;
  /** Earliest `DELIVERED` event, returned or not (a returned shipment reports none). */
  firstDeliveredAt: number | null;
  /** Highest rank reached by events other than `DELIVERED` (which only counts unless returned). */
  rankWithoutDelivered: number;
  /** Fulfillments its events name in `fulfillment_ref`: it belongs to them too. */
  fulfillmentRefs: Set<string>;
}

/** Distinct events of one source and the newest event time among them. */
export interface SourceTally {
  ids: Set<string>;
  lastAt: number | null;
}

/**
 * Which parts of an order's state changed since its view was last derived (bits of
 * {@link OrderState.changed}): derivation rebuilds only the parts of the view that depend on them
 * and reuses the rest from the previous derivation.
 */
export const CHANGED = {
  crmOrder: 1,
  lines: 2,
  cases: 4,
  wms: 8,
  tms: 16,
  crmSource: 32,
  wmsSource: 64,
  tmsSource: 128,
  all: 255,
} as const;

/**
 * The merge state of one order: the de-duplicated set of its applied events, folded compactly.
 * The view is derived from it every time, never from which event came last, so any arrival order
 * of the same events gives the same view. Mutated in place by {@link applyEvent} for speed.
 */
export interface OrderState {
  readonly orderId: string;
  /** An order delete is final: nothing before or after it brings the order back. */
  deleted: boolean;
  crm: SourceTally;
  wms: SourceTally;
  tms: SourceTally;
  /** CRM order images in row-version order, then `lsn`. */
  images: CrmImageEntry[];
  /** The image of the last entry of `images`: the newest CRM order row. */
  newestImage: OrderImage | null;
  lines: Map<number, KeyedRow<LineImage>>;
  cases: Map<string, KeyedRow<CaseImage>>;
  fulfillments: Map<string, FulfillmentState>;
  shipments: Map<string, ShipmentState>;
  firstWmsAt: number | null;
  firstWmsPackedAt: number | null;
  firstWmsShippedAt: number | null;
  shortPicked: boolean;
  firstLabelAt: number | null;
  firstTmsShippedAt: number | null;
  /** {@link CHANGED} bits set by events applied since the last derivation; the deriver clears them. */
  changed: number;
  /** What the last derivation built, owned by `deriveView`; null until the first. */
  derived: unknown;
}

export function createOrderState(orderId: string): OrderState {
  return {
    orderId,
    deleted: false,
    crm: { ids: new Set(), lastAt: null },
    wms: { ids: new Set(), lastAt: null },
    tms: { ids: new Set(), lastAt: null },
    images: [],
    newestImage: null,
    lines: new Map(),
    cases: new Map(),
    fulfillments: new Map(),
    shipments: new Map(),
    firstWmsAt: null,
    firstWmsPackedAt: null,
    firstWmsShippedAt: null,
    shortPicked: false,
    firstLabelAt: null,
    firstTmsShippedAt: null,
    changed: CHANGED.all,
    derived: null,
  };
}

/**
 * Records one event of the order. Returns true when the event was new and recorded (an order
 * delete counts once); false for a duplicate or for anything after the order was deleted.
 */
export function applyEvent(state: OrderState, event: CanonicalEvent): boolean {
  if (state.deleted) return false;
  switch (event.kind) {
    case 'crm_order':
      return applyCrmOrder(state, event);
    case 'crm_line':
      return tally(state.crm, eventUid(event), event.ts_ms) && changed(state, CHANGED.lines | CHANGED.crmSource) && keepNewestRow(state.lines, event.line_no, event);
    case 'crm_case':
      return tally(state.crm, eventUid(event), event.ts_ms) && changed(state, CHANGED.cases | CHANGED.crmSource) && keepNewestRow(state.cases, event.case_id, event);
    case 'wms':
      return tally(state.wms, event.event_id, event.occurred_at) && changed(state, CHANGED.wms | CHANGED.wmsSource) && applyWms(state, event);
    case 'tms':
      return tally(state.tms, event.event_id, event.occurred_at) && changed(state, CHANGED.tms | CHANGED.tmsSource) && applyTms(state, event);
  }
}

function changed(state: OrderState, bits: number): true {
  state.changed |= bits;
  return true;
}

function tally(source: SourceTally, id: string, at: number): boolean {
  if (source.ids.has(id)) return false;
  source.ids.add(id);
  if (source.lastAt === null || at > source.lastAt) source.lastAt = at;
  return true;
}

function markDeleted(state: OrderState): void {
  state.deleted = true;
  for (const tallyOf of [state.crm, state.wms, state.tms]) {
    tallyOf.ids.clear();
    tallyOf.lastAt = null;
  }
  state.images = [];
  state.newestImage = null;
  state.lines.clear();
  state.cases.clear();
  state.fulfillments.clear();
  state.shipments.clear();
  state.changed = CHANGED.all;
  state.derived = null;
}

function applyCrmOrder(state: OrderState, event: CrmOrderEvent): boolean {
  if (event.op === 'd') {
    markDeleted(state);
    return true;
  }
  if (!tally(state.crm, eventUid(event), event.ts_ms)) return false;
  state.changed |= CHANGED.crmOrder | CHANGED.crmSource;
  const image = event.image;
  if (image === null) return true;
  const entry: CrmImageEntry = {
    rowVersion: event.row_version ?? image.row_version,
    lsn: event.lsn,
    address: addressKey(image),
    cancelled: image.status === 'CANCELLED',
    updatedAt: image.updated_at,
  };
  const images = state.images;
  let at = images.length;
  while (at > 0 && isLaterImage(images[at - 1]!, entry)) at--;
  images.splice(at, 0, entry);
  if (at === images.length - 1) state.newestImage = image;
  return true;
}

function isLaterImage(a: CrmImageEntry, b: CrmImageEntry): boolean {
  return a.rowVersion > b.rowVersion || (a.rowVersion === b.rowVersion && a.lsn > b.lsn);
}

function addressKey(image: OrderImage): string {
  return JSON.stringify([
    image.ship_name,
    image.ship_phone,
    image.ship_province,
    image.ship_city,
    image.ship_district,
    image.ship_line,
    image.ship_postcode,
  ]);
}

function keepNewestRow<K, T>(rows: Map<K, KeyedRow<T>>, key: K, event: { lsn: number; image: T | null }): true {
  const current = rows.get(key);
  if (current === undefined || event.lsn > current.lsn) rows.set(key, { lsn: event.lsn, image: event.image });
  return true;
}

function minOf(current: number | null, at: number): number {
  return current === null || at < current ? at : current;
}

function applyWms(state: OrderState, event: WmsEvent): true {
  const at = event.occurred_at;
  const id = event.event_id;
  let f = state.fulfillments.get(event.fulfillment_id);
  if (f === undefined) {
    f = {
      id: event.fulfillment_id,
      newestAt: at,
      newestId: id,
      status: event.event_type,
      warehouseId: event.warehouse_id,
      storeId: event.store_id,
      trackingNo: null,
      trackingAt: 0,
      trackingId: '',
      carrier: null,
      carrierAt: 0,
      carrierId: '',
      trackingNos: new Set(),
      rank: 0,
    };
    state.fulfillments.set(f.id, f);
  } else if (isNewerEvent(at, id, f.newestAt, f.newestId)) {
    f.newestAt = at;
    f.newestId = id;
    f.status = event.event_type;
    f.warehouseId = event.warehouse_id;
    f.storeId = event.store_id;
  }
  if (event.tracking_no !== null) {
    f.trackingNos.add(event.tracking_no);
    if (f.trackingNo === null || isNewerEvent(at, id, f.trackingAt, f.trackingId)) {
      f.trackingNo = event.tracking_no;
      f.trackingAt = at;
      f.trackingId = id;
    }
  }
  if (event.carrier !== null && (f.carrier === null || isNewerEvent(at, id, f.carrierAt, f.carrierId))) {
    f.carrier = event.carrier;
    f.carrierAt = at;
    f.carrierId = id;
  }
  const rank = wmsRank(event.event_type);
  if (rank > f.rank) f.rank = rank;

  state.firstWmsAt = minOf(state.firstWmsAt, at);
  if (event.event_type === 'PACKED') state.firstWmsPackedAt = minOf(state.firstWmsPackedAt, at);
  else if (event.event_type === 'SHIPPED') state.firstWmsShippedAt = minOf(state.firstWmsShippedAt, at);
  else if (event.event_type === 'SHORT_PICKED') state.shortPicked = true;
  return true;
}

function applyTms(state: OrderState, event: TmsEvent): true {
  const at = event.occurred_at;
  const id = event.event_id;
  const code = event.event_code;
  let s = state.shipments.get(event.tracking_no);
  if (s === undefined) {
    s = {
      trackingNo: event.tracking_no,
      newestAt: at,
      newestId: id,
      code,
      carrier: event.carrier,
      location: event.location,
      exceptionCode: event.exception_code,
      eta: null,
      etaAt: 0,
      etaId: '',
      returned: false,
      firstDeliveredAt: null,
      rankWithoutDelivered: 0,
      fulfillmentRefs: new Set(),
    };
    state.shipments.set(s.trackingNo, s);
  } else if (isNewerEvent(at, id, s.newestAt, s.newestId)) {
    s.newestAt = at;
    s.newestId = id;
    s.code = code;
    s.carrier = event.carrier;
    s.location = event.location;
    s.exceptionCode = event.exception_code;
  }
  if (event.eta !== null && (s.eta === null || isNewerEvent(at, id, s.etaAt, s.etaId))) {
    s.eta = event.eta;
    s.etaAt = at;
    s.etaId = id;
  }
  if (event.fulfillment_ref !== null) s.fulfillmentRefs.add(event.fulfillment_ref);
  if (code === 'RETURNED_TO_SENDER') s.returned = true;
  else if (code === 'DELIVERED') s.firstDeliveredAt = minOf(s.firstDeliveredAt, at);
  else {
    const rank = tmsRank(code);
    if (rank > s.rankWithoutDelivered) s.rankWithoutDelivered = rank;
  }

  if (code === 'LABEL_CREATED') state.firstLabelAt = minOf(state.firstLabelAt, at);
  if (TMS_SHIPPED_CODES.has(code)) state.firstTmsShippedAt = minOf(state.firstTmsShippedAt, at);
  return true;
}
