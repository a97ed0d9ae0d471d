import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MIX,
  generateScenario,
  laggedArrival,
  postponedTime,
  scenarioManifest,
  STAYS_STUCK_SHARE,
  STUCK_KINDS,
  TOPICS,
  type ReplayLine,
  type ScenarioOptions,
} from '../../../src/simulator/index.js';
import { firstDeliveries, isCrm, value, type Json } from './scenario-stats.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.UTC(2026, 10, 18, 3);

function eventTime(line: ReplayLine): number {
  const v = value(line);
  return isCrm(line) ? ((v.source as Json).ts_ms as number) : (v.occurred_at as number);
}

function sourceOf(line: ReplayLine): 'crm' | 'wms' | 'tms' {
  return isCrm(line) ? 'crm' : line.topic === TOPICS.wms ? 'wms' : 'tms';
}

/** Per order, the event times of what the stuck-order rules wait for. */
function milestones(lines: readonly ReplayLine[]) {
  const of = new Map<string, { paid?: number; released?: number; shipped?: number; label?: number; pickedUp?: number }>();
  const get = (id: string) => of.get(id) ?? of.set(id, {}).get(id)!;
  const trackingOrder = new Map<string, string>();
  for (const line of lines) {
    const v = value(line);
    if (line.topic === TOPICS.orders && (v.after as Json | null)?.paid_at != null) {
      const order = get((v.after as Json).order_id as string);
      order.paid = Math.min(order.paid ?? Infinity, eventTime(line));
    } else if (line.topic === TOPICS.wms) {
      const order = get(v.external_order_no as string);
      order.released = Math.min(order.released ?? Infinity, v.occurred_at as number);
      if (v.event_type === 'SHIPPED') {
        order.shipped = v.occurred_at as number;
        trackingOrder.set(v.tracking_no as string, v.external_order_no as string);
      }
    }
  }
  for (const line of lines) {
    if (line.topic !== TOPICS.tms) continue;
    const v = value(line);
    const orderId = (v.order_ref as string | null) ?? trackingOrder.get(v.tracking_no as string);
    if (orderId === undefined) continue;
    const order = get(orderId);
    if (v.event_code === 'LABEL_CREATED') order.label = v.occurred_at as number;
    if (v.event_code === 'PICKED_UP') order.pickedUp = v.occurred_at as number;
  }
  return of;
}

describe('stuck orders', () => {
  const options: ScenarioOptions = {
    seed: 'stuck',
    orders: 400,
    startTime: START,
    duplicateRate: 0,
    mix: { happy: 4, releaseDelayed: 1, shipmentDelayed: 1, carrierScanDelayed: 1, linkDelayed: 1 },
  };
  const manifest = scenarioManifest(options);
  const lines = generateScenario(options);
  const facts = milestones(lines);
  const ordersOf = (kind: string) => manifest.filter((order) => order.kind === kind);

  it('are in the default mix at a known rate, and the manifest names the ones that stay stuck', () => {
    const total = Object.values(DEFAULT_MIX).reduce((sum, weight) => sum + weight, 0);
    for (const kind of STUCK_KINDS) expect(DEFAULT_MIX[kind] / total).toBeCloseTo(2 / 116, 6);
    const stuck = manifest.filter((order) => order.stays_stuck !== undefined);
    expect(stuck.map((order) => order.kind).every((kind) => (STUCK_KINDS as readonly string[]).includes(kind))).toBe(true);
    const share = stuck.filter((order) => order.stays_stuck).length / stuck.length;
    expect(Math.abs(share - STAYS_STUCK_SHARE)).toBeLessThan(0.08);
    expect(manifest.filter((order) => order.kind === 'happy').every((order) => !('stays_stuck' in order))).toBe(true);
  });

  it('are released 75–120 min after payment, or never', () => {
    for (const order of ordersOf('releaseDelayed')) {
      const f = facts.get(order.order_id)!;
      if (order.stays_stuck) expect(f.released, order.order_id).toBeUndefined();
      else expect((f.released! - f.paid!) / MINUTE, order.order_id).toSatisfy((m: number) => m >= 75 && m < 120);
    }
  });

  it('ship 12–21 h after the release, or stay in picking', () => {
    for (const order of ordersOf('shipmentDelayed')) {
      const f = facts.get(order.order_id)!;
      if (order.stays_stuck) expect(f.shipped, order.order_id).toBeUndefined();
      else expect((f.shipped! - f.released!) / HOUR, order.order_id).toSatisfy((h: number) => h >= 12 && h < 21);
    }
  });

  it('get their first carrier scan 9.5–16 h after shipping, or none', () => {
    for (const order of ordersOf('carrierScanDelayed')) {
      const f = facts.get(order.order_id)!;
      expect(f.shipped, order.order_id).toBeDefined();
      if (order.stays_stuck) expect(f.pickedUp, order.order_id).toBeUndefined();
      else expect((f.pickedUp! - f.shipped!) / HOUR, order.order_id).toSatisfy((h: number) => h >= 9.5 && h < 16);
    }
  });

  it('have carrier events under a bare tracking number, linked by the WMS 18–28 h after the label, or never', () => {
    const orphanTracking = new Set<string>();
    const linked = new Set(lines.filter((l) => l.topic === TOPICS.wms && value(l).tracking_no).map((l) => value(l).tracking_no as string));
    for (const line of lines.filter((l) => l.topic === TOPICS.tms)) if (!linked.has(value(line).tracking_no as string)) orphanTracking.add(value(line).tracking_no as string);
    const linkDelayed = ordersOf('linkDelayed');
    expect(orphanTracking.size).toBe(linkDelayed.filter((order) => order.stays_stuck).length);
    for (const order of linkDelayed.filter((o) => !o.stays_stuck)) {
      const f = facts.get(order.order_id)!;
      expect((f.shipped! - f.label!) / HOUR, order.order_id).toSatisfy((h: number) => h >= 18 && h < 28);
    }
    const ids = new Set(linkDelayed.map((order) => order.order_id));
    const tracking = new Set([
      ...orphanTracking,
      ...lines.filter((l) => l.topic === TOPICS.wms && ids.has(value(l).external_order_no as string) && value(l).tracking_no).map((l) => value(l).tracking_no as string),
    ]);
    const tms = lines.filter((l) => l.topic === TOPICS.tms && tracking.has(value(l).tracking_no as string));
    expect(tms.length).toBeGreaterThan(linkDelayed.length);
    for (const line of tms) expect([value(line).order_ref, value(line).fulfillment_ref]).toEqual([null, null]);
  });
});

