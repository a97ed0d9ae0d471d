import type { CrmOp } from '../normalize/canonical-event.js';
import { FulfillmentStream, type FulfillmentLineItem } from './fulfillment-stream.js';
import { caseId, fulfillmentId, MAX_SHIPMENTS_PER_ORDER, trackingNumber } from './identifiers.js';
import { centsToDecimal, changedShipTo, randomHeader, type OrderHeader, type OrderLineItem, type ShipTo } from './order-header.js';
import type { OrderPlan, PlannedCrmTransaction, PlannedEvent, PlannedSourceEvent } from './planned-event.js';
import { RowHistory, type TimedChange } from './row-history.js';
import type { ScenarioKind } from './scenario-options.js';
import { createRng, type Rng } from './seeded-random.js';
import { ShipmentStream, type EtaValues, type RefMode } from './shipment-stream.js';
import { formatZoned, pickZonedStyle, toMicroTimestamp } from './zoned-time.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Where and when an order's story happens. */
export interface StoryContext {
  seed: string;
  orderId: string;
  orderNo: number;
  orderIdPrefix: string;
  kind: ScenarioKind;
  /** A stuck-order story whose missing event never comes (see STAYS_STUCK_SHARE). */
  staysStuck: boolean;
  /** Creation time of the order, epoch ms. */
  t0: number;
  /** Durations are divided by this (see ScenarioOptions.timeScale). */
  timeScale: number;
  wmsV1Share: number;
}

export interface HeaderNeeds {
  minLines?: number;
  minQuantity?: number;
}

/** An after-sales case being written: each `advance` is one update of the row. */
export interface CaseWriter {
  readonly caseId: string;
  advance(at: number, status: string, patch?: Record<string, unknown>): void;
  remove(at: number): void;
}

/**
 * The building blocks of an order's story: the CRM rows it touches, its fulfillments and
 * shipments, and the clock arithmetic (durations scaled by `timeScale`, never below 1 ms). Scripts
 * (see story-scripts.ts) use these to tell one scenario kind; `finish` turns the story into the
 * source events, in no particular order.
 */
export class OrderStory {
  readonly rng: Rng;
  readonly t0: number;
  readonly header: OrderHeader;
  /** The current ship-to, as address changes are told (in time order). */
  shipTo: ShipTo;
  /** `promised_delivery_at`, ms; scripts settle it once they know how the parcels fare. */
  promise: number | null = null;
  /** Events after this instant are dropped: the story is still going on. */
  cutoff: number | undefined;
  /** False when the CRM order row never reaches Kafka (partial views). */
  orderRowVisible = true;
  /** False when the CRM line rows never reach Kafka. */
  lineRowsVisible = true;
  /** The lines as they stand after edits: what the warehouse is asked to ship. */
  readonly activeLines: OrderLineItem[];

  private readonly orderRow: RowHistory;
  private readonly lineRows = new Map<number, RowHistory>();
  private readonly caseRows: RowHistory[] = [];
  private readonly sourceEvents: PlannedSourceEvent[] = [];
  private readonly shipments: { stream: ShipmentStream; etas: EtaValues }[] = [];
  private fulfillmentCount = 0;
  private caseCount = 0;

  constructor(
    readonly context: StoryContext,
    needs: HeaderNeeds = {},
  ) {
    this.rng = createRng(context.seed, 'order', context.orderId);
    this.t0 = context.t0;
    this.header = randomHeader(this.rng, needs.minLines, needs.minQuantity);
    this.shipTo = { ...this.header.shipTo };
    this.activeLines = [...this.header.lines];
    this.orderRow = new RowHistory('orders', { order_id: context.orderId }, true);
    for (const line of this.header.lines) {
      this.lineRows.set(line.lineNo, new RowHistory('order_lines', { order_id: context.orderId, line_no: line.lineNo }, false));
    }
  }

  get orderId(): string {
    return this.context.orderId;
  }

  /** A random duration in [minMs, maxMs) of the order's life, scaled; at least 1 ms. */
  dur(minMs: number, maxMs: number): number {
    return Math.max(1, Math.round(this.rng.between(minMs, maxMs) / this.context.timeScale));
  }

  /** A random signed offset in [minMs, maxMs), scaled. */
  offset(minMs: number, maxMs: number): number {
    return Math.round(this.rng.between(minMs, maxMs) / this.context.timeScale);
  }

  /** Rounds to the carrier's ETA grid: half hours, scaled. */
  etaGrid(ms: number): number {
    const grid = Math.max(1, Math.round((30 * MINUTE) / this.context.timeScale));
    return Math.round(ms / grid) * grid;
  }

