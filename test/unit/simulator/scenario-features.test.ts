import { describe, expect, it } from 'vitest';
import { generateScenario, scenarioManifest, SCENARIO_KINDS, TOPICS, type ReplayLine, type ScenarioOptions } from '../../../src/simulator/index.js';
import { countBy, firstDeliveries, value, type Json } from './scenario-stats.js';

const options: ScenarioOptions = { seed: 'features', orders: 1200, startTime: Date.UTC(2026, 10, 18, 3) };
const all = generateScenario(options);
const lines = firstDeliveries(all);
const withValue = lines.filter((line) => line.value !== null);
const wms = withValue.filter((line) => line.topic === TOPICS.wms).map(value);
const tms = withValue.filter((line) => line.topic === TOPICS.tms).map(value);
const crmOf = (topic: string): Json[] => withValue.filter((line) => line.topic === topic).map(value);
const orders = crmOf(TOPICS.orders);
const cases = crmOf(TOPICS.afterSales);

function count<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  return items.reduce((sum, item) => sum + (predicate(item) ? 1 : 0), 0);
}

describe('scenario features', () => {
  it('tells every kind of story of the default mix', () => {
    const kinds = new Set(scenarioManifest(options).map((order) => order.kind));
    expect([...kinds].sort()).toEqual([...SCENARIO_KINDS].sort());
  });

  it('redelivers about duplicateRate of the events, content unchanged', () => {
    const share = (all.length - lines.length) / lines.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
  });

  it('deletes orders, lines and cases, each with its tombstone', () => {
    const tombstones = countBy(lines.filter((line) => line.value === null), (line) => line.topic);
    for (const topic of [TOPICS.orders, TOPICS.orderLines, TOPICS.afterSales]) {
      const deletes = count(crmOf(topic), (v) => v.op === 'd');
      expect(deletes).toBeGreaterThan(0);
      expect(tombstones.get(topic)).toBe(deletes);
    }
  });

  it('re-reads some order rows (op r) and re-adds a deleted line', () => {
    expect(count(orders, (v) => v.op === 'r')).toBeGreaterThan(0);
    const lineHistory = countBy(
      crmOf(TOPICS.orderLines).filter((v) => v.op === 'c'),
      (v) => JSON.stringify([(v.after as Json).order_id, (v.after as Json).line_no]),
    );
    expect([...lineHistory.values()].some((creates) => creates > 1)).toBe(true);
  });

  it('writes WMS v1 and v2 side by side, v2-only content always as v2', () => {
    const byVersion = countBy(withValue.filter((line) => line.topic === TOPICS.wms), (line) => line.schema);
    const v1 = byVersion.get('wms.fulfillment.v1') ?? 0;
    const v2 = byVersion.get('wms.fulfillment.v2') ?? 0;
    expect(v1 / (v1 + v2)).toBeGreaterThan(0.35);
    expect(v1 / (v1 + v2)).toBeLessThan(0.6);
    for (const type of ['REROUTED', 'UNKNOWN', 'SHORT_PICKED', 'CANCELLED']) expect(count(wms, (v) => v.event_type === type)).toBeGreaterThan(0);
    expect(count(wms, (v) => v.store_id != null)).toBeGreaterThan(0);
    expect(count(wms, (v) => v.pickup_locker_id != null)).toBeGreaterThan(0);
    expect(count(wms, (v) => v.event_type === 'SHORT_PICKED' && (v.lines as Json[]).some((l) => (l.qty_picked as number) < (l.qty_ordered as number)))).toBeGreaterThan(0);
    expect(count(wms, (v) => v.event_type === 'REROUTED' && 'store_id' in v)).toBe(count(wms, (v) => v.event_type === 'REROUTED'));
  });

  it('sends tracking events naming the order, only the fulfillment, or only the tracking number', () => {
    expect(count(tms, (v) => v.order_ref !== null)).toBeGreaterThan(0);
    expect(count(tms, (v) => v.order_ref === null && v.fulfillment_ref !== null)).toBeGreaterThan(0);
    expect(count(tms, (v) => v.order_ref === null && v.fulfillment_ref === null)).toBeGreaterThan(0);
  });

  it('has carrier scans before the WMS SHIPPED event that links them', () => {
    const shippedAt = new Map(wms.filter((v) => v.event_type === 'SHIPPED').map((v) => [v.tracking_no as string, v.occurred_at as number]));
    const early = tms.filter((v) => v.event_code !== 'LABEL_CREATED' && (v.occurred_at as number) < (shippedAt.get(v.tracking_no as string) ?? 0));
    expect(early.length).toBeGreaterThan(0);
    const emittedFirst = new Set<string>();
    let scanBeforeLink = false;
    for (const line of lines) {
      if (line.value === null) continue;
      const v = value(line);
      if (line.topic === TOPICS.tms && v.event_code === 'IN_TRANSIT' && v.order_ref === null && v.fulfillment_ref === null) emittedFirst.add(v.tracking_no as string);
      if (line.topic === TOPICS.wms && v.event_type === 'SHIPPED' && emittedFirst.has(v.tracking_no as string)) scanBeforeLink = true;
    }
    expect(scanBeforeLink).toBe(true);
  });

  it('has carrier exceptions, failed attempts, and returns to sender with the leg back to the warehouse', () => {
    for (const code of ['WEATHER', 'ADDRESS_ISSUE', 'DAMAGED', 'REFUSED']) expect(count(tms, (v) => v.exception_code === code)).toBeGreaterThan(0);
    expect(count(tms, (v) => v.event_code === 'DELIVERY_ATTEMPTED')).toBeGreaterThan(0);
    const returned = new Map(tms.filter((v) => v.event_code === 'RETURNED_TO_SENDER').map((v) => [v.tracking_no as string, v.occurred_at as number]));
    expect(returned.size).toBeGreaterThan(0);
    const backAtWarehouse = tms.filter(
      (v) => v.event_code === 'DELIVERED' && returned.has(v.tracking_no as string) && (v.occurred_at as number) > (returned.get(v.tracking_no as string) as number),
    );
    expect(backAtWarehouse.length).toBeGreaterThan(0);
    for (const v of backAtWarehouse) {
      expect(v.location).toMatch(/^WH-/);
      expect(v.signed_by).toBe('仓库');
    }
  });

  it('revises ETAs, some beyond the promise, and delivers some orders after the promise', () => {
    const promise = new Map<string, number>();
    for (const v of orders) {
      const image = (v.after ?? v.before) as Json;
      if (image.promised_delivery_at !== null) promise.set(image.order_id as string, Math.floor((image.promised_delivery_at as number) / 1000));
    }
    const fulfillmentOrder = new Map(wms.map((v) => [v.fulfillment_id as string, v.external_order_no as string]));
    const trackingOrder = new Map(wms.filter((v) => v.tracking_no).map((v) => [v.tracking_no as string, v.external_order_no as string]));
    const orderOf = (v: Json): string | undefined =>
      (v.order_ref as string | null) ?? fulfillmentOrder.get(v.fulfillment_ref as string) ?? trackingOrder.get(v.tracking_no as string);
    const etas = countBy(tms.filter((v) => v.eta !== null), (v) => v.tracking_no as string);
    expect([...etas.values()].some((n) => n >= 2)).toBe(true);
    expect(count(tms, (v) => v.eta !== null && (v.eta as number) > (promise.get(orderOf(v) ?? '') ?? Infinity))).toBeGreaterThan(0);
    expect(count(tms, (v) => v.event_code === 'DELIVERED' && v.signed_by !== '仓库' && (v.occurred_at as number) > (promise.get(orderOf(v) ?? '') ?? Infinity))).toBeGreaterThan(0);
  });

  it('opens after-sales cases of every type and outcome', () => {
    const after = cases.map((v) => v.after as Json | null).filter((image): image is Json => image !== null);
    for (const type of ['RETURN', 'REFUND_ONLY', 'EXCHANGE']) expect(count(after, (image) => image.case_type === type)).toBeGreaterThan(0);
    for (const status of ['REQUESTED', 'APPROVED', 'REJECTED', 'ITEM_RECEIVED', 'REFUNDED', 'REPLACEMENT_SHIPPED', 'CLOSED']) {
      expect(count(after, (image) => image.status === status)).toBeGreaterThan(0);
    }
    expect(count(after, (image) => image.status === 'CLOSED' && image.refund_amount !== null)).toBeGreaterThan(0);
  });

  it('cancels orders before and after shipment, and changes addresses', () => {
    expect(count(orders, (v) => (v.after as Json | null)?.status === 'CANCELLED')).toBeGreaterThan(0);
    expect(count(orders, (v) => (v.after as Json | null)?.status === 'CLOSED')).toBeGreaterThan(0);
    const addressChanges = orders.filter((v) => v.op === 'u' && (v.before as Json).ship_line !== (v.after as Json).ship_line);
    expect(addressChanges.length).toBeGreaterThan(0);
  });

  it('leaves some orders without a CRM order row (partial views)', () => {
    const withRow = new Set(orders.map((v) => ((v.after ?? v.before) as Json).order_id as string));
    const named = new Set(wms.map((v) => v.external_order_no as string));
    expect([...named].filter((order) => !withRow.has(order)).length).toBeGreaterThan(0);
  });

  it('renders timestamps in UTC, in +08:00, with and without fractions', () => {
    const stamps = orders.flatMap((v) => [v.after, v.before]).filter((image): image is Json => image !== null).map((image) => image.updated_at as string);
    expect(stamps.some((stamp) => stamp.endsWith('+08:00'))).toBe(true);
    expect(stamps.some((stamp) => /\.\d{3}Z$/.test(stamp))).toBe(true);
    expect(stamps.some((stamp) => /:\d{2}Z$/.test(stamp))).toBe(true);
    expect(stamps.some((stamp) => /\.\d{6}Z$/.test(stamp))).toBe(true);
  });
});