describe('lagging and silent sources', () => {
  it('a lag window builds up, holds and drains, never reordering the source', () => {
    const lag = { source: 'wms' as const, from: 1000 * MINUTE, until: 1100 * MINUTE, lagMs: 20 * MINUTE };
    expect(laggedArrival(lag.from - 1, lag)).toBe(lag.from - 1);
    expect(laggedArrival(lag.from + 5 * MINUTE, lag) - (lag.from + 5 * MINUTE)).toBe(5 * MINUTE);
    expect(laggedArrival(lag.from + 50 * MINUTE, lag) - (lag.from + 50 * MINUTE)).toBe(20 * MINUTE);
    expect(laggedArrival(lag.until + 10 * MINUTE, lag) - (lag.until + 10 * MINUTE)).toBe(15 * MINUTE);
    expect(laggedArrival(lag.until + 41 * MINUTE, lag)).toBe(lag.until + 41 * MINUTE);
    const outage = { source: 'tms' as const, from: 1000 * MINUTE, until: 1060 * MINUTE };
    expect(postponedTime(outage.from - 1, outage)).toBe(outage.from - 1);
    expect(postponedTime(outage.from + 30 * MINUTE, outage)).toBe(outage.until + 3 * MINUTE);
    expect(postponedTime(outage.until + 30 * MINUTE, outage)).toBe(outage.until + 30 * MINUTE);
    let previous = Number.NEGATIVE_INFINITY;
    for (let t = 990 * MINUTE; t < 1200 * MINUTE; t += 7_777) {
      const at = Math.max(laggedArrival(t, lag), postponedTime(t, outage));
      expect(at).toBeGreaterThanOrEqual(previous);
      previous = at;
    }
  });

  const base: ScenarioOptions = { seed: 'lag', orders: 200, startTime: START, duplicateRate: 0, mix: { happy: 1 } };
  const lag = { source: 'crm' as const, from: START + 30 * MINUTE, until: START + 90 * MINUTE, lagMs: 20 * MINUTE };
  const plain = generateScenario(base);
  const lagged = generateScenario({ ...base, laggingSources: [lag] });

  it('a lagging source keeps its events and their event times; only its Kafka timestamps and arrival order move', () => {
    // The connector's position (lsn, txId) and processing time follow the arrival order.
    const withoutPosition = (v: Json) => ({ ...v, ts_ms: undefined, source: { ...(v.source as Json), lsn: undefined, txId: undefined } });
    const content = (lines: ReplayLine[]) =>
      lines.map((line) => JSON.stringify([line.topic, line.key, isCrm(line) ? withoutPosition(value(line)) : line.value])).sort();
    expect(content(lagged)).toEqual(content(plain));
    for (const line of lagged) {
      const delay = line.timestamp! - eventTime(line);
      const t = eventTime(line);
      if (sourceOf(line) === 'crm' && t >= lag.from + lag.lagMs && t < lag.until) {
        expect(delay).toBeGreaterThanOrEqual(lag.lagMs);
        expect(delay).toBeLessThan(lag.lagMs + 2_000);
      } else if (sourceOf(line) !== 'crm' || t < lag.from || t > lag.until + 2 * lag.lagMs) {
        expect(delay).toBeLessThan(2_000);
      }
    }
    const crmTimes = lagged.filter(isCrm).map(eventTime);
    expect(crmTimes.every((t, i) => i === 0 || t >= crmTimes[i - 1]! - 1_000)).toBe(true);
  });

  it('a silent source has no event in its window: the work of the window happens when it comes back', () => {
    const outage = { source: 'wms' as const, from: START + 60 * MINUTE, until: START + 120 * MINUTE };
    const silent = firstDeliveries(generateScenario({ ...base, silentSources: [outage] }));
    const wms = silent.filter((line) => line.topic === TOPICS.wms).map(eventTime);
    expect(wms.filter((t) => t >= outage.from && t < outage.until)).toEqual([]);
    expect(wms.filter((t) => t >= outage.until && t < outage.until + 6 * MINUTE).length).toBeGreaterThan(10);
    expect(wms.length).toBe(plain.filter((line) => line.topic === TOPICS.wms).length);
  });

  it('refuses a window that ends before it starts', () => {
    expect(() => generateScenario({ ...base, laggingSources: [{ ...lag, until: lag.from }] })).toThrow(/until must be after from/);
  });
});