  zoned(at: number, precise = false): string {
    return formatZoned(at, pickZonedStyle(this.rng, precise), this.rng);
  }

  // --- CRM: public.orders -------------------------------------------------------------------

  private updateOrder(at: number, op: CrmOp, patch?: Record<string, unknown>, precise?: boolean): void {
    this.orderRow.add({ at, op, patch, precise });
  }

  pay(at: number): void {
    this.updateOrder(at, 'u', { status: 'PAID', paid_at: this.zoned(at) });
  }

  setStatus(at: number, status: 'CREATED' | 'CANCELLED' | 'CLOSED', precise = false): void {
    this.updateOrder(at, 'u', { status }, precise);
  }

  /** A new ship-to address; must be told in time order with other address changes. */
  changeAddress(at: number, precise = false): void {
    const patch = changedShipTo(this.rng, this.shipTo);
    this.shipTo = { ...this.shipTo, ...patch };
    this.updateOrder(at, 'u', patch, precise);
  }

  /** The connector re-reads the row (op `r`, e.g. an incremental snapshot after a restart). */
  snapshot(at: number): void {
    this.updateOrder(at, 'r');
  }

  /** Deletes the order row; with `cascade` the lines go in the same transaction. */
  deleteOrder(at: number, cascade: boolean): void {
    const tx = `delete-${at}`;
    if (cascade) {
      for (const [lineNo, row] of this.lineRows) row.add({ at, op: 'd', tx, rank: lineNo });
    }
    this.orderRow.add({ at, op: 'd', tx, rank: 1000 });
  }

  // --- CRM: public.order_lines --------------------------------------------------------------

  private lineImage(line: OrderLineItem): Record<string, unknown> {
    return {
      order_id: this.orderId,
      line_no: line.lineNo,
      sku: line.product.sku,
      product_name: line.product.name,
      quantity: line.quantity,
      unit_price: centsToDecimal(line.product.priceCents),
      updated_at: null,
    };
  }

  changeLineQuantity(at: number, lineNo: number, quantity: number): void {
    const index = this.activeLines.findIndex((line) => line.lineNo === lineNo);
    const line = this.activeLines[index];
    if (!line) return;
    this.activeLines[index] = { ...line, quantity };
    this.lineRows.get(lineNo)?.add({ at, op: 'u', patch: { quantity } });
  }

  deleteLine(at: number, lineNo: number): void {
    const index = this.activeLines.findIndex((line) => line.lineNo === lineNo);
    if (index >= 0) this.activeLines.splice(index, 1);
    this.lineRows.get(lineNo)?.add({ at, op: 'd' });
  }

  /** Inserts a deleted line again under the same `line_no`: a newer image than the delete. */
  reAddLine(at: number, lineNo: number): void {
    const line = this.header.lines.find((candidate) => candidate.lineNo === lineNo);
    if (!line || this.activeLines.some((candidate) => candidate.lineNo === lineNo)) return;
    this.activeLines.push(line);
    this.activeLines.sort((a, b) => a.lineNo - b.lineNo);
    this.lineRows.get(lineNo)?.add({ at, op: 'c', patch: this.lineImage(line) });
  }

  // --- CRM: public.after_sales --------------------------------------------------------------

  openCase(at: number, spec: { type: string; line: OrderLineItem; quantity: number; replacementSku: string | null; reason: string }): CaseWriter {
    this.caseCount++;
    const id = caseId(this.orderId, this.caseCount);
    const row = new RowHistory('after_sales', { case_id: id }, false);
    this.caseRows.push(row);
    const createdAt = this.zoned(at);
    row.add({
      at,
      op: 'c',
      patch: {
        case_id: id,
        order_id: this.orderId,
        case_type: spec.type,
        status: 'REQUESTED',
        sku: spec.line.product.sku,
        quantity: spec.quantity,
        refund_amount: null,
        replacement_sku: spec.replacementSku,
        reason: spec.reason,
        created_at: createdAt,
        updated_at: this.rng.chance(0.6) ? createdAt : null,
      },
    });
    return {
      caseId: id,
      advance: (when, status, patch) => row.add({ at: when, op: 'u', patch: { status, ...patch } }),
      remove: (when) => row.add({ at: when, op: 'd' }),
    };
  }

  // --- WMS and TMS --------------------------------------------------------------------------

