import { z } from 'zod';
import { OrderlakeError } from '../errors.js';

/**
 * The order stories the simulator can tell. Each one exercises a rule of the contract (merge,
 * linking, canonical status or an exception); `mix` weights decide how often each occurs.
 */
export const SCENARIO_KINDS = [
  /** Paid, fulfilled from one warehouse, delivered before the promise. */
  'happy',
  /** A happy story cut at a random moment: the order is still on its way. */
  'inProgress',
  /** Created and never paid. */
  'unpaid',
  /** Two or three fulfillments, each with its own tracking number; one may still be travelling. */
  'split',
  /** The ship-to address changes after payment, before the parcel is packed. */
  'addressChangeBeforePacking',
  /** The ship-to address changes after packing: the label may carry the old address. */
  'addressChangeAfterPacking',
  /** Cancelled before anything shipped: before payment, before release, or during picking. */
  'cancelBeforeShipment',
  /** Cancelled while the parcel travels; the carrier intercepts it or delivers anyway. */
  'cancelAfterShipment',
  /** Cancelled moments before (or at the instant) the warehouse ships. */
  'cancelRacingShipment',
  /** One of two fulfillments is cancelled by the warehouse, the other is delivered. */
  'fulfillmentCancelledSome',
  /** Every fulfillment is cancelled by the warehouse. */
  'fulfillmentCancelledAll',
  /** A line is picked short, then shipped. */
  'shortPick',
  /** The order row is deleted (delete + tombstone), sometimes after the warehouse saw it. */
  'deletedOrder',
  /** A line is deleted (delete + tombstone), sometimes re-added later. */
  'deletedLine',
  /** The carrier names neither the order nor (sometimes) the fulfillment: linking by tracking number. */
  'trackingWithoutOrderRef',
  /** Carrier scans happen before the warehouse reports SHIPPED. */
  'trackingBeforeShipped',
  /** A carrier exception, resolved or not. */
  'carrierException',
  /** Returned to sender, with the return leg back to the warehouse. */
  'returnToSender',
  /** The carrier revises its ETA beyond the promise; delivered late or still travelling. */
  'revisedEta',
  /** A failed attempt, delivered the next day after the promise. */
  'lateDelivery',
  /** No delivery by the promise, and events keep coming after it. */
  'overdue',
  /** Delivered, then a return case (open or refunded and closed). */
  'afterSalesReturn',
  /** Delivered, then a refund-only case. */
  'afterSalesRefundOnly',
  /** Delivered, then an exchange case. */
  'afterSalesExchange',
  /** Delivered, then a rejected case. */
  'afterSalesRejected',
  /** The CRM order row never arrives: warehouse and carrier events build a partial view. */
  'missingCrm',
  /** Fulfilled by a store (WMS v2 `store_id`), often by a city courier. */
  'storeFulfilment',
  /** The warehouse reroutes the fulfillment to another warehouse (v2 REROUTED). */
  'rerouted',
  /** The WMS emits an UNKNOWN event type (v2). */
  'unknownWmsEvent',
  /**
   * Stuck orders, one per waiting rule of `pipelines/rules/`: the missing event comes 1.5–3 times
   * the rule's threshold late, or never (`STAYS_STUCK_SHARE` of these orders, named by the manifest).
   * Paid, released to the warehouse only 75–120 min later (paid-not-released: 45 min, 40 min on
   * MEITUAN and JD_DAOJIA); or never released.
   */
  'releaseDelayed',
  /** Released, shipped 12–20 h later, stalled before packing (released-not-shipped: 8 h); or stuck in picking. */
  'shipmentDelayed',
  /** Shipped, first carrier scan 9.5–16 h later (shipped-no-carrier-scan: 6 h); or never scanned, only labelled. */
  'carrierScanDelayed',
  /**
   * Carrier events under a tracking number alone; the WMS event that links it to the order comes
   * 18–28 h after the first of them (unlinked-shipment: 12 h); or never.
   */
  'linkDelayed',
] as const;

export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/**
 * The default mix: mostly ordinary orders, every edge case present in any few hundred orders. The
 * weights add up to 116, so each stuck-order kind (weight 2) is 1.7 % of the orders, and a quarter
 * of those stay stuck.
 */
