import { randomUuid } from './identifiers.js';
import type { PlannedSourceEvent } from './planned-event.js';
import { TOPICS, WRITER_SCHEMAS } from './replay-line.js';
import type { Rng } from './seeded-random.js';

/** Event types only WMS schema v2 can carry. */
const V2_ONLY_TYPES = new Set(['REROUTED', 'UNKNOWN']);

/** The event types after which quantities picked are known. */
const PICKED_TYPES = new Set(['PICKED', 'SHORT_PICKED']);

export interface FulfillmentLineItem {
  sku: string;
  quantity: number;
}

export interface FulfillmentSetup {
  orderId: string;
  fulfillmentId: string;
  warehouseId: string;
  /** Set for store fulfilment: every event then needs schema v2. */
  storeId: string | null;
  pickupLockerId: string | null;
  lines: FulfillmentLineItem[];
  /** Share of events this producer writes with schema v1. */
  wmsV1Share: number;
  rng: Rng;
  emit: (event: PlannedSourceEvent) => void;
}

export interface WmsEventDetails {
  carrier?: string;
  trackingNo?: string;
  reason?: string;
  /** For SHORT_PICKED: quantity picked per line (same order as `lines`). */
  picked?: number[];
  /** For REROUTED: the warehouse taking over. */
  newWarehouseId?: string;
}

/**
 * The WMS events of one fulfillment. Keeps `occurred_at` strictly increasing, remembers what was
 * picked, and writes each event with schema v1 or v2 the way the reference producers do: each
 * warehouse producer mostly sticks to one version, v2-only content (store fields, REROUTED,
 * UNKNOWN) always goes out as v2.
 */
export class FulfillmentStream {
  lastAt = Number.NEGATIVE_INFINITY;
  warehouseId: string;
  private picked: number[] | undefined;
  private readonly prefersV1: boolean;

  constructor(private readonly setup: FulfillmentSetup) {
    this.warehouseId = setup.warehouseId;
    this.prefersV1 = setup.rng.chance(setup.wmsV1Share);
  }

  get fulfillmentId(): string {
    return this.setup.fulfillmentId;
  }

  get storeId(): string | null {
    return this.setup.storeId;
  }

  /** Emits an event at `at` (moved to 1 ms after the previous one if needed); returns its time. */
  emit(at: number, type: string, details: WmsEventDetails = {}): number {
    const { rng } = this.setup;
    const occurredAt = Math.max(at, this.lastAt + 1);
    this.lastAt = occurredAt;
    if (type === 'REROUTED' && details.newWarehouseId) this.warehouseId = details.newWarehouseId;
    if (PICKED_TYPES.has(type)) this.picked = details.picked ?? this.setup.lines.map((line) => line.quantity);
    const picked = this.picked;
    const lines = this.setup.lines.map((line, index) => ({
      sku: line.sku,
      qty_ordered: line.quantity,
      qty_picked: picked?.[index] ?? 0,
    }));
    const needsV2 = this.setup.storeId !== null || V2_ONLY_TYPES.has(type);
    const v1 = !needsV2 && (rng.chance(0.85) ? this.prefersV1 : rng.chance(this.setup.wmsV1Share));
    const value: Record<string, unknown> = {
      event_id: randomUuid(rng),
      event_type: type,
      occurred_at: occurredAt,
      warehouse_id: this.warehouseId,
      fulfillment_id: this.setup.fulfillmentId,
      external_order_no: this.setup.orderId,
      lines,
      carrier_code: details.carrier ?? null,
      tracking_no: details.trackingNo ?? null,
      reason: details.reason ?? null,
    };
    if (!v1) {
      value.store_id = this.setup.storeId;
      value.pickup_locker_id = this.setup.pickupLockerId;
      value.label_address_hash = null;
    }
    this.setup.emit({
      system: 'wms',
      at: occurredAt,
      line: {
        topic: TOPICS.wms,
        key: this.setup.fulfillmentId,
        schema: v1 ? WRITER_SCHEMAS.wmsV1 : WRITER_SCHEMAS.wmsV2,
        value,
      },
    });
    return occurredAt;
  }
}