  newFulfillment(
    lines: readonly OrderLineItem[],
    warehouseId: string,
    store: { storeId: string; pickupLockerId: string | null } | null = null,
  ): FulfillmentStream {
    this.fulfillmentCount++;
    const items: FulfillmentLineItem[] = lines.map((line) => ({ sku: line.product.sku, quantity: line.quantity }));
    return new FulfillmentStream({
      orderId: this.orderId,
      fulfillmentId: fulfillmentId(this.orderId, this.fulfillmentCount),
      warehouseId,
      storeId: store?.storeId ?? null,
      pickupLockerId: store?.pickupLockerId ?? null,
      lines: items,
      wmsV1Share: this.context.wmsV1Share,
      rng: this.rng,
      emit: (event) => this.sourceEvents.push(event),
    });
  }

  newShipment(fulfillment: string, carrier: string, refMode: RefMode): ShipmentStream {
    const index = this.shipments.length;
    if (index >= MAX_SHIPMENTS_PER_ORDER) throw new RangeError(`more than ${MAX_SHIPMENTS_PER_ORDER} shipments for one order`);
    const stream = new ShipmentStream({
      trackingNo: trackingNumber(carrier, this.context.orderIdPrefix, this.context.orderNo, index),
      carrier,
      orderId: this.orderId,
      fulfillmentId: fulfillment,
      refMode,
      rng: this.rng,
    });
    this.shipments.push({ stream, etas: { first: null, revised: null } });
    return stream;
  }

  setEtas(stream: ShipmentStream, etas: EtaValues): void {
    const entry = this.shipments.find((candidate) => candidate.stream === stream);
    if (entry) entry.etas = etas;
  }

  // --- the end ------------------------------------------------------------------------------

  private orderImage(): Record<string, unknown> {
    const { header } = this;
    const createdAt = this.zoned(this.t0);
    return {
      order_id: this.orderId,
      channel: header.channel,
      customer_id: header.customerId,
      customer_name: header.customerName,
      customer_phone: header.customerPhone,
      member_tier: header.memberTier,
      status: 'CREATED',
      currency: 'CNY',
      total_amount: centsToDecimal(header.totalCents),
      ...header.shipTo,
      gift_order: header.giftOrder,
      buyer_note: header.buyerNote,
      promised_delivery_at: this.promise === null ? null : toMicroTimestamp(this.promise, this.rng),
      created_at: createdAt,
      paid_at: null,
      updated_at: createdAt,
      row_version: 1,
    };
  }

  finish(): OrderPlan {
    const changes: TimedChange[] = [];
    if (this.orderRowVisible) {
      this.orderRow.add({ at: this.t0, op: 'c', patch: this.orderImage(), tx: 'create', rank: 0 });
      changes.push(...this.orderRow.materialize(this.rng));
    }
    for (const line of this.header.lines) {
      const row = this.lineRows.get(line.lineNo) as RowHistory;
      row.add({ at: this.t0, op: 'c', patch: this.lineImage(line), tx: 'create', rank: line.lineNo, tsOffset: 1 });
      if (this.lineRowsVisible) changes.push(...row.materialize(this.rng));
    }
    if (this.orderRowVisible || this.lineRowsVisible) {
      for (const row of this.caseRows) changes.push(...row.materialize(this.rng));
    }

    const events: PlannedEvent[] = [];
    const transactions = new Map<string, PlannedCrmTransaction & { ranks: number[] }>();
    for (const timed of changes) {
      if (timed.tx === undefined) {
        events.push({ system: 'crm', at: timed.at, changes: [timed.change] });
        continue;
      }
      const tx = transactions.get(timed.tx);
      if (!tx) {
        transactions.set(timed.tx, { system: 'crm', at: timed.at, changes: [timed.change], ranks: [timed.rank] });
      } else {
        tx.at = Math.min(tx.at, timed.at);
        tx.changes.push(timed.change);
        tx.ranks.push(timed.rank);
      }
    }
    for (const { at, changes: txChanges, ranks } of transactions.values()) {
      const order = txChanges.map((change, index) => ({ change, rank: ranks[index] as number })).sort((a, b) => a.rank - b.rank);
      events.push({ system: 'crm', at, changes: order.map((entry) => entry.change) });
    }
    events.push(...this.sourceEvents);
    for (const { stream, etas } of this.shipments) events.push(...stream.build(etas));

    const cutoff = this.cutoff;
    return {
      orderId: this.orderId,
      orderNo: this.context.orderNo,
      kind: this.context.kind,
      events: cutoff === undefined ? events : events.filter((event) => event.at <= cutoff),
    };
  }
}
