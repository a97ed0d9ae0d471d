import {
  keptPromise,
  naturalEtas,
  randomStore,
  randomWarehouseId,
  runWarehouse,
  shipParcel,
  warehouseCity,
  type ParcelOptions,
  type ParcelRun,
  type WarehouseOptions,
  type WarehouseRun,
  type WmsStage,
} from './delivery-flow.js';
import { centsToDecimal, type OrderLineItem } from './order-header.js';
import { DAY, HOUR, MINUTE, OrderStory, SECOND, type HeaderNeeds, type StoryContext } from './order-story.js';
import type { OrderPlan } from './planned-event.js';
import { AFTER_SALES_REASONS, CARRIERS, EXCEPTION_CODES, REJECTION_REASONS } from './reference-data.js';
import type { ScenarioKind } from './scenario-options.js';

/**
 * Creation up to payment. Now and then the buyer edits a quantity, or cancels and reinstates the
 * order before paying (a run of CANCELLED images that is later broken). Returns the payment time.
 */
function checkout(story: OrderStory): number {
  const { rng } = story;
  let at = story.t0;
  if (rng.chance(0.06) && story.activeLines.length > 0) {
    const line = rng.pick(story.activeLines);
    story.changeLineQuantity(at + story.dur(10 * SECOND, 60 * SECOND), line.lineNo, line.quantity + 1);
  }
  if (rng.chance(0.03)) {
    const cancelledAt = at + story.dur(1 * MINUTE, 5 * MINUTE);
    story.setStatus(cancelledAt, 'CANCELLED');
    at = cancelledAt + story.dur(1 * MINUTE, 10 * MINUTE);
    story.setStatus(at, 'CREATED');
  }
  const paidAt = at + story.dur(20 * SECOND, 10 * MINUTE);
  story.pay(paidAt);
  return paidAt;
}

function releaseTime(story: OrderStory, paidAt: number): number {
  return paidAt + story.dur(5 * MINUTE, 30 * MINUTE);
}

/** One fulfillment for all active lines, shipped unless the warehouse cancels it. */
function fulfil(story: OrderStory, paidAt: number, warehouse: WarehouseOptions = {}, parcel: ParcelOptions = {}): { run: WarehouseRun; parcel: ParcelRun | null } {
  const run = runWarehouse(story, story.activeLines, releaseTime(story, paidAt), warehouse);
  return { run, parcel: run.cancelledAt === null ? shipParcel(story, run, parcel) : null };
}

interface SettleOptions {
  /** `kept` (default): a promise the parcels keep; or an explicit instant, or null. */
  promise?: 'kept' | number | null;
  /** ETAs derived from the expected delivery (default) or already set by the script. */
  etas?: 'natural' | 'set';
  /** May the CRM close the order some days after delivery. */
  closable?: boolean;
}

/** ETAs, the promise, and the CRM's closing of delivered orders. */
function settle(story: OrderStory, parcels: readonly ParcelRun[], options: SettleOptions = {}): void {
  const { rng } = story;
  if ((options.etas ?? 'natural') === 'natural') for (const parcel of parcels) naturalEtas(story, parcel);
  const promise = options.promise ?? 'kept';
  story.promise = promise === 'kept' ? (rng.chance(0.1) ? null : keptPromise(story, parcels)) : promise;
  const delivered = parcels.map((parcel) => parcel.deliveredAt);
  if (options.closable && delivered.length > 0 && delivered.every((at) => at !== null) && rng.chance(0.25)) {
    const lastDelivery = Math.max(...(delivered as number[]));
    story.setStatus(lastDelivery + story.dur(3 * DAY, 7 * DAY), 'CLOSED');
  }
}

/** Splits lines into `groups` non-empty groups (fewer when there are fewer lines). */
function partition(story: OrderStory, lines: readonly OrderLineItem[], groups: number): OrderLineItem[][] {
  const count = Math.max(1, Math.min(groups, lines.length));
  const result: OrderLineItem[][] = Array.from({ length: count }, () => []);
  lines.forEach((line, index) => {
    const group = index < count ? index : story.rng.int(0, count - 1);
    (result[group] as OrderLineItem[]).push(line);
  });
  return result;
}

