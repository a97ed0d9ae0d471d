import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules, rulesDirectoryOf, thresholdFor, type HealthCase, type Rule } from '../../../src/health/index.js';
import type { ReplayLine, ScenarioKind } from '../../../src/simulator/index.js';
import { trackingNumber } from '../../../src/simulator/identifiers.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin/orderlake.js');
const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 20);
/** ORDERLAKE_HEALTH_LATENESS_MS's default: how far the watermark stays behind event time. */
const LATENESS = 10 * MINUTE;
/** A case opens at most this long (event time) after its threshold has passed. */
const SLACK = 5_000;

/**
 * 300 orders, an order every 30 s on average, so order creation spans about 2.5 h. The CRM lags by
 * 20 minutes from 30 min to 1h30 (below the 25 minutes at which a lag would also look like silence:
 * lateness 10 min + the silent rule's at-risk 15 min), and has drained its backlog 40 minutes later,
 * while orders are still being created: the median lag falls only as new CRM events arrive. The
 * TMS is down from 2h30 to 3h45, while its parcels are on the road.
 */
const CRM_LAG = { from: START + 30 * MINUTE, until: START + 90 * MINUTE, lag: 20 * MINUTE };
const TMS_DOWN = { from: START + 150 * MINUTE, until: START + 225 * MINUTE };
/**
 * Micro-batches of 100 lines, as a live consumer takes them (replay's default of 2000 lines spans
 * days of this recording's quiet tail): a rule that ends on a status rather than a timestamp (a
 * carrier scan, an exception code gone) ends at the newest event time of the view that shows it,
 * and a wait whose end arrives in the same batch as its start never opens.
 */
const BATCH = '100';

const HEALTHY = ['happy', 'unpaid', 'cancelBeforeShipment', 'addressChangeBeforePacking', 'storeFulfilment', 'rerouted', 'trackingWithoutOrderRef', 'deletedLine'] as const;
const MIX = {
  happy: 40,
  unpaid: 3,
  cancelBeforeShipment: 4,
  addressChangeBeforePacking: 3,
  storeFulfilment: 4,
  rerouted: 2,
  trackingWithoutOrderRef: 3,
  deletedLine: 2,
  releaseDelayed: 5,
  shipmentDelayed: 5,
  carrierScanDelayed: 5,
  linkDelayed: 5,
  revisedEta: 4,
};
const SIMULATE_ARGS = [
  'simulate',
  '--orders', '300',
  '--seed', '7',
  '--mix', Object.entries(MIX).map(([kind, weight]) => `${kind}=${weight}`).join(','),
  '--lag-source', 'crm:20m@30m+60m',
  '--silent-source', 'tms@2h30m+75m',
  // Lines in the order the sources sent them (redeliveries still come up to 10 minutes late). The
  // window shuffle moves a line by up to 200 positions whatever its key and time: hours in this
  // recording's sparse tail, and one fulfillment's own events out of order, which Kafka never does.
  '--shuffle', 'none',
];

interface ManifestEntry {
  order_id: string;
  kind: ScenarioKind;
  stays_stuck?: boolean;
}

type Json = Record<string, unknown>;

/** What the recording says happened to each order and tracking number, in event time. */
interface Facts {
  paidAt: Map<string, number>;
  /** First WMS event of the order: its `released_at`. */
  releasedAt: Map<string, number>;
  /** WMS SHIPPED of the order, and of the tracking number it names. */
  wmsShippedAt: Map<string, number>;
  shippedTracking: Map<string, number>;
  /** TMS events by tracking number, first deliveries in event time, with their line index. */
  tms: Map<string, Array<Json & { line: number }>>;
  trackingOrder: Map<string, string>;
  promise: Map<string, number>;
  tmsTimes: number[];
  /** Every line's event time and order (when known), in file order. */
  lines: Array<{ eventTime: number; orderId: string | undefined }>;
}

