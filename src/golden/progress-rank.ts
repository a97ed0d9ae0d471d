/**
 * The progress ladder of a fulfillment (contract, "Canonical status"). Ranks only rise, so the
 * progress of a fulfillment is the maximum rank over its events, whatever their arrival order.
 */
export const PROGRESS_NAMES: Readonly<Record<number, string>> = {
  2: 'RELEASED',
  3: 'PICKING',
  4: 'PACKED',
  5: 'SHIPPED',
  6: 'IN_TRANSIT',
  7: 'OUT_FOR_DELIVERY',
  8: 'DELIVERED',
};

/** Rank of the SHIPPED step: a progress difference from here on makes an order "partially". */
export const SHIPPED_RANK = 5;
/** Rank of the DELIVERED step. */
export const DELIVERED_RANK = 8;

const WMS_RANKS: ReadonlyMap<string, number> = new Map([
  ['RELEASED', 2],
  ['ALLOCATED', 2],
  ['REROUTED', 2],
  ['UNKNOWN', 2],
  ['PICK_STARTED', 3],
  ['PICKED', 3],
  ['SHORT_PICKED', 3],
  ['PACKED', 4],
  ['SHIPPED', 5],
]);

const TMS_RANKS: ReadonlyMap<string, number> = new Map([
  ['LABEL_CREATED', 4],
  ['PICKED_UP', 6],
  ['IN_TRANSIT', 6],
  ['ARRIVED_AT_HUB', 6],
  ['OUT_FOR_DELIVERY', 7],
  ['DELIVERY_ATTEMPTED', 7],
  ['DELIVERED', 8],
]);

/** TMS codes that mean the parcel has left: they count for `shipped_at`. */
export const TMS_SHIPPED_CODES: ReadonlySet<string> = new Set([
  'PICKED_UP',
  'IN_TRANSIT',
  'ARRIVED_AT_HUB',
  'OUT_FOR_DELIVERY',
  'DELIVERY_ATTEMPTED',
  'DELIVERED',
]);

/**
 * Rank a WMS event type reaches: 0 for CANCELLED; a type outside the ladder counts as UNKNOWN,
 * which is what an Avro reader resolves an unknown enum symbol to.
 */
export function wmsRank(eventType: string): number {
  return WMS_RANKS.get(eventType) ?? (eventType === 'CANCELLED' ? 0 : 2);
}

/** Rank a TMS event code reaches; 0 for codes that reach none (EXCEPTION, RETURNED_TO_SENDER). */
export function tmsRank(eventCode: string): number {
  return TMS_RANKS.get(eventCode) ?? 0;
}
