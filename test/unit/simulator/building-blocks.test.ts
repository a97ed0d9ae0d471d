import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer, reorderLines } from '../../../src/simulator/delivery-order.js';
import { EventQueue } from '../../../src/simulator/event-queue.js';
import { formatOrderId, fulfillmentId, caseId, randomUuid, trackingEventId, trackingNumber } from '../../../src/simulator/identifiers.js';
import { centsToDecimal } from '../../../src/simulator/order-header.js';
import { RowHistory } from '../../../src/simulator/row-history.js';
import { createRng } from '../../../src/simulator/seeded-random.js';
import { formatZoned, toMicroTimestamp, type ZonedStyle } from '../../../src/simulator/zoned-time.js';

describe('seeded randomness', () => {
  it('repeats a stream for the same parts and differs for others', () => {
    const draw = (...parts: string[]): number[] => {
      const rng = createRng(...parts);
      return Array.from({ length: 8 }, () => rng.uint32());
    };
    expect(draw('1', 'order', 'SO-000001')).toEqual(draw('1', 'order', 'SO-000001'));
    expect(draw('1', 'order', 'SO-000001')).not.toEqual(draw('1', 'order', 'SO-000002'));
  });

  it('keeps draws in range and never picks a zero weight', () => {
    const rng = createRng('range');
    for (let i = 0; i < 2000; i++) {
      const value = rng.int(3, 7);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(7);
      expect(rng.weighted([['a', 0], ['b', 2], ['c', 0]] as const)).toBe('b');
    }
  });
});

describe('identifiers', () => {
  it('derives fulfillment and case ids from the order id', () => {
    expect(formatOrderId('SO-', 1)).toBe('SO-000001');
    expect(fulfillmentId('SO-000001', 2)).toBe('FF-000001-2');
    expect(caseId('SO-000042', 1)).toBe('AS-000042-1');
    expect(fulfillmentId('SO-B-000001', 1)).toBe('FF-B-000001-1');
  });

  it('draws version-4 UUIDs and TMS ids', () => {
    const rng = createRng('ids');
    for (let i = 0; i < 500; i++) {
      expect(randomUuid(rng)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(trackingEventId(rng)).toMatch(/^TE-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}$/);
    }
  });

  it('never gives two shipments the same tracking digits', () => {
    const digits = new Set<string>();
    let count = 0;
    for (const prefix of ['SO-', 'SO-B-']) {
      for (let orderNo = 1; orderNo <= 3000; orderNo++) {
        for (let index = 0; index < 3; index++) {
          digits.add(trackingNumber('SF', prefix, orderNo, index).slice(2));
          count++;
        }
      }
    }
    expect(digits.size).toBe(count);
    expect(trackingNumber('CITY_COURIER', 'SO-', 1, 0)).toMatch(/^CC\d{12}$/);
    expect(trackingNumber('YTO', 'SO-', 1, 0)).toMatch(/^YTO\d{12}$/);
  });
});

describe('value rendering', () => {
  it('writes canonical decimals at scale 2', () => {
    expect(centsToDecimal(0)).toBe('0.00');
    expect(centsToDecimal(50)).toBe('0.50');
    expect(centsToDecimal(19900)).toBe('199.00');
    expect(centsToDecimal(129900)).toBe('1299.00');
    expect(centsToDecimal(-5)).toBe('-0.05');
  });

  it('renders ZonedTimestamps that denote the same instant, truncated to the second or not', () => {
    const rng = createRng('zoned');
    const ms = Date.UTC(2026, 10, 18, 11, 7, 42, 30);
    const expected: Record<ZonedStyle, string> = {
      'utc-millis': '2026-11-18T11:07:42.030Z',
      'shanghai-millis': '2026-11-18T19:07:42.030+08:00',
      'utc-seconds': '2026-11-18T11:07:42Z',
      'utc-micros': '2026-11-18T11:07:42.030',
    };
    for (const style of Object.keys(expected) as ZonedStyle[]) {
      const text = formatZoned(ms, style, rng);
      expect(text.startsWith(expected[style])).toBe(true);
      expect(Date.parse(text.replace(/(\.\d{3})\d+Z$/, '$1Z'))).toBe(style === 'utc-seconds' ? ms - 30 : ms);
    }
  });

  it('writes MicroTimestamps that floor to the same millisecond', () => {
    const rng = createRng('micros');
    for (let i = 0; i < 200; i++) expect(Math.floor(toMicroTimestamp(1_795_000_000_123, rng) / 1000)).toBe(1_795_000_000_123);
  });
});

describe('CRM row history', () => {
  it('replays intents in time order: row_version +1 per update, before = previous after, nothing after a delete', () => {
    const history = new RowHistory('orders', { order_id: 'SO-1' }, true);
    history.add({ at: 300, op: 'u', patch: { status: 'CANCELLED' } });
    history.add({ at: 100, op: 'c', patch: { order_id: 'SO-1', status: 'CREATED', updated_at: null, row_version: 1 } });
    history.add({ at: 200, op: 'u', patch: { status: 'PAID' } });
    history.add({ at: 400, op: 'd' });
    history.add({ at: 500, op: 'u', patch: { status: 'PAID' } });
    const changes = history.materialize(createRng('rows')).map((timed) => timed.change);
    expect(changes.map((change) => change.op)).toEqual(['c', 'u', 'u', 'd']);
    expect(changes.map((change) => change.after?.row_version ?? null)).toEqual([1, 2, 3, null]);
    expect(changes[1]?.before).toEqual(changes[0]?.after);
    expect(changes[3]?.before).toEqual(changes[2]?.after);
    expect(changes[2]?.after?.status).toBe('CANCELLED');
  });
});

describe('delivery order', () => {
  it('pops queued events by time, then order, then sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.integer({ min: 0, max: 50 }), orderNo: fc.integer({ min: 0, max: 5 }), seq: fc.integer({ min: 0, max: 5 }) })), (entries) => {
        const queue = new EventQueue<{ at: number; orderNo: number; seq: number }>();
        for (const entry of entries) queue.push(entry);
        const popped = [];
        for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) popped.push(entry);
        const sorted = [...entries].sort((a, b) => a.at - b.at || a.orderNo - b.orderNo || a.seq - b.seq);
        expect(popped.map((e) => [e.at, e.orderNo, e.seq])).toEqual(sorted.map((e) => [e.at, e.orderNo, e.seq]));
      }),
    );
  });

  it('moves no line by a window or more, and loses none', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.string(), (length, window, seed) => {
        const items = Array.from({ length }, (_, index) => index);
        const moved = reorderLines(items, 'window', window, createRng(seed));
        expect([...moved].sort((a, b) => a - b)).toEqual(items);
        moved.forEach((item, index) => expect(Math.abs(item - index)).toBeLessThan(window));
      }),
    );
  });

  it('releases every buffered item exactly once', () => {
    const buffer = new ReorderBuffer<number>(10, createRng('buffer'));
    const released: number[] = [];
    for (let i = 0; i < 100; i++) {
      buffer.push(i);
      if (buffer.size > buffer.capacity) released.push(buffer.popRandom() as number);
    }
    for (let item = buffer.popRandom(); item !== undefined; item = buffer.popRandom()) released.push(item);
    expect([...released].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(released).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