function readFacts(lines: readonly ReplayLine[]): Facts {
  const f: Facts = {
    paidAt: new Map(),
    releasedAt: new Map(),
    wmsShippedAt: new Map(),
    shippedTracking: new Map(),
    tms: new Map(),
    trackingOrder: new Map(),
    promise: new Map(),
    tmsTimes: [],
    lines: [],
  };
  const earliest = (map: Map<string, number>, key: string, at: number) => map.set(key, Math.min(map.get(key) ?? Infinity, at));
  const fulfillmentOrder = new Map<string, string>();
  const tmsLines: Array<{ index: number; tracking: string }> = [];
  lines.forEach((line, index) => {
    const v = line.value as Json | null;
    if (v === null) {
      f.lines.push({ eventTime: Number.NEGATIVE_INFINITY, orderId: undefined });
      return;
    }
    if (line.topic.startsWith('crm.')) {
      const after = v.after as Json | null;
      const image = (after ?? v.before) as Json;
      const tsMs = (v.source as Json).ts_ms as number;
      f.lines.push({ eventTime: tsMs, orderId: image.order_id as string });
      if (line.topic !== 'crm.public.orders' || after === null) return;
      if (after.paid_at !== null) earliest(f.paidAt, after.order_id as string, tsMs);
      if (after.promised_delivery_at !== null) f.promise.set(after.order_id as string, Math.floor((after.promised_delivery_at as number) / 1000));
    } else if (line.topic === 'wms.fulfillment.events') {
      const order = v.external_order_no as string;
      f.lines.push({ eventTime: v.occurred_at as number, orderId: order });
      fulfillmentOrder.set(v.fulfillment_id as string, order);
      earliest(f.releasedAt, order, v.occurred_at as number);
      if (v.event_type === 'SHIPPED') {
        earliest(f.wmsShippedAt, order, v.occurred_at as number);
        earliest(f.shippedTracking, v.tracking_no as string, v.occurred_at as number);
        f.trackingOrder.set(v.tracking_no as string, order);
      }
    } else {
      f.lines.push({ eventTime: v.occurred_at as number, orderId: undefined });
      tmsLines.push({ index, tracking: v.tracking_no as string });
      const events = f.tms.get(v.tracking_no as string) ?? [];
      if (!events.some((e) => e.event_id === v.event_id)) events.push({ ...v, line: index });
      f.tms.set(v.tracking_no as string, events);
      f.tmsTimes.push(v.occurred_at as number);
    }
  });
  for (const [tracking, events] of f.tms) {
    events.sort((a, b) => (a.occurred_at as number) - (b.occurred_at as number));
    for (const e of events) {
      const order = (e.order_ref as string | null) ?? fulfillmentOrder.get(e.fulfillment_ref as string);
      if (order !== undefined && !f.trackingOrder.has(tracking)) f.trackingOrder.set(tracking, order);
    }
  }
  for (const { index, tracking } of tmsLines) (f.lines[index] as { orderId: string | undefined }).orderId = f.trackingOrder.get(tracking);
  return f;
}

const dirs: string[] = [];
let manifest: ManifestEntry[];
let casesText: string[];
let cases: HealthCase[];
let facts: Facts;
let rules: Map<string, Rule>;

function jsonl<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * The newest event time of the order's view once the replay has merged the micro-batch holding
 * line `index`: what a rule that ends (or starts) on a status rather than a timestamp dates it with.
 */
function viewTimeAfterLine(orderId: string, index: number): number {
  const end = (Math.floor(index / Number(BATCH)) + 1) * Number(BATCH);
  let newest = Number.NEGATIVE_INFINITY;
  for (const line of facts.lines.slice(0, end)) if (line.orderId === orderId) newest = Math.max(newest, line.eventTime);
  return newest;
}

const ms = (iso: string | null): number => (iso === null ? NaN : Date.parse(iso));

function ordersOf(kind: ScenarioKind): ManifestEntry[] {
  return manifest.filter((order) => order.kind === kind);
}

function rule(name: string): Rule {
  const found = rules.get(name);
  if (found === undefined) throw new Error(`no rule ${name}`);
  return found;
}

function orderCases(orderId: string): HealthCase[] {
  return cases.filter((c) => c.order_id === orderId);
}

/** The tracking numbers of an order, whoever named them (a stuck link is found by its simulated number). */
function trackingOf(orderId: string): string[] {
  const known = [...facts.trackingOrder].filter(([, order]) => order === orderId).map(([tracking]) => tracking);
  if (known.length > 0) return known;
  const orderNo = Number(orderId.slice(3));
  return ['SF', 'JD', 'ZTO', 'YTO', 'STO', 'EMS'].map((carrier) => trackingNumber(carrier, 'SO-', orderNo, 0)).filter((tracking) => facts.tms.has(tracking));
}