function replacementSku(sku: string): string {
  const variants: Record<string, string> = { 'SKU-DIAPER-L': 'SKU-DIAPER-M', 'SKU-DIAPER-M': 'SKU-DIAPER-L' };
  return variants[sku] ?? sku;
}

type CaseKind = 'RETURN' | 'REFUND_ONLY' | 'EXCHANGE' | 'REJECTED';

const CASE_PATHS: Record<Exclude<CaseKind, 'REJECTED'>, readonly string[]> = {
  RETURN: ['APPROVED', 'ITEM_RECEIVED', 'REFUNDED', 'CLOSED'],
  REFUND_ONLY: ['APPROVED', 'REFUNDED', 'CLOSED'],
  EXCHANGE: ['APPROVED', 'REPLACEMENT_SHIPPED', 'CLOSED'],
};

/**
 * An after-sales case opened after delivery. Completed cases end CLOSED (keeping the refund);
 * open ones stop at a random step. `complete` forces the full path.
 */
function afterSalesCase(story: OrderStory, openedAfter: number, kind: CaseKind, options: { line?: OrderLineItem; quantity?: number; complete?: boolean } = {}): void {
  const { rng } = story;
  const line = options.line ?? rng.pick(story.activeLines);
  const quantity = options.quantity ?? rng.int(1, line.quantity);
  const type = kind === 'REJECTED' ? rng.pick(['RETURN', 'REFUND_ONLY'] as const) : kind;
  const path = kind === 'REJECTED' ? ['REJECTED'] : CASE_PATHS[kind];
  const steps = options.complete || rng.chance(0.6) ? path.length : rng.int(0, path.length - 1);
  let at = openedAfter + story.dur(2 * HOUR, 3 * DAY);
  const writer = story.openCase(at, {
    type,
    line,
    quantity,
    replacementSku: type === 'EXCHANGE' ? replacementSku(line.product.sku) : null,
    reason: rng.pick(AFTER_SALES_REASONS),
  });
  for (const status of path.slice(0, steps)) {
    at += status === 'ITEM_RECEIVED' || status === 'REPLACEMENT_SHIPPED' ? story.dur(1 * DAY, 3 * DAY) : story.dur(1 * HOUR, 1 * DAY);
    const patch: Record<string, unknown> = {};
    if (status === 'REFUNDED') patch.refund_amount = centsToDecimal(line.product.priceCents * quantity);
    if (status === 'REJECTED') patch.reason = rng.pick(REJECTION_REASONS);
    writer.advance(at, status, patch);
  }
}

/** Delivered, then one or two cases (and now and then a case opened by mistake and deleted). */
function afterSalesStory(story: OrderStory, kind: CaseKind): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const { parcel } = fulfil(story, paidAt);
  const parcels = parcel ? [parcel] : [];
  settle(story, parcels);
  const deliveredAt = parcel?.deliveredAt;
  if (deliveredAt === null || deliveredAt === undefined) return;
  if (rng.chance(0.05)) {
    const mistaken = story.openCase(deliveredAt + story.dur(1 * HOUR, 1 * DAY), {
      type: 'RETURN',
      line: rng.pick(story.activeLines),
      quantity: 1,
      replacementSku: null,
      reason: rng.pick(AFTER_SALES_REASONS),
    });
    mistaken.remove(deliveredAt + story.dur(1 * DAY, 2 * DAY));
  }
  afterSalesCase(story, deliveredAt, kind);
  if (rng.chance(0.2)) afterSalesCase(story, deliveredAt, rng.pick(['RETURN', 'REFUND_ONLY', 'EXCHANGE'] as const));
}

function happy(story: OrderStory, warehouse: WarehouseOptions = {}, parcelOptions: ParcelOptions = {}): ParcelRun | null {
  const paidAt = checkout(story);
  const attempts = parcelOptions.attempts ?? (story.rng.chance(0.1) ? 1 : 0);
  const { parcel } = fulfil(story, paidAt, warehouse, { ...parcelOptions, attempts });
  settle(story, parcel ? [parcel] : [], { closable: true });
  return parcel;
}

