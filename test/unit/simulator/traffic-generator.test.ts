import { describe, expect, it } from 'vitest';
import { createTrafficGenerator, generateScenario, TOPICS, type ReplayLine } from '../../../src/simulator/index.js';
import { schemaProblem } from './writer-schemas.js';
import { isCrm, value, type Json } from './scenario-stats.js';

const START = Date.UTC(2026, 10, 18, 3);

function eventTime(line: ReplayLine): number | undefined {
  if (line.value === null) return undefined;
  const v = value(line);
  return isCrm(line) ? ((v.source as Json).ts_ms as number) : (v.occurred_at as number);
}

function orderOf(line: ReplayLine): string | undefined {
  if (line.value === null) return undefined;
  const v = value(line);
  if (isCrm(line)) return ((v.after ?? v.before) as Json).order_id as string;
  return (line.topic === TOPICS.wms ? v.external_order_no : v.order_ref) as string | undefined;
}

describe('createTrafficGenerator, driven by the caller’s clock', () => {
  it('keeps event times at the caller’s clock while new orders keep arriving', () => {
    const traffic = createTrafficGenerator({ seed: 1, startTime: START });
    let now = START;
    let latest = 0;
    let maxLag = 0;
    for (let i = 0; i < 20_000; i++) {
      now += 5;
      const line = traffic.next(now);
      expect(line).not.toBeNull();
      const time = eventTime(line as ReplayLine);
      if (time === undefined) continue;
      latest = Math.max(latest, time);
      maxLag = Math.max(maxLag, now - time);
      expect(time).toBeLessThanOrEqual(now + 10);
    }
    expect(maxLag).toBeLessThan(5 * 60_000);
    expect(latest).toBeGreaterThan(now - 60_000);
    expect(traffic.startedOrders).toBeGreaterThan(500);
    expect(traffic.emittedLines).toBe(20_000);
  });

  it('holds only the orders still in flight: the count levels off while orders keep starting', () => {
    const traffic = createTrafficGenerator({ seed: 2, startTime: START, timeScale: 14_400 });
    let now = START;
    const peaks = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      now += 5;
      traffic.next(now);
      const quarter = Math.floor(i / 10_000);
      peaks[quarter] = Math.max(peaks[quarter] as number, traffic.inFlightOrders);
    }
    expect(traffic.startedOrders).toBeGreaterThan(1500);
    expect(Math.max(...peaks)).toBeLessThan(traffic.startedOrders / 5);
    expect(peaks[3] as number).toBeLessThan((peaks[1] as number) * 1.5);
  });

  it('is deterministic for a seed and a sequence of clock values', () => {
    const run = (): string => {
      const traffic = createTrafficGenerator({ seed: 3, startTime: START, shuffle: 'window', shuffleWindow: 20 });
      const lines: (ReplayLine | null)[] = [];
      for (let i = 1; i <= 3000; i++) lines.push(traffic.next(START + i * 7));
      return JSON.stringify(lines);
    };
    expect(run()).toBe(run());
  });

  it('ends a bounded run with null after every order has told its story', () => {
    const traffic = createTrafficGenerator({ seed: 4, startTime: START, orders: 40 });
    const orders = new Set<string>();
    let now = START;
    let count = 0;
    for (let line = traffic.next(now); line !== null; line = traffic.next((now += 20))) {
      count++;
      const order = orderOf(line);
      if (order) orders.add(order);
      expect(schemaProblem(line)).toBeUndefined();
    }
    expect(count).toBeGreaterThan(200);
    expect(orders.size).toBe(40);
    expect(traffic.inFlightOrders).toBe(0);
    expect(traffic.next(now + 1)).toBeNull();
  });

  it('accepts orders: Infinity as endless', () => {
    const traffic = createTrafficGenerator({ seed: 5, startTime: START, orders: Number.POSITIVE_INFINITY });
    for (let i = 1; i <= 500; i++) expect(traffic.next(START + i)).not.toBeNull();
  });

  it('holds back at most shuffleWindow lines for out-of-order delivery', () => {
    const traffic = createTrafficGenerator({ seed: 6, startTime: START, shuffle: 'full', shuffleWindow: 30 });
    for (let i = 1; i <= 2000; i++) {
      traffic.next(START + i * 3);
      expect(traffic.heldBack).toBeLessThanOrEqual(30);
    }
    expect(traffic.heldBack).toBe(30);
  });
});

describe('createTrafficGenerator, on its own schedule', () => {
  it('iterates the same lines as generateScenario with the same pacing', () => {
    const options = { seed: 7, orders: 60, startTime: START, ratePerSec: 2, timeScale: 1440 };
    const iterated = [...createTrafficGenerator(options)];
    expect(iterated).toEqual(generateScenario(options));
  });

  it('reports the simulated time of the next line for pacing by a clock', () => {
    const traffic = createTrafficGenerator({ seed: 8, orders: 20, startTime: START });
    let previous = Number.NEGATIVE_INFINITY;
    for (let at = traffic.peekTime(); at !== undefined; at = traffic.peekTime()) {
      expect(at).toBeGreaterThanOrEqual(previous);
      previous = at;
      expect(traffic.next()).not.toBeNull();
    }
    expect(traffic.next()).toBeNull();
    expect(previous).toBeGreaterThan(START);
  });
});