const SCANNED = new Set(['PICKED_UP', 'IN_TRANSIT', 'ARRIVED_AT_HUB', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPTED', 'DELIVERED', 'EXCEPTION', 'RETURNED_TO_SENDER']);

/** The order's first carrier scan (a label is none), with the line it arrived on. */
function firstScanOf(orderId: string): (Json & { line: number }) | undefined {
  const scans = trackingOf(orderId)
    .flatMap((tracking) => facts.tms.get(tracking) ?? [])
    .filter((e) => SCANNED.has(e.event_code as string))
    .sort((a, b) => (a.occurred_at as number) - (b.occurred_at as number));
  return scans[0];
}

/**
 * A waiting case told in full: it started with the condition (`start`, from the recording), warned
 * at the rule's at-risk share, breached at its threshold (for the order's channel), and either
 * self-healed when the missing event came (`end`) or is still open.
 */
function expectWaitingCase(c: HealthCase | undefined, label: string, start: number, end: number | undefined, healAt: (c: HealthCase, end: number) => void): void {
  expect(c, label).toBeDefined();
  const held = c as HealthCase;
  const r = rule(held.rule);
  const threshold = thresholdFor(r, held.channel);
  expect(held.threshold_ms, label).toBe(threshold);
  const since = ms(held.since);
  expect(Math.abs(since - start), `${label}: since ${held.since} vs the condition's start`).toBeLessThanOrEqual(2_000);
  expect(ms(held.breached_at), label).toBe(since + threshold);
  expect(ms(held.breached_at) - start, `${label}: breached within the threshold plus a few seconds`).toBeLessThanOrEqual(threshold + SLACK);
  expect(ms(held.at_risk_at), label).toBe(since + Math.round((r.at_risk_share as number) * threshold));
  expect(ms(held.at_risk_at), label).toBeLessThan(ms(held.breached_at));
  expect(held.opened_at, label).toBe(held.at_risk_at);
  expect(held.history.slice(0, 2).map((h) => h.action), label).toEqual(['at_risk', 'breached']);
  if (end === undefined) {
    expect(held.status, `${label} stays stuck`).toBe('open');
    expect(held.resolved_at, label).toBeNull();
  } else {
    expect(held.status, `${label} heals`).toBe('resolved');
    expect(held.resolution, label).toBe('self_healed');
    healAt(held, end);
  }
}

const healsExactly = (c: HealthCase, end: number) => expect(ms(c.resolved_at), `${c.case_id} resolved when the missing event happened`).toBe(end);

/** The only rules an order of a stuck kind opens: its own, and the missed promise of one that stays stuck. */
function expectOnlyRules(order: ManifestEntry, own: readonly string[]): void {
  const allowed = new Set([...own, ...(order.stays_stuck ? ['promised-delivery-passed'] : [])]);
  const opened = orderCases(order.order_id).map((c) => c.rule);
  expect(opened.filter((name) => !allowed.has(name)), `${order.order_id} (${order.kind}): unexpected cases`).toEqual([]);
}


async function replayCases(file: string, dir: string, name: string): Promise<string> {
  const casesFile = path.join(dir, `${name}.jsonl`);
  await run(process.execPath, [CLI, 'replay', file, '--cases', casesFile, '--batch', BATCH, '--data-dir', path.join(dir, `data-${name}`), '--quiet'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', KAFKA_BROKERS: '', CLICKHOUSE_URL: '' },
    maxBuffer: 64 << 20,
  });
  return readFile(casesFile, 'utf8');
}

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-stuck-'));
  dirs.push(dir);
  const file = path.join(dir, 'sim.jsonl');
  const manifestFile = path.join(dir, 'manifest.jsonl');
  await run(process.execPath, [CLI, ...SIMULATE_ARGS, '--out', file, '--manifest', manifestFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', KAFKA_BROKERS: '' },
  });
  manifest = jsonl<ManifestEntry>(await readFile(manifestFile, 'utf8'));
  facts = readFacts(jsonl<ReplayLine>(await readFile(file, 'utf8')));
  rules = new Map((await loadRules(rulesDirectoryOf(path.join(REPO_ROOT, 'pipelines')))).map((r) => [r.name, r]));
  casesText = [await replayCases(file, dir, 'first'), await replayCases(file, dir, 'second')];
  cases = jsonl<HealthCase>(casesText[0] as string);
});