export const DEFAULT_MIX: Readonly<Record<ScenarioKind, number>> = {
  happy: 30,
  inProgress: 8,
  unpaid: 2,
  split: 6,
  addressChangeBeforePacking: 3,
  addressChangeAfterPacking: 3,
  cancelBeforeShipment: 4,
  cancelAfterShipment: 2,
  cancelRacingShipment: 2,
  fulfillmentCancelledSome: 2,
  fulfillmentCancelledAll: 2,
  shortPick: 3,
  deletedOrder: 2,
  deletedLine: 3,
  trackingWithoutOrderRef: 4,
  trackingBeforeShipped: 3,
  carrierException: 3,
  returnToSender: 2,
  revisedEta: 3,
  lateDelivery: 3,
  overdue: 2,
  afterSalesReturn: 3,
  afterSalesRefundOnly: 2,
  afterSalesExchange: 2,
  afterSalesRejected: 1,
  missingCrm: 2,
  storeFulfilment: 3,
  rerouted: 2,
  unknownWmsEvent: 1,
  releaseDelayed: 2,
  shipmentDelayed: 2,
  carrierScanDelayed: 2,
  linkDelayed: 2,
};

/** The stuck-order kinds: each opens its rule's case, which heals when the missing event comes. */
export const STUCK_KINDS = ['releaseDelayed', 'shipmentDelayed', 'carrierScanDelayed', 'linkDelayed'] as const satisfies readonly ScenarioKind[];

export type StuckKind = (typeof STUCK_KINDS)[number];

/** Share of the stuck-order stories whose missing event never comes: their case stays open. */
export const STAYS_STUCK_SHARE = 0.25;

/** The source systems the simulator plays. */
export type SourceSystemName = 'crm' | 'wms' | 'tms';

/**
 * A source whose events reach Kafka late (its connector falls behind): from `from` the delay
 * builds up at a minute per minute to `lagMs`, holds until `until`, then the backlog drains at
 * twice real time. Event times stay as they were; only arrival order and Kafka timestamps move.
 */
export interface SourceLag {
  source: SourceSystemName;
  /** Epoch ms (event time) the source starts falling behind. */
  from: number;
  /** Epoch ms (event time) its connector starts catching up. */
  until: number;
  /** The delay while it lags, ms. */
  lagMs: number;
}

/**
 * A source system that is down from `from` to `until`: nothing happens in it meanwhile, and the
 * work that would have happened is done when it comes back, ten times faster (a 90-minute outage
 * is worked off in 9 minutes). Event times move (the events happen later), so the source is silent
 * in event time. The orders whose events move may be late for their own rules too.
 */
export interface SourceOutage {
  source: SourceSystemName;
  /** Epoch ms the source goes down. */
  from: number;
  /** Epoch ms it comes back. */
  until: number;
}

export type ShuffleMode = 'none' | 'full' | 'window';