function cancelBeforeShipment(story: OrderStory): void {
  const { rng } = story;
  const variant = rng.weighted([
    ['unpaid', 35],
    ['beforeRelease', 25],
    ['inWarehouse', 40],
  ] as const);
  if (variant === 'unpaid') {
    story.setStatus(story.t0 + story.dur(2 * MINUTE, 2 * HOUR), 'CANCELLED');
    settle(story, []);
    return;
  }
  const paidAt = checkout(story);
  if (variant === 'beforeRelease') {
    story.setStatus(paidAt + story.dur(30 * SECOND, 4 * MINUTE), 'CANCELLED');
    settle(story, []);
    return;
  }
  const stage = rng.pick(['ALLOCATED', 'PICK_STARTED', 'PICKED', 'PACKED'] as const);
  const { run } = fulfil(story, paidAt, { cancel: { after: stage, reason: 'ORDER_CANCELLED' } });
  const stageAt = run.stageAt[stage] as number;
  const cancelledAt = run.cancelledAt as number;
  story.setStatus(stageAt + Math.max(1, Math.floor(rng.between(0.2, 0.8) * (cancelledAt - stageAt))), 'CANCELLED');
  if (stage === 'PACKED' && rng.chance(0.5)) {
    const label = story.newShipment(run.stream.fulfillmentId, rng.pick(CARRIERS), rng.pick(['none', 'order'] as const));
    label.scan((run.packedAt as number) + story.dur(1 * MINUTE, 5 * MINUTE), 'LABEL_CREATED', { location: warehouseCity(run.stream.warehouseId) });
  }
  settle(story, []);
}

function cancelAfterShipment(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const intercept = rng.chance(0.5);
  const window = story.dur(1 * HOUR, 4 * HOUR);
  const { parcel } = fulfil(story, paidAt, {}, intercept ? { interceptAfterHandover: window } : {});
  if (!parcel) return;
  const until = intercept ? window : (parcel.deliveredAt ?? parcel.lastAt) - parcel.handoverAt;
  const cancelledAt = parcel.handoverAt + Math.max(1, Math.floor(rng.between(0.2, 0.8) * until));
  story.setStatus(Math.max(cancelledAt, parcel.shippedAt + 1), 'CANCELLED', true);
  settle(story, [parcel]);
}

function cancelRacingShipment(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const intercept = rng.chance(0.5);
  const { parcel } = fulfil(story, paidAt, {}, intercept ? { interceptAfterHandover: story.dur(30 * MINUTE, 3 * HOUR) } : {});
  if (!parcel) return;
  const cancelledAt = rng.chance(0.2) ? parcel.shippedAt : parcel.shippedAt - story.dur(1 * SECOND, 3 * MINUTE);
  story.setStatus(cancelledAt, 'CANCELLED', true);
  settle(story, [parcel]);
}

function split(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const groups = partition(story, story.activeLines, rng.chance(0.7) ? 2 : 3);
  const parcels: ParcelRun[] = [];
  groups.forEach((lines, index) => {
    const delayed = index > 0 && rng.chance(0.5) ? story.dur(2 * HOUR, 12 * HOUR) : 0;
    const run = runWarehouse(story, lines, releaseTime(story, paidAt) + delayed);
    const stillTravelling = index === groups.length - 1 && groups.length > 1 && rng.chance(0.3);
    parcels.push(shipParcel(story, run, stillTravelling ? { end: 'stop', stopAfter: rng.pick(['IN_TRANSIT', 'ARRIVED_AT_HUB'] as const) } : {}));
  });
  settle(story, parcels, { closable: true });
}

function addressChange(story: OrderStory, afterPacking: boolean): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const { run, parcel } = fulfil(story, paidAt);
  const packedAt = run.packedAt as number;
  if (!afterPacking) {
    const first = paidAt + Math.max(1, Math.floor(rng.between(0.05, 0.5) * (packedAt - paidAt)));
    story.changeAddress(first);
    if (rng.chance(0.2)) story.changeAddress(first + Math.max(1, Math.floor(rng.between(0.1, 0.9) * (packedAt - first))));
  } else if (parcel) {
    const changedAt = rng.chance(0.6)
      ? packedAt + Math.max(1, Math.floor(rng.between(0.1, 0.9) * (parcel.handoverAt - packedAt)))
      : parcel.shippedAt + story.dur(30 * MINUTE, 5 * HOUR);
    story.changeAddress(changedAt, true);
  }
  settle(story, parcel ? [parcel] : [], { closable: true });
}

