import type { FulfillmentStream } from './fulfillment-stream.js';
import type { OrderLineItem } from './order-header.js';
import { DAY, HOUR, MINUTE, type OrderStory } from './order-story.js';
import { CARRIERS, HUB_CITIES, REROUTE_REASONS, SHORT_PICK_REASONS, SIGNERS, WAREHOUSES } from './reference-data.js';
import type { RefMode, ShipmentStream } from './shipment-stream.js';

export type WmsStage = 'RELEASED' | 'ALLOCATED' | 'PICK_STARTED' | 'PICKED' | 'PACKED';

export interface WarehouseOptions {
  warehouseId?: string;
  store?: { storeId: string; pickupLockerId: string | null } | null;
  shortPick?: boolean;
  reroute?: boolean;
  unknownEvent?: boolean;
  /** The WMS cancels the fulfillment some minutes after `after`. */
  cancel?: { after: WmsStage; reason: string };
  /** The fulfillment gets no further than this stage (stuck in the warehouse). */
  stallAfter?: WmsStage;
  /** Packed no earlier than this instant: the fulfillment waits in the warehouse before packing. */
  packNotBefore?: number;
}

export interface WarehouseRun {
  stream: FulfillmentStream;
  lines: readonly OrderLineItem[];
  stageAt: Partial<Record<WmsStage, number>>;
  packedAt: number | null;
  cancelledAt: number | null;
}

export function randomWarehouseId(story: OrderStory, except?: string): string {
  const candidates = WAREHOUSES.filter((warehouse) => warehouse.id !== except);
  return story.rng.pick(candidates).id;
}

export function warehouseCity(warehouseId: string): string {
  return WAREHOUSES.find((warehouse) => warehouse.id === warehouseId)?.city ?? '上海市';
}

/** A store that fulfils in the customer's city (ship-from-store), sometimes to a pickup locker. */
export function randomStore(story: OrderStory): { storeId: string; pickupLockerId: string | null } {
  const { rng } = story;
  return {
    storeId: `ST-${String(rng.int(1, 299)).padStart(3, '0')}`,
    pickupLockerId: rng.chance(0.3) ? `LK-${String(rng.int(1, 9999)).padStart(4, '0')}` : null,
  };
}

/** Picking to packing in one warehouse (or store), optionally cancelled by the WMS on the way. */
export function runWarehouse(story: OrderStory, lines: readonly OrderLineItem[], releaseAt: number, options: WarehouseOptions = {}): WarehouseRun {
  const { rng } = story;
  const stream = story.newFulfillment(lines, options.warehouseId ?? randomWarehouseId(story), options.store ?? null);
  const stageAt: Partial<Record<WmsStage, number>> = {};
  const run: WarehouseRun = { stream, lines, stageAt, packedAt: null, cancelledAt: null };
  const stopHere = (stage: WmsStage): boolean => {
    if (options.stallAfter === stage) return true;
    if (options.cancel?.after !== stage) return false;
    run.cancelledAt = stream.emit(stream.lastAt + story.dur(2 * MINUTE, 40 * MINUTE), 'CANCELLED', { reason: options.cancel.reason });
    return true;
  };

  stageAt.RELEASED = stream.emit(releaseAt, 'RELEASED');
  if (stopHere('RELEASED')) return run;
  stageAt.ALLOCATED = stream.emit(stream.lastAt + story.dur(2 * MINUTE, 15 * MINUTE), 'ALLOCATED');
  if (options.unknownEvent) stream.emit(stream.lastAt + story.dur(1 * MINUTE, 5 * MINUTE), 'UNKNOWN');
  if (options.reroute) {
    stream.emit(stream.lastAt + story.dur(5 * MINUTE, 30 * MINUTE), 'REROUTED', {
      newWarehouseId: randomWarehouseId(story, stream.warehouseId),
      reason: rng.pick(REROUTE_REASONS),
    });
    stageAt.ALLOCATED = stream.emit(stream.lastAt + story.dur(30 * MINUTE, 3 * HOUR), 'ALLOCATED');
  }
  if (stopHere('ALLOCATED')) return run;
  stageAt.PICK_STARTED = stream.emit(stream.lastAt + story.dur(2 * MINUTE, 15 * MINUTE), 'PICK_STARTED');
  if (stopHere('PICK_STARTED')) return run;
  if (options.shortPick) {
    const shortIndex = Math.max(0, lines.findIndex((line) => line.quantity >= 2));
    const picked = lines.map((line, index) => (index === shortIndex ? rng.int(0, Math.max(0, line.quantity - 1)) : line.quantity));
    stageAt.PICKED = stream.emit(stream.lastAt + story.dur(1 * MINUTE, 15 * MINUTE), 'SHORT_PICKED', {
      picked,
      reason: rng.pick(SHORT_PICK_REASONS),
    });
  } else {
    stageAt.PICKED = stream.emit(stream.lastAt + story.dur(1 * MINUTE, 15 * MINUTE), 'PICKED');
  }
  if (stopHere('PICKED')) return run;
  stageAt.PACKED = stream.emit(Math.max(stream.lastAt + story.dur(2 * MINUTE, 10 * MINUTE), options.packNotBefore ?? Number.NEGATIVE_INFINITY), 'PACKED');
  run.packedAt = stageAt.PACKED;
  stopHere('PACKED');
  return run;
}