/** What to simulate. Only `seed` and `startTime` are required. */
export interface ScenarioOptions {
  /** Same seed and options, same output, line for line. */
  seed: number | string;
  /** Orders to simulate. generateScenario: default 100. Traffic generator: unset or Infinity = endless. */
  orders?: number;
  /** Creation time of the first order, epoch ms (the caller's clock: the simulator never reads one). */
  startTime: number;
  /** Order id prefix, default `SO-`. Use distinct prefixes or order numbers to combine scenarios. */
  orderIdPrefix?: string;
  /** Number of the first order, default 1. */
  firstOrderNo?: number;
  /** Share of events delivered a second time, same content (connector restarts). Default 0.1. */
  duplicateRate?: number;
  /**
   * Out-of-order delivery: `none` = in the order the sources emitted, `window` = each line moves
   * by less than `shuffleWindow` positions, `full` = any order. Default `none`. The endless traffic
   * generator treats `full` as `window`.
   */
  shuffle?: ShuffleMode;
  /** Window size for `shuffle: 'window'`, in lines. Default 200. */
  shuffleWindow?: number;
  /** Share of WMS events written with schema v1 (v1 cannot carry REROUTED, UNKNOWN or store fields). Default 0.5. */
  wmsV1Share?: number;
  /** Relative weights of the scenario kinds; kinds left out get weight 0. Default DEFAULT_MIX. */
  mix?: Partial<Record<ScenarioKind, number>>;
  /**
   * New orders per second of simulated time (Poisson arrivals). generateScenario: default 1/30;
   * traffic: 2 (ignored by the demand-driven `next(now)`, where the caller's pull rate sets the pace).
   * 0 means the default.
   */
  ratePerSec?: number;
  /**
   * Speed-up of each order's life: durations (payment, picking, transit, promises, after-sales)
   * are divided by it. generateScenario: default 1 (real durations). Traffic: default 1440, so a
   * day of an order's life passes in a minute and a live golden table fills in visibly.
   */
  timeScale?: number;
  /** generateScenario only: drop events that happen after this instant (a snapshot of a live system). */
  endTime?: number;
  /** Set `timestamp` (Kafka create time) on each line. Default true. */
  timestamps?: boolean;
  /** First CRM `source.lsn`, default 1000. */
  firstLsn?: number;
  /** Sources whose events arrive late over a window (see SourceLag). Needs `timestamps` to show in a replay's lag. */
  laggingSources?: SourceLag[];
  /** Sources that are down over a window, silent in event time (see SourceOutage). */
  silentSources?: SourceOutage[];
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const mixSchema = z
  .partialRecord(z.enum(SCENARIO_KINDS), finite.min(0))
  .refine((mix) => Object.values(mix).some((weight) => (weight ?? 0) > 0), 'at least one scenario kind needs a positive weight');

const sourceSchema = z.enum(['crm', 'wms', 'tms']);

const untilAfterFrom = (window: { from: number; until: number }): boolean => window.until > window.from;

const lagSchema = z
  .object({ source: sourceSchema, from: z.number().int(), until: z.number().int(), lagMs: z.number().int().min(1) })
  .strict()
  .refine(untilAfterFrom, 'until must be after from');

const outageSchema = z
  .object({ source: sourceSchema, from: z.number().int(), until: z.number().int() })
  .strict()
  .refine(untilAfterFrom, 'until must be after from');

const optionsSchema = z
  .object({
    seed: z.union([z.number().int(), z.string()]),
    orders: z.union([z.number().int().min(0), z.literal(Number.POSITIVE_INFINITY)]).optional(),
    startTime: z.number().int(),
    orderIdPrefix: z.string().min(1).default('SO-'),
    firstOrderNo: z.number().int().min(0).max(999_999_999).default(1),
    duplicateRate: finite.min(0).max(0.9).default(0.1),
    shuffle: z.enum(['none', 'full', 'window']).default('none'),
    shuffleWindow: z.number().int().min(1).default(200),
    wmsV1Share: finite.min(0).max(1).default(0.5),
    mix: mixSchema.optional(),
    ratePerSec: finite.min(0).optional(),
    timeScale: finite.min(1).optional(),
    endTime: z.number().int().optional(),
    timestamps: z.boolean().default(true),
    firstLsn: z.number().int().min(1).default(1000),
    laggingSources: z.array(lagSchema).default([]),
    silentSources: z.array(outageSchema).default([]),
  })
  .strict();

/** Options with every default applied. */
export interface ResolvedScenarioOptions {
  seed: string;
  orders: number | undefined;
  startTime: number;
  orderIdPrefix: string;
  firstOrderNo: number;
  duplicateRate: number;
  shuffle: ShuffleMode;
  shuffleWindow: number;
  wmsV1Share: number;
  mix: readonly (readonly [ScenarioKind, number])[];
  ratePerSec: number;
  timeScale: number;
  endTime: number | undefined;
  timestamps: boolean;
  firstLsn: number;
  laggingSources: readonly SourceLag[];
  silentSources: readonly SourceOutage[];
}

/** Defaults that differ between a bounded scenario and endless live traffic. */
export interface PacingDefaults {
  ratePerSec: number;
  timeScale: number;
  orders: number | undefined;
}

/** Validates once and applies defaults; a bad option fails fast with OL_ERR_CONFIG_INVALID naming it. */
export function resolveScenarioOptions(options: ScenarioOptions, defaults: PacingDefaults): ResolvedScenarioOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`);
    throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `invalid simulator options: ${problems.join('; ')}`, {
      context: { problems },
    });
  }
  const value = parsed.data;
  const mix = value.mix ?? DEFAULT_MIX;
  return {
    seed: String(value.seed),
    orders: value.orders === Number.POSITIVE_INFINITY ? undefined : (value.orders ?? defaults.orders),
    startTime: value.startTime,
    orderIdPrefix: value.orderIdPrefix,
    firstOrderNo: value.firstOrderNo,
    duplicateRate: value.duplicateRate,
    shuffle: value.shuffle,
    shuffleWindow: value.shuffleWindow,
    wmsV1Share: value.wmsV1Share,
    mix: SCENARIO_KINDS.map((kind) => [kind, mix[kind] ?? 0] as const),
    ratePerSec: value.ratePerSec || defaults.ratePerSec,
    timeScale: value.timeScale ?? defaults.timeScale,
    endTime: value.endTime,
    timestamps: value.timestamps,
    firstLsn: value.firstLsn,
    laggingSources: value.laggingSources,
    silentSources: value.silentSources,
  };
}

/** Defaults of a bounded scenario: real durations, an order every 30 s on average, 100 orders. */
export const SCENARIO_DEFAULTS: PacingDefaults = { ratePerSec: 1 / 30, timeScale: 1, orders: 100 };

/** Defaults of live traffic: endless, 2 orders per second, a day of an order's life per minute. */
export const TRAFFIC_DEFAULTS: PacingDefaults = { ratePerSec: 2, timeScale: 1440, orders: undefined };