function fulfillmentCancelledSome(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const [cancelledLines, shippedLines] = partition(story, story.activeLines, 2) as [OrderLineItem[], OrderLineItem[] | undefined];
  const releasedAt = releaseTime(story, paidAt);
  const cancelled = runWarehouse(story, cancelledLines, releasedAt, {
    cancel: { after: rng.pick(['RELEASED', 'ALLOCATED', 'PICK_STARTED'] as const), reason: 'OUT_OF_STOCK' },
  });
  const parcels: ParcelRun[] = [];
  if (shippedLines) parcels.push(shipParcel(story, runWarehouse(story, shippedLines, releasedAt + story.dur(0, 20 * MINUTE))));
  if (rng.chance(0.3)) {
    const retry = runWarehouse(story, cancelledLines, (cancelled.cancelledAt as number) + story.dur(1 * HOUR, 6 * HOUR), {
      warehouseId: randomWarehouseId(story, cancelled.stream.warehouseId),
    });
    parcels.push(shipParcel(story, retry));
  }
  settle(story, parcels, { closable: true });
}

function fulfillmentCancelledAll(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  let lastCancel = paidAt;
  for (const lines of partition(story, story.activeLines, rng.chance(0.6) ? 1 : 2)) {
    const stage: WmsStage = rng.pick(['RELEASED', 'ALLOCATED', 'PICK_STARTED', 'PICKED'] as const);
    const run = runWarehouse(story, lines, releaseTime(story, paidAt), {
      cancel: { after: stage, reason: rng.pick(['OUT_OF_STOCK', 'ADDRESS_UNREACHABLE']) },
    });
    lastCancel = Math.max(lastCancel, run.cancelledAt as number);
  }
  if (rng.chance(0.4)) story.setStatus(lastCancel + story.dur(10 * MINUTE, 3 * HOUR), 'CANCELLED');
  settle(story, []);
}

function shortPick(story: OrderStory): void {
  const { rng } = story;
  const parcel = happy(story, { shortPick: true });
  if (parcel?.deliveredAt != null && rng.chance(0.3)) {
    const line = story.activeLines.find((candidate) => candidate.quantity >= 2) ?? story.activeLines[0];
    if (line) afterSalesCase(story, parcel.deliveredAt, 'REFUND_ONLY', { line, quantity: 1, complete: true });
  }
}

function deletedOrder(story: OrderStory): void {
  const { rng } = story;
  const cascade = rng.chance(0.6);
  const variant = rng.weighted([
    ['early', 50],
    ['afterPayment', 20],
    ['afterRelease', 30],
  ] as const);
  if (variant === 'early') {
    story.deleteOrder(story.t0 + story.dur(2 * MINUTE, 2 * HOUR), cascade);
  } else {
    const paidAt = checkout(story);
    if (variant === 'afterPayment') {
      story.deleteOrder(paidAt + story.dur(30 * SECOND, 4 * MINUTE), cascade);
    } else {
      const { run } = fulfil(story, paidAt, { cancel: { after: 'ALLOCATED', reason: 'ORDER_DELETED' } });
      const allocatedAt = run.stageAt.ALLOCATED as number;
      story.deleteOrder(allocatedAt + Math.max(1, Math.floor(rng.between(0.2, 0.8) * ((run.cancelledAt as number) - allocatedAt))), cascade);
    }
  }
  settle(story, []);
}

function deletedLine(story: OrderStory): void {
  const { rng } = story;
  const line = rng.pick(story.activeLines);
  story.deleteLine(story.t0 + story.dur(10 * SECOND, 60 * SECOND), line.lineNo);
  if (rng.chance(0.2)) story.reAddLine(story.t0 + story.dur(61 * SECOND, 120 * SECOND), line.lineNo);
  happy(story);
}