export type TransitStage = 'PICKED_UP' | 'IN_TRANSIT' | 'ARRIVED_AT_HUB' | 'OUT_FOR_DELIVERY' | 'DELIVERY_ATTEMPTED';

export interface ParcelOptions {
  carrier?: string;
  refMode?: RefMode;
  /** Failed delivery attempts before the parcel is delivered, returned or left. */
  attempts?: number;
  /** `hub`: held at the sorting centre (resumes or not); `door`: at delivery, e.g. REFUSED. */
  exception?: { code: string; where: 'hub' | 'door'; resume: boolean };
  /** `stop`: no more events after `stopAfter` (or after the last scan told). */
  end?: 'delivered' | 'returned' | 'stop';
  stopAfter?: TransitStage;
  returnLeg?: 'complete' | 'partial';
  /** The carrier turns the parcel around at its first scan this long after handover. */
  interceptAfterHandover?: number;
  /** The WMS reports SHIPPED only after the carrier's first scans. */
  shippedLate?: boolean;
  /**
   * When the WMS reports SHIPPED (the event that links the tracking number to the order): this long
   * after the label, or never. Overrides `shippedLate`.
   */
  reportShipped?: { afterLabel: number } | 'never';
  /** Extra time before the carrier's first scan (PICKED_UP): the parcel waits on the dock. */
  pickupDelay?: number;
  /** The carrier never scans the parcel: it was labelled and handed over, and nothing more is heard. */
  neverPickedUp?: boolean;
  /** Extra time at the hub (backlog): delivery later than first estimated. */
  hubDelay?: number;
  /** A second hub scan a day later (misrouted parcel). */
  extraHub?: boolean;
}

export interface ParcelRun {
  shipment: ShipmentStream;
  /** Physical handover to the carrier (WMS SHIPPED unless reported late). */
  handoverAt: number;
  /** The order's `shipped_at` contribution: WMS SHIPPED or the first carrier scan, whichever is earlier. */
  shippedAt: number;
  inTransitAt: number | null;
  hubAt: number | null;
  attemptAt: number | null;
  deliveredAt: number | null;
  /** When the carrier first expected to deliver. */
  expectedAt: number;
  returned: boolean;
  lastAt: number;
}

function defaultRefMode(story: OrderStory): RefMode {
  return story.rng.weighted<RefMode>([
    ['order', 45],
    ['fulfillment', 15],
    ['both', 15],
    ['none', 15],
    ['labelOnly', 10],
  ]);
}

/**
 * Hands a packed fulfillment to a carrier and tells the parcel's journey: label, pickup, line
 * haul through a hub, delivery attempts, exceptions, returns with their return leg. Every scan
 * time is planned first, then the scans are drafted in order, so a story can reason about times
 * (ETAs, promises, cancellations) after the fact.
 */
