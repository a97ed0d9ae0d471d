import { describe, expect, it } from 'vitest';
import { generateScenario, TOPICS, type ReplayLine } from '../../../src/simulator/index.js';
import { firstDeliveries, isCrm, value, type Json } from './scenario-stats.js';

const all = generateScenario({ seed: 'consistency', orders: 900, startTime: Date.UTC(2026, 10, 18, 3) });
const lines = firstDeliveries(all);
const crm = lines.filter((line) => isCrm(line) && line.value !== null);
const wms = lines.filter((line) => line.topic === TOPICS.wms);
const tms = lines.filter((line) => line.topic === TOPICS.tms);

function source(line: ReplayLine): Json {
  return value(line).source as Json;
}

function groupBy(items: readonly ReplayLine[], key: (line: ReplayLine) => string): Map<string, ReplayLine[]> {
  const groups = new Map<string, ReplayLine[]>();
  for (const item of items) {
    const group = groups.get(key(item)) ?? [];
    group.push(item);
    groups.set(key(item), group);
  }
  return groups;
}

const V1_FIELDS = ['event_id', 'event_type', 'occurred_at', 'warehouse_id', 'fulfillment_id', 'external_order_no', 'lines', 'carrier_code', 'tracking_no', 'reason'];
const V1_TYPES = new Set(['RELEASED', 'ALLOCATED', 'PICK_STARTED', 'PICKED', 'SHORT_PICKED', 'PACKED', 'SHIPPED', 'CANCELLED']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ordering columns within each source', () => {
  it('gives the CRM a strictly increasing lsn and non-decreasing txId in emission order', () => {
    expect(crm.length).toBeGreaterThan(1000);
    for (let i = 1; i < crm.length; i++) {
      const previous = source(crm[i - 1] as ReplayLine);
      const current = source(crm[i] as ReplayLine);
      expect(current.lsn as number).toBeGreaterThan(previous.lsn as number);
      expect(current.txId as number).toBeGreaterThanOrEqual(previous.txId as number);
    }
  });

  it('processes CRM changes after they commit, in commit order', () => {
    let lastProcessed = 0;
    for (const line of crm) {
      const v = value(line);
      expect(v.ts_ms as number).toBeGreaterThanOrEqual(source(line).ts_ms as number);
      expect(v.ts_ms as number).toBeGreaterThanOrEqual(lastProcessed);
      lastProcessed = v.ts_ms as number;
    }
  });

  it('increments row_version by one per order update, and each before image is the previous after image', () => {
    const byOrder = groupBy(crm.filter((line) => line.topic === TOPICS.orders), (line) => JSON.stringify(line.key));
    expect(byOrder.size).toBeGreaterThan(500);
    for (const history of byOrder.values()) {
      let current: Json | null = null;
      for (const line of history) {
        const v = value(line);
        switch (v.op) {
          case 'c':
            expect(current).toBeNull();
            expect((v.after as Json).row_version).toBe(1);
            break;
          case 'u':
            expect(v.before).toEqual(current);
            expect((v.after as Json).row_version).toBe((current?.row_version as number) + 1);
            break;
          case 'r':
            expect(v.before).toBeNull();
            expect(v.after).toEqual(current);
            break;
          case 'd':
            expect(v.before).toEqual(current);
            expect(v.after).toBeNull();
            break;
          default:
            throw new Error(`unexpected op ${String(v.op)}`);
        }
        current = v.after as Json | null;
      }
    }
  });

  it('chains before and after images of lines and after-sales cases', () => {
    const rows = groupBy(crm.filter((line) => line.topic !== TOPICS.orders), (line) => `${line.topic}|${JSON.stringify(line.key)}`);
    for (const history of rows.values()) {
      let current: Json | null = null;
      for (const line of history) {
        const v = value(line);
        if (v.op === 'c') expect(current).toBeNull();
        else expect(v.before).toEqual(current);
        current = v.after as Json | null;
      }
    }
  });

  it('follows every delete with a tombstone of the same key', () => {
    const inOrder = all;
    let deletes = 0;
    inOrder.forEach((line, index) => {
      if (line.value !== null && value(line).op === 'd') {
        deletes++;
        const next = inOrder[index + 1] as ReplayLine;
        expect(next.value).toBeNull();
        expect(next.key).toEqual(line.key);
        expect(next.topic).toBe(line.topic);
      }
    });
    expect(deletes).toBeGreaterThan(0);
  });

  it('keeps WMS occurred_at strictly increasing within a fulfillment, for one order', () => {
    for (const events of groupBy(wms, (line) => line.key as string).values()) {
      const orders = new Set(events.map((line) => value(line).external_order_no));
      expect(orders.size).toBe(1);
      for (let i = 1; i < events.length; i++) {
        expect(value(events[i] as ReplayLine).occurred_at as number).toBeGreaterThan(value(events[i - 1] as ReplayLine).occurred_at as number);
      }
    }
  });

  it('keeps TMS occurred_at strictly increasing within a shipment, with one carrier', () => {
    for (const events of groupBy(tms, (line) => line.key as string).values()) {
      expect(new Set(events.map((line) => value(line).carrier_code)).size).toBe(1);
      for (let i = 1; i < events.length; i++) {
        expect(value(events[i] as ReplayLine).occurred_at as number).toBeGreaterThan(value(events[i - 1] as ReplayLine).occurred_at as number);
      }
    }
  });

  it('writes WMS v1 values with v1 fields and event types only, and store fulfilment with v2', () => {
    for (const line of wms) {
      const v = value(line);
      if (line.schema === 'wms.fulfillment.v1') {
        expect(Object.keys(v)).toEqual(V1_FIELDS);
        expect(V1_TYPES.has(v.event_type as string)).toBe(true);
      } else {
        expect(Object.keys(v)).toEqual([...V1_FIELDS, 'store_id', 'pickup_locker_id', 'label_address_hash']);
      }
    }
    const storeFulfillments = new Set(wms.filter((line) => value(line).store_id != null).map((line) => line.key));
    for (const line of wms) if (storeFulfillments.has(line.key)) expect(line.schema).toBe('wms.fulfillment.v2');
  });
});