function revisedEta(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const deliveredLate = rng.chance(0.5);
  const { parcel } = fulfil(
    story,
    paidAt,
    {},
    deliveredLate ? { hubDelay: story.dur(6 * HOUR, 30 * HOUR) } : { end: 'stop', stopAfter: 'ARRIVED_AT_HUB' },
  );
  if (!parcel) return;
  let promise: number;
  if (deliveredLate && parcel.deliveredAt !== null) {
    promise = parcel.expectedAt + Math.floor(rng.between(0.2, 0.8) * (parcel.deliveredAt - parcel.expectedAt));
    story.setEtas(parcel.shipment, {
      first: story.etaGrid(parcel.expectedAt + story.offset(-2 * HOUR, 0)),
      revised: story.etaGrid(parcel.deliveredAt + story.offset(-0.5 * HOUR, 0.5 * HOUR)),
    });
  } else {
    promise = (parcel.hubAt ?? parcel.lastAt) + story.dur(1 * HOUR, 10 * HOUR);
    story.setEtas(parcel.shipment, {
      first: story.etaGrid(promise - story.dur(0.5 * HOUR, 3 * HOUR)),
      revised: story.etaGrid(promise + story.dur(2 * HOUR, 24 * HOUR)),
    });
  }
  settle(story, [parcel], { promise, etas: 'set' });
}

function lateDelivery(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const { parcel } = fulfil(story, paidAt, {}, { attempts: 1 });
  if (!parcel) return;
  const attemptAt = parcel.attemptAt as number;
  const deliveredAt = parcel.deliveredAt as number;
  settle(story, [parcel], { promise: attemptAt + Math.max(1, Math.floor(rng.between(0.1, 0.9) * (deliveredAt - attemptAt))) });
}

function overdue(story: OrderStory): void {
  const { rng } = story;
  const paidAt = checkout(story);
  const failedAttempt = rng.chance(0.6);
  const { parcel } = fulfil(
    story,
    paidAt,
    {},
    failedAttempt ? { attempts: 1, end: 'stop', stopAfter: 'DELIVERY_ATTEMPTED' } : { extraHub: true, end: 'stop' },
  );
  if (!parcel) return;
  const from = parcel.inTransitAt ?? parcel.handoverAt;
  const last = parcel.shipment.lastAt;
  settle(story, [parcel], { promise: from + Math.max(1, Math.floor(rng.between(0.2, 0.9) * (last - from))) });
}

// --- Stuck orders ---------------------------------------------------------------------------
// Each story is stuck for 1.5–3 times the threshold of its rule in pipelines/rules/ and then gets
// its missing event, or (context.staysStuck) never gets it. A stuck order keeps an ordinary
// promise, so one that stays stuck also misses it once the recording runs past it.

/** Paid, released to a warehouse only 75–120 min later (paid-not-released: 45 min, 40 on instant channels). */
function releaseDelayed(story: OrderStory): void {
  const paidAt = checkout(story);
  if (story.context.staysStuck) {
    settle(story, []);
    return;
  }
  const run = runWarehouse(story, story.activeLines, paidAt + story.dur(75 * MINUTE, 120 * MINUTE));
  settle(story, [shipParcel(story, run)], { closable: true });
}

/**
 * Released on time, then the fulfillment waits: packed 12–19 h after the release, shipped within
 * the hour after (released-not-shipped: 8 h); or it never gets past picking.
 */
function shipmentDelayed(story: OrderStory): void {
  const paidAt = checkout(story);
  const releasedAt = releaseTime(story, paidAt);
  if (story.context.staysStuck) {
    runWarehouse(story, story.activeLines, releasedAt, { stallAfter: 'PICK_STARTED' });
    settle(story, []);
    return;
  }
  const run = runWarehouse(story, story.activeLines, releasedAt, { packNotBefore: releasedAt + story.dur(12 * HOUR, 19 * HOUR) });
  settle(story, [shipParcel(story, run)], { closable: true });
}

/** Shipped, and the carrier's first scan comes 9.5–16 h later (shipped-no-carrier-scan: 6 h), or never. */
function carrierScanDelayed(story: OrderStory): void {
  const paidAt = checkout(story);
  const { parcel } = fulfil(story, paidAt, {}, story.context.staysStuck ? { neverPickedUp: true } : { pickupDelay: story.dur(9 * HOUR, 14 * HOUR) });
  settle(story, parcel ? [parcel] : [], { closable: !story.context.staysStuck });
}

/**
 * The carrier knows only the tracking number, and the WMS reports the shipment that links it to
 * the order 18–28 h after the label (unlinked-shipment: 12 h), or never. Until then the order's
 * view shows no shipment, so released-not-shipped opens for it too.
 */