afterAll(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('stuck orders, a lagging CRM and a TMS outage: simulate, then replay --cases through the real pipeline', () => {
  it('gives identical cases files when the same recording is replayed twice', () => {
    expect(cases.length).toBeGreaterThan(50);
    expect(casesText[1] === casesText[0]).toBe(true);
  });

  it('tells every stuck pattern, a quarter of them staying stuck, as the manifest says', () => {
    for (const kind of ['releaseDelayed', 'shipmentDelayed', 'carrierScanDelayed', 'linkDelayed'] as const) {
      const orders = ordersOf(kind);
      expect(orders.length, kind).toBeGreaterThanOrEqual(5);
      expect(orders.every((order) => typeof order.stays_stuck === 'boolean'), kind).toBe(true);
      expect(orders.some((order) => order.stays_stuck) && orders.some((order) => !order.stays_stuck), kind).toBe(true);
    }
    const stuck = manifest.filter((order) => order.stays_stuck !== undefined);
    const share = stuck.filter((order) => order.stays_stuck).length / stuck.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.45);
  });

  it('paid, released late or never: paid-not-released warns, breaches on time and heals at the release', () => {
    for (const order of ordersOf('releaseDelayed')) {
      const id = order.order_id;
      expect(facts.releasedAt.has(id), `${id} released`).toBe(!order.stays_stuck);
      const c = orderCases(id).find((held) => held.rule === 'paid-not-released');
      expectWaitingCase(c, `${id} paid-not-released`, facts.paidAt.get(id) as number, facts.releasedAt.get(id), healsExactly);
      expectOnlyRules(order, ['paid-not-released']);
    }
  });

  it('released, shipped late or never: released-not-shipped warns, breaches on time and heals at the shipment', () => {
    for (const order of ordersOf('shipmentDelayed')) {
      const id = order.order_id;
      expect(facts.wmsShippedAt.has(id), `${id} shipped`).toBe(!order.stays_stuck);
      const shippedAt = order.stays_stuck ? undefined : Math.min(facts.wmsShippedAt.get(id) as number, (firstScanOf(id)?.occurred_at as number | undefined) ?? Infinity);
      const c = orderCases(id).find((held) => held.rule === 'released-not-shipped');
      expectWaitingCase(c, `${id} released-not-shipped`, facts.releasedAt.get(id) as number, shippedAt, healsExactly);
      expectOnlyRules(order, ['released-not-shipped']);
    }
  });

  it('shipped, first carrier scan late or never: shipped-no-carrier-scan warns, breaches on time and heals at the scan', () => {
    for (const order of ordersOf('carrierScanDelayed')) {
      const id = order.order_id;
      const scan = firstScanOf(id);
      expect(scan === undefined, `${id} never scanned`).toBe(order.stays_stuck);
      const c = orderCases(id).find((held) => held.rule === 'shipped-no-carrier-scan');
      // The rule waits for a shipment status, not a timestamp: the case heals at the newest event
      // time of the view that first shows the scan — the scan itself, or a later event of the order
      // merged in the same micro-batch.
      expectWaitingCase(c, `${id} shipped-no-carrier-scan`, facts.wmsShippedAt.get(id) as number, scan?.occurred_at as number | undefined, (held, end) => {
        expect(ms(held.resolved_at), `${id} resolved with the scan`).toBe(viewTimeAfterLine(id, scan!.line));
        expect(ms(held.resolved_at)).toBeGreaterThanOrEqual(end);
      });
      expectOnlyRules(order, ['shipped-no-carrier-scan']);
    }
  });

  it('carrier events long before the WMS links them, or never: unlinked-shipment warns, breaches on time and heals at the link', () => {
    for (const order of ordersOf('linkDelayed')) {
      const id = order.order_id;
      const [tracking, ...more] = trackingOf(id);
      expect(more, id).toEqual([]);
      const events = facts.tms.get(tracking as string) ?? [];
      expect(events.every((e) => e.order_ref === null && e.fulfillment_ref === null), `${id}: the carrier names only the tracking number`).toBe(true);
      const linkedAt = facts.shippedTracking.get(tracking as string);
      expect(linkedAt === undefined, `${id} never linked`).toBe(order.stays_stuck);
      const c = cases.find((held) => held.rule === 'unlinked-shipment' && held.tracking_no === tracking);
      expectWaitingCase(c, `${id} unlinked-shipment ${tracking}`, events[0]!.occurred_at as number, linkedAt, healsExactly);
      // Until the link, the order's own view shows no shipment: released-not-shipped fires too. When
      // the link shows the parcel left long ago, the case heals at once (at its breach: never earlier
      // than a step already told).
      const waiting = orderCases(id).find((held) => held.rule === 'released-not-shipped');
      expectWaitingCase(waiting, `${id} released-not-shipped`, facts.releasedAt.get(id) as number, linkedAt, (held) => {
        expect(held.resolved_at).toBe(held.breached_at);
      });
      expectOnlyRules(order, ['released-not-shipped']);
    }
    const unlinked = cases.filter((held) => held.rule === 'unlinked-shipment');
    expect(unlinked.length, 'no unlinked-shipment case besides the linkDelayed orders').toBe(ordersOf('linkDelayed').length);
  });

  it('an ETA beyond the promise: predicted-late opens at the scan that carries it, heals at delivery', () => {
    const orders = ordersOf('revisedEta');
    expect(orders.length).toBeGreaterThan(3);
    let healed = 0;
    for (const order of orders) {
      const id = order.order_id;
      const promise = facts.promise.get(id) as number;
      const events = trackingOf(id).flatMap((tracking) => facts.tms.get(tracking) ?? []);
      const late = events.find((e) => e.eta !== null && (e.eta as number) > promise);
      expect(late, `${id}: an ETA beyond the promise`).toBeDefined();
      const delivered = events.find((e) => e.event_code === 'DELIVERED');
      const c = orderCases(id).find((held) => held.rule === 'predicted-late');
      expect(c, id).toBeDefined();
      // No at-risk step: the rule's threshold is 0, the warning is the case itself.
      expect(c!.at_risk_at, id).toBeNull();
      // An exception case starts at the newest event time of the view that first shows the code.
      expect(ms(c!.breached_at), `${id}: opened with the scan`).toBe(viewTimeAfterLine(id, late!.line));
      expect(ms(c!.breached_at)).toBeGreaterThanOrEqual(late!.occurred_at as number);
      if (delivered === undefined) {
        expect(c!.status, id).toBe('open');
      } else {
        healed++;
        expect(c!.resolution, id).toBe('self_healed');
        expect(ms(c!.resolved_at), `${id}: healed with the delivery`).toBe(viewTimeAfterLine(id, delivered.line));
      }
    }
    expect(healed).toBeGreaterThan(0);
  });

  it('the CRM lagging 20 minutes: source-lagging warns, breaches during the lag and heals once the backlog drains; no silence', () => {
    const lagging = cases.filter((c) => c.rule === 'source-lagging');
    expect(lagging.map((c) => c.source)).toEqual(['crm']);
    const [c] = lagging as [HealthCase];
    // Dated by the watermark (event time less the lateness) when the median of the last 50 CRM
    // events reached 7.5 and then 15 minutes.
    expect(ms(c.at_risk_at)).toBeGreaterThan(CRM_LAG.from);
    expect(ms(c.at_risk_at)).toBeLessThan(ms(c.breached_at));
    expect(ms(c.breached_at)).toBeLessThan(CRM_LAG.until);
    expect(c.resolution).toBe('self_healed');
    expect(ms(c.resolved_at)).toBeGreaterThan(CRM_LAG.until);
    // Drained 2 × 20 min after the window; the median of the last 50 falls below 7.5 min a little before.
    expect(ms(c.resolved_at)).toBeLessThan(CRM_LAG.until + 2 * CRM_LAG.lag + LATENESS + 10 * MINUTE);
    const silentCrm = cases.filter((s) => s.rule === 'source-silent' && s.source === 'crm' && ms(s.since) < CRM_LAG.until + 2 * CRM_LAG.lag);
    expect(silentCrm).toEqual([]);
  });

  it('the TMS down for 75 minutes: source-silent warns, breaches and heals with its first event after the outage', () => {
    expect(facts.tmsTimes.filter((t) => t >= TMS_DOWN.from && t < TMS_DOWN.until)).toEqual([]);
    const lastBefore = Math.max(...facts.tmsTimes.filter((t) => t < TMS_DOWN.from));
    const firstAfter = Math.min(...facts.tmsTimes.filter((t) => t >= TMS_DOWN.from));
    const silent = cases.filter((c) => c.rule === 'source-silent' && c.source === 'tms' && ms(c.since) >= TMS_DOWN.from - 60 * MINUTE && ms(c.since) < TMS_DOWN.until + 60 * MINUTE);
    expect(silent).toHaveLength(1);
    const [c] = silent as [HealthCase];
    expect(ms(c.since)).toBe(lastBefore);
    expect(lastBefore).toBeGreaterThan(TMS_DOWN.from - 15 * MINUTE);
    const threshold = rule('source-silent').threshold;
    expect(ms(c.at_risk_at)).toBe(lastBefore + Math.round((rule('source-silent').at_risk_share as number) * threshold));
    expect(ms(c.breached_at)).toBe(lastBefore + threshold);
    expect(c.resolution).toBe('self_healed');
    expect(ms(c.resolved_at)).toBe(firstAfter);
    expect(firstAfter).toBeLessThan(TMS_DOWN.until + 10 * MINUTE);
  });

  it('opens no case at all for healthy orders, lag and outage notwithstanding', () => {
    for (const kind of HEALTHY) {
      const orders = new Set(ordersOf(kind).map((order) => order.order_id));
      expect(orders.size, kind).toBeGreaterThan(0);
      expect(cases.filter((c) => c.order_id !== null && orders.has(c.order_id)).map((c) => `${c.order_id} ${c.rule}`), kind).toEqual([]);
    }
  });
});
