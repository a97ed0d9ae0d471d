import type { Rng } from './seeded-random.js';
import {
  BUYER_NOTES,
  CHANNELS,
  CITIES,
  GIVEN_NAMES,
  MEMBER_TIERS,
  PRODUCTS,
  STREETS,
  SURNAMES,
  type Product,
} from './reference-data.js';

/** The seven `ship_*` columns, in schema order: a change of any of them is an address change. */
export interface ShipTo {
  ship_name: string;
  ship_phone: string;
  ship_province: string;
  ship_city: string;
  ship_district: string | null;
  ship_line: string;
  ship_postcode: string | null;
}

export interface OrderLineItem {
  lineNo: number;
  product: Product;
  quantity: number;
}

/** What the customer ordered and where it goes: the CRM row before any lifecycle column. */
export interface OrderHeader {
  channel: string;
  customerId: string;
  customerName: string;
  customerPhone: string;
  memberTier: string | null;
  shipTo: ShipTo;
  giftOrder: boolean;
  buyerNote: string | null;
  lines: OrderLineItem[];
  /** Sum of quantity × unit price at creation, fen. The CRM does not recompute it on line edits. */
  totalCents: number;
}

export function randomPersonName(rng: Rng): string {
  return rng.pick(SURNAMES) + rng.pick(GIVEN_NAMES);
}

export function randomMobile(rng: Rng): string {
  return `1${rng.pick(['3', '5', '7', '8', '9'])}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;
}

function randomStreetLine(rng: Rng): string {
  const line = `${rng.pick(STREETS)}${rng.int(1, 999)}号`;
  return rng.chance(0.4) ? `${line}${rng.int(1, 30)}栋${rng.int(1, 32)}0${rng.int(1, 8)}室` : line;
}

export function randomShipTo(rng: Rng, name: string, phone: string): ShipTo {
  const city = rng.pick(CITIES);
  return {
    ship_name: name,
    ship_phone: phone,
    ship_province: city.province,
    ship_city: city.city,
    ship_district: rng.chance(0.7) ? rng.pick(city.districts) : null,
    ship_line: randomStreetLine(rng),
    ship_postcode: rng.chance(0.6) ? `${city.postcodePrefix}${String(rng.int(0, 999)).padStart(3, '0')}` : null,
  };
}

/**
 * A customer's edit of the address: usually a new street line, sometimes a new recipient phone or
 * district. Always differs from `current` in at least one of the seven columns.
 */
export function changedShipTo(rng: Rng, current: ShipTo): Partial<ShipTo> {
  let line = randomStreetLine(rng);
  while (line === current.ship_line) line = randomStreetLine(rng);
  const patch: Partial<ShipTo> = { ship_line: line };
  if (rng.chance(0.2)) patch.ship_phone = randomMobile(rng);
  if (rng.chance(0.2)) {
    const city = CITIES.find((candidate) => candidate.city === current.ship_city);
    if (city) patch.ship_district = rng.pick(city.districts);
  }
  return patch;
}

function lineCount(rng: Rng): number {
  return rng.weighted([
    [1, 40],
    [2, 30],
    [3, 20],
    [4, 10],
  ]);
}

/** A new order; `minLines` and `minQuantity` let a story ask for something to split or short-pick. */
export function randomHeader(rng: Rng, minLines = 1, minQuantity = 1): OrderHeader {
  const customerName = randomPersonName(rng);
  const customerPhone = randomMobile(rng);
  const recipientIsCustomer = rng.chance(0.5);
  const shipTo = randomShipTo(
    rng,
    recipientIsCustomer ? customerName : randomPersonName(rng),
    recipientIsCustomer ? customerPhone : randomMobile(rng),
  );
  const count = Math.max(minLines, lineCount(rng));
  const lines: OrderLineItem[] = [];
  for (let lineNo = 1; lineNo <= count; lineNo++) {
    lines.push({ lineNo, product: rng.pick(PRODUCTS), quantity: Math.max(minQuantity, rng.int(1, 3)) });
  }
  const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.product.priceCents, 0);
  return {
    channel: rng.pick(CHANNELS),
    customerId: `C-${String(rng.int(0, 99_999)).padStart(5, '0')}`,
    customerName,
    customerPhone,
    memberTier: rng.pick(MEMBER_TIERS),
    shipTo,
    giftOrder: rng.chance(0.1),
    buyerNote: rng.pick(BUYER_NOTES),
    lines,
    totalCents,
  };
}

/** A canonical decimal at scale 2 ("199.00", "0.50") from an amount in fen. */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