describe('identities', () => {
  it('gives WMS events unique UUIDs and TMS events unique ids', () => {
    const wmsIds = wms.map((line) => value(line).event_id as string);
    const tmsIds = tms.map((line) => value(line).event_id as string);
    for (const id of wmsIds) expect(id).toMatch(UUID);
    for (const id of tmsIds) expect(id).toMatch(/^TE-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}$/);
    expect(new Set(wmsIds).size).toBe(wmsIds.length);
    expect(new Set(tmsIds).size).toBe(tmsIds.length);
  });

  it('ties each tracking number to at most one order, whichever event names it', () => {
    const fulfillmentOrder = new Map(wms.map((line) => [value(line).fulfillment_id as string, value(line).external_order_no as string]));
    const trackingOrders = new Map<string, Set<string>>();
    const note = (tracking: string, order: string | undefined): void => {
      if (order === undefined) return;
      const orders = trackingOrders.get(tracking) ?? new Set<string>();
      orders.add(order);
      trackingOrders.set(tracking, orders);
    };
    for (const line of wms) if (value(line).tracking_no) note(value(line).tracking_no as string, value(line).external_order_no as string);
    for (const line of tms) {
      const v = value(line);
      if (v.order_ref) note(v.tracking_no as string, v.order_ref as string);
      if (v.fulfillment_ref) note(v.tracking_no as string, fulfillmentOrder.get(v.fulfillment_ref as string));
    }
    expect(trackingOrders.size).toBeGreaterThan(500);
    for (const orders of trackingOrders.values()) expect(orders.size).toBe(1);
  });

  it('delivers redeliveries with exactly the content of the original', () => {
    const originals = new Set(lines.map((line) => JSON.stringify([line.topic, line.key, line.value])));
    for (const line of all) expect(originals.has(JSON.stringify([line.topic, line.key, line.value]))).toBe(true);
    expect(all.length).toBeGreaterThan(lines.length);
  });
});