describe('scenario mix', () => {
  it('tells only the kinds given a weight', () => {
    const happyOnly: ScenarioOptions = { seed: 5, orders: 150, startTime: Date.UTC(2026, 0, 1), mix: { happy: 1 } };
    expect(new Set(scenarioManifest(happyOnly).map((order) => order.kind))).toEqual(new Set(['happy']));
    const happy = generateScenario(happyOnly);
    expect(happy.some((line: ReplayLine) => line.value === null)).toBe(false);
    expect(happy.some((line) => line.topic === TOPICS.tms && value(line).event_code === 'RETURNED_TO_SENDER')).toBe(false);
    expect(happy.some((line) => line.topic === TOPICS.afterSales)).toBe(false);
  });

  it('follows the weights roughly', () => {
    const manifest = scenarioManifest({ seed: 6, orders: 2000, startTime: 0, mix: { happy: 3, deletedOrder: 1 } });
    const deleted = count(manifest, (order) => order.kind === 'deletedOrder');
    expect(deleted).toBeGreaterThan(400);
    expect(deleted).toBeLessThan(600);
  });

  it('puts every WMS event on v2 when wmsV1Share is 0, and v1 wherever possible when it is 1', () => {
    const none = generateScenario({ seed: 9, orders: 80, startTime: 0, wmsV1Share: 0 });
    expect(none.filter((line) => line.topic === TOPICS.wms).every((line) => line.schema === 'wms.fulfillment.v2')).toBe(true);
    const only = generateScenario({ seed: 9, orders: 80, startTime: 0, wmsV1Share: 1, mix: { happy: 1 } });
    expect(only.filter((line) => line.topic === TOPICS.wms).every((line) => line.schema === 'wms.fulfillment.v1')).toBe(true);
  });
});

describe('crm order totals', () => {
  it('prices each created order as the sum of its lines at creation', () => {
    const txLines = new Map<string, number>();
    for (const v of crmOf(TOPICS.orderLines)) {
      if (v.op !== 'c') continue;
      const image = v.after as Json;
      const key = `${image.order_id as string}|${(v.source as Json).txId as number}`;
      const cents = Math.round(Number(image.unit_price) * 100) * (image.quantity as number);
      txLines.set(key, (txLines.get(key) ?? 0) + cents);
    }
    let checked = 0;
    for (const v of orders) {
      if (v.op !== 'c') continue;
      const image = v.after as Json;
      const lineCents = txLines.get(`${image.order_id as string}|${(v.source as Json).txId as number}`);
      if (lineCents === undefined) continue;
      expect(Math.round(Number(image.total_amount) * 100)).toBe(lineCents);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
