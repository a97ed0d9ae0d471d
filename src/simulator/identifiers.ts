import { hash32, type Rng } from './seeded-random.js';

/** The order id as the reference CRM writes it: prefix plus a zero-padded number (`SO-000001`). */
export function formatOrderId(prefix: string, orderNo: number): string {
  return `${prefix}${String(orderNo).padStart(6, '0')}`;
}

/**
 * The part of an order id that the WMS and the after-sales desk reuse in their own ids
 * (`SO-000001` → `000001` → `FF-000001-1`, `AS-000001-1`), so ids stay unique whenever order ids are.
 */
export function orderIdStem(orderId: string): string {
  return orderId.startsWith('SO-') ? orderId.slice(3) : orderId;
}

export function fulfillmentId(orderId: string, index: number): string {
  return `FF-${orderIdStem(orderId)}-${index}`;
}

export function caseId(orderId: string, index: number): string {
  return `AS-${orderIdStem(orderId)}-${index}`;
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/** A random (version 4) UUID drawn from the stream: WMS `event_id` has logicalType uuid. */
export function randomUuid(rng: Rng): string {
  const a = hex32(rng.uint32());
  const b = hex32(rng.uint32());
  const c = hex32(rng.uint32());
  const d = hex32(rng.uint32());
  const variant = ((parseInt(c[0] as string, 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

/** A TMS event id as the reference carrier feed writes them (`TE-78313976-972b-48c8`). */
export function trackingEventId(rng: Rng): string {
  const a = hex32(rng.uint32());
  const b = hex32(rng.uint32());
  return `TE-${a}-${b.slice(0, 4)}-${b.slice(4, 8)}`;
}

const TRACKING_PREFIX: Record<string, string> = {
  SF: 'SF',
  JD: 'JD',
  ZTO: 'ZTO',
  YTO: 'YTO',
  STO: 'STO',
  EMS: 'EMS',
  CITY_COURIER: 'CC',
};

const DIGITS_MODULUS = 1_000_000_000_000n;
const SCRAMBLE_FACTOR = 7_919_000_000_003n;
const SCRAMBLE_OFFSET = 4_294_967_291n;
const NAMESPACES = 62_500;
const ORDER_NUMBERS = 1_000_000;

/** Shipments per order that get distinct tracking numbers (fulfillments and spare labels). */
export const MAX_SHIPMENTS_PER_ORDER = 16;

/**
 * A tracking number unique to (order id prefix, order number, shipment index): the three are packed
 * into one integer below 10^12 and sent through an affine bijection of the 12-digit numbers, so the
 * digits look random yet two shipments never share a number — a tracking number belongs to at most
 * one order, as the contract requires. Guaranteed within one prefix while order numbers stay below
 * 10^6; two prefixes share a number space with probability 1/62,500.
 */
export function trackingNumber(carrier: string, orderIdPrefix: string, orderNo: number, index: number): string {
  const namespace = BigInt(hash32(orderIdPrefix, 7) % NAMESPACES);
  const packed = (namespace * BigInt(ORDER_NUMBERS) + BigInt(orderNo % ORDER_NUMBERS)) * BigInt(MAX_SHIPMENTS_PER_ORDER) + BigInt(index);
  const digits = (packed * SCRAMBLE_FACTOR + SCRAMBLE_OFFSET) % DIGITS_MODULUS;
  return `${TRACKING_PREFIX[carrier] ?? carrier}${digits.toString().padStart(12, '0')}`;
}