export function shipParcel(story: OrderStory, run: WarehouseRun, options: ParcelOptions = {}): ParcelRun {
  const { rng } = story;
  const stream = run.stream;
  const packedAt = run.packedAt ?? stream.lastAt;
  const carrier = options.carrier ?? (stream.storeId !== null && rng.chance(0.6) ? 'CITY_COURIER' : rng.pick(CARRIERS));
  const cityCourier = carrier === 'CITY_COURIER';
  const shipment = story.newShipment(stream.fulfillmentId, carrier, options.refMode ?? defaultRefMode(story));
  const origin = warehouseCity(stream.warehouseId);
  const destination = story.shipTo.ship_city;
  const hub = rng.pick(HUB_CITIES);

  shipment.scan(packedAt + story.dur(1 * MINUTE, 5 * MINUTE), 'LABEL_CREATED', { location: cityCourier ? destination : origin });
  const handoverAt = Math.max(packedAt, shipment.lastAt) + story.dur(10 * MINUTE, 60 * MINUTE);
  const trackingDetails = { carrier, trackingNo: shipment.trackingNo };
  const reportShipped = options.reportShipped;
  let reportedShippedAt: number | null = null;
  if (!options.shippedLate && reportShipped === undefined) reportedShippedAt = stream.emit(handoverAt, 'SHIPPED', trackingDetails);

  const pickedUpAt =
    handoverAt + (cityCourier ? story.dur(5 * MINUTE, 20 * MINUTE) : story.dur(30 * MINUTE, 2 * HOUR)) + (options.pickupDelay ?? 0);
  const inTransitAt = cityCourier ? null : pickedUpAt + story.dur(1 * HOUR, 3 * HOUR);
  const hubAt = inTransitAt === null ? null : inTransitAt + story.dur(2 * HOUR, 5 * HOUR);
  const firstOutAt = hubAt === null ? pickedUpAt + story.dur(10 * MINUTE, 40 * MINUTE) : hubAt + story.dur(1 * HOUR, 6 * HOUR);
  const expectedAt = firstOutAt + (cityCourier ? story.dur(10 * MINUTE, 60 * MINUTE) : story.dur(30 * MINUTE, 2 * HOUR));

  const result: ParcelRun = {
    shipment,
    handoverAt,
    shippedAt: handoverAt,
    inTransitAt: null,
    hubAt: null,
    attemptAt: null,
    deliveredAt: null,
    expectedAt,
    returned: false,
    lastAt: handoverAt,
  };
  const interceptAt = options.interceptAfterHandover === undefined ? undefined : handoverAt + options.interceptAfterHandover;
  const end = options.end ?? 'delivered';

  const returnLeg = (at: number): void => {
    result.returned = true;
    const returnedAt = shipment.scan(at, 'RETURNED_TO_SENDER', { location: destination });
    const backAt = shipment.scan(returnedAt + story.dur(2 * HOUR, 8 * HOUR), 'IN_TRANSIT', { location: destination });
    const partial = options.returnLeg === 'partial';
    if (partial && rng.chance(0.5)) return;
    const hubBackAt = shipment.scan(backAt + story.dur(3 * HOUR, 10 * HOUR), 'ARRIVED_AT_HUB', { location: hub });
    if (partial) return;
    shipment.scan(hubBackAt + story.dur(6 * HOUR, 24 * HOUR), 'DELIVERED', { location: stream.warehouseId, signedBy: '仓库' });
  };

  /** Drafts a forward scan unless the carrier intercepts the parcel first; false when the journey ends. */
  const forward = (at: number, code: TransitStage | 'DELIVERED' | 'EXCEPTION', details: Parameters<ShipmentStream['scan']>[2]): boolean => {
    if (interceptAt !== undefined && at > interceptAt && !result.returned) {
      returnLeg(at);
      return false;
    }
    const scannedAt = shipment.scan(at, code, details);
    if (code === 'IN_TRANSIT') result.inTransitAt = scannedAt;
    if (code === 'ARRIVED_AT_HUB') result.hubAt ??= scannedAt;
    if (code === 'DELIVERY_ATTEMPTED') result.attemptAt = scannedAt;
    if (code === 'DELIVERED') result.deliveredAt = scannedAt;
    return !(end === 'stop' && options.stopAfter === code);
  };

  const journey = (): void => {
    if (!forward(pickedUpAt, 'PICKED_UP', { location: cityCourier ? destination : origin })) return;
    let at = pickedUpAt;
    if (inTransitAt !== null && hubAt !== null) {
      if (!forward(inTransitAt, 'IN_TRANSIT', { location: origin, eta: 'first' })) return;
      if (!forward(hubAt, 'ARRIVED_AT_HUB', { location: hub, eta: 'revised' })) return;
      at = hubAt;
      if (options.extraHub) {
        at = shipment.scan(at + story.dur(10 * HOUR, 30 * HOUR), 'ARRIVED_AT_HUB', { location: rng.pick(HUB_CITIES) });
        if (end === 'stop') return;
      }
    }
    if (options.shippedLate && reportShipped === undefined) reportedShippedAt = stream.emit(at + story.dur(10 * MINUTE, 3 * HOUR), 'SHIPPED', trackingDetails);
    let outAt = firstOutAt + (at - (hubAt ?? pickedUpAt)) + (options.hubDelay ?? 0);
    if (options.exception?.where === 'hub') {
      const exceptionAt = at + story.dur(30 * MINUTE, 3 * HOUR);
      if (!forward(exceptionAt, 'EXCEPTION', { location: hub, exceptionCode: options.exception.code })) return;
      if (!options.exception.resume) {
        if (end === 'returned') returnLeg(exceptionAt + story.dur(2 * HOUR, 12 * HOUR));
        return;
      }
      outAt = Math.max(outAt, exceptionAt + story.dur(3 * HOUR, 12 * HOUR));
    }
    for (let attempt = 0; ; attempt++) {
      if (!forward(outAt, 'OUT_FOR_DELIVERY', { location: destination })) return;
      const doorAt = outAt + (cityCourier ? story.dur(10 * MINUTE, 60 * MINUTE) : story.dur(30 * MINUTE, 2 * HOUR));
      const attempts = options.attempts ?? 0;
      if (attempt < attempts) {
        if (!forward(doorAt, 'DELIVERY_ATTEMPTED', { location: destination })) return;
        if (attempt + 1 === attempts && end === 'returned' && !options.exception) {
          returnLeg(doorAt + story.dur(1 * HOUR, 12 * HOUR));
          return;
        }
        outAt = doorAt + story.dur(14 * HOUR, 22 * HOUR);
        continue;
      }
      if (options.exception?.where === 'door') {
        if (!forward(doorAt, 'EXCEPTION', { location: destination, exceptionCode: options.exception.code })) return;
        if (end === 'returned') returnLeg(doorAt + story.dur(1 * HOUR, 12 * HOUR));
        return;
      }
      if (end === 'returned') returnLeg(doorAt + story.dur(1 * HOUR, 12 * HOUR));
      else if (end === 'delivered') forward(doorAt, 'DELIVERED', { location: destination, signedBy: rng.pick(SIGNERS) });
      return;
    }
  };
  if (!options.neverPickedUp) journey();

  if (reportShipped !== undefined && reportShipped !== 'never') {
    const labelAt = shipment.timeOf('LABEL_CREATED') as number;
    reportedShippedAt = stream.emit(labelAt + reportShipped.afterLabel, 'SHIPPED', trackingDetails);
  } else if (reportedShippedAt === null && reportShipped !== 'never') {
    reportedShippedAt = stream.emit(Math.max(stream.lastAt, shipment.lastAt) + story.dur(10 * MINUTE, 3 * HOUR), 'SHIPPED', trackingDetails);
  }
  const firstScan = shipment.timeOf('PICKED_UP') ?? Number.POSITIVE_INFINITY;
  result.shippedAt = Math.min(reportedShippedAt ?? Number.POSITIVE_INFINITY, firstScan);
  result.lastAt = Math.max(shipment.lastAt, reportedShippedAt ?? Number.NEGATIVE_INFINITY);
  return result;
}

/**
 * ETAs as carriers give them: the first estimate near the expected delivery (a little early, a
 * little late), the revision closer to it; both on the half-hour grid.
 */
export function naturalEtas(story: OrderStory, parcel: ParcelRun): void {
  story.setEtas(parcel.shipment, {
    first: story.etaGrid(parcel.expectedAt + story.offset(-3 * HOUR, 0.5 * HOUR)),
    revised: story.etaGrid(parcel.expectedAt + story.offset(-1 * HOUR, 0.5 * HOUR)),
  });
}

/**
 * A promise the parcels keep: one to three days after ordering, and never earlier than a few
 * hours after the parcels' last event or expected delivery, so no exception fires by accident.
 */
export function keptPromise(story: OrderStory, parcels: readonly ParcelRun[]): number {
  const base = story.t0 + story.dur(1 * DAY, 3 * DAY);
  const latest = parcels.reduce((max, parcel) => Math.max(max, parcel.lastAt, parcel.expectedAt), Number.NEGATIVE_INFINITY);
  return Number.isFinite(latest) ? Math.max(base, latest + story.dur(1 * HOUR, 12 * HOUR)) : base;
}