function linkDelayed(story: OrderStory): void {
  const paidAt = checkout(story);
  const reportShipped = story.context.staysStuck ? ('never' as const) : { afterLabel: story.dur(18 * HOUR, 28 * HOUR) };
  const { parcel } = fulfil(story, paidAt, {}, { refMode: 'none', reportShipped });
  settle(story, parcel ? [parcel] : [], { closable: !story.context.staysStuck });
}

function missingCrm(story: OrderStory): void {
  const { rng } = story;
  story.orderRowVisible = false;
  const variant = rng.weighted([
    ['linesAndShipping', 50],
    ['shippingOnly', 30],
    ['linesOnly', 20],
  ] as const);
  story.lineRowsVisible = variant !== 'shippingOnly';
  if (variant === 'linesOnly') return;
  happy(story);
}

const SCRIPTS: Record<ScenarioKind, (story: OrderStory) => void> = {
  happy: (story) => {
    happy(story);
  },
  inProgress: (story) => {
    const parcel = happy(story);
    const end = parcel?.lastAt ?? story.t0 + story.dur(1 * HOUR, 1 * DAY);
    story.cutoff = story.t0 + Math.floor(story.rng.between(0.02, 1) * (end - story.t0));
  },
  unpaid: (story) => settle(story, []),
  split,
  addressChangeBeforePacking: (story) => addressChange(story, false),
  addressChangeAfterPacking: (story) => addressChange(story, true),
  cancelBeforeShipment,
  cancelAfterShipment,
  cancelRacingShipment,
  fulfillmentCancelledSome,
  fulfillmentCancelledAll,
  shortPick,
  deletedOrder,
  deletedLine,
  trackingWithoutOrderRef: (story) => {
    happy(story, {}, { refMode: story.rng.chance(0.6) ? 'none' : 'fulfillment' });
  },
  trackingBeforeShipped: (story) => {
    happy(story, {}, { shippedLate: true, refMode: story.rng.chance(0.8) ? 'none' : 'fulfillment' });
  },
  carrierException: (story) => {
    const code = story.rng.pick(EXCEPTION_CODES.filter((candidate) => candidate !== 'REFUSED'));
    const resume = code !== 'LOST' && story.rng.chance(0.5);
    happy(story, {}, { exception: { code, where: 'hub', resume }, end: resume ? 'delivered' : 'stop', attempts: 0 });
  },
  returnToSender: (story) => {
    const returnLeg = story.rng.chance(0.7) ? 'complete' : 'partial';
    happy(
      story,
      {},
      story.rng.chance(0.5)
        ? { exception: { code: 'REFUSED', where: 'door', resume: false }, end: 'returned', returnLeg, attempts: 0 }
        : { attempts: 2, end: 'returned', returnLeg },
    );
  },
  revisedEta,
  lateDelivery,
  overdue,
  afterSalesReturn: (story) => afterSalesStory(story, 'RETURN'),
  afterSalesRefundOnly: (story) => afterSalesStory(story, 'REFUND_ONLY'),
  afterSalesExchange: (story) => afterSalesStory(story, 'EXCHANGE'),
  afterSalesRejected: (story) => afterSalesStory(story, 'REJECTED'),
  missingCrm,
  storeFulfilment: (story) => {
    happy(story, { store: randomStore(story) });
  },
  rerouted: (story) => {
    happy(story, { reroute: true });
  },
  unknownWmsEvent: (story) => {
    happy(story, { unknownEvent: true });
  },
  releaseDelayed,
  shipmentDelayed,
  carrierScanDelayed,
  linkDelayed,
};

const HEADER_NEEDS: Partial<Record<ScenarioKind, HeaderNeeds>> = {
  split: { minLines: 2 },
  fulfillmentCancelledSome: { minLines: 2 },
  deletedLine: { minLines: 2 },
  shortPick: { minQuantity: 2 },
};

/** Tells one order's story of the given kind; pure and deterministic for the context. */
export function tellStory(context: StoryContext): OrderPlan {
  const story = new OrderStory(context, HEADER_NEEDS[context.kind]);
  SCRIPTS[context.kind](story);
  if (story.rng.chance(0.03)) story.snapshot(story.t0 + story.dur(5 * MINUTE, 6 * HOUR));
  return story.finish();
}
