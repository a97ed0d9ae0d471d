import { describe, expect, it } from 'vitest';
import { isOrderlakeError } from '../../../src/errors.js';
import { generateScenario, scenarioManifest, TOPICS, type ReplayLine, type ScenarioOptions } from '../../../src/simulator/index.js';
import { contentKey, isCrm, value, type Json } from './scenario-stats.js';

const START = Date.UTC(2026, 10, 18, 3);

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isOrderlakeError(error) ? error.code : 'not an OrderlakeError';
  }
  return undefined;
}

type IdKind = 'orders' | 'fulfillments' | 'cases' | 'tracking' | 'events';

/** Every identifier a scenario hands out, by kind. */
function identifiers(lines: readonly ReplayLine[]): Record<IdKind, Set<string>> {
  const ids = { orders: new Set<string>(), fulfillments: new Set<string>(), cases: new Set<string>(), tracking: new Set<string>(), events: new Set<string>() };
  for (const line of lines) {
    if (line.value === null) continue;
    const v = value(line);
    if (isCrm(line)) {
      const image = (v.after ?? v.before) as Json;
      ids.orders.add(image.order_id as string);
      if (image.case_id) ids.cases.add(image.case_id as string);
    } else if (line.topic === TOPICS.wms) {
      ids.orders.add(v.external_order_no as string);
      ids.fulfillments.add(v.fulfillment_id as string);
      ids.events.add(v.event_id as string);
      if (v.tracking_no) ids.tracking.add(v.tracking_no as string);
    } else {
      ids.tracking.add(v.tracking_no as string);
      ids.events.add(v.event_id as string);
    }
  }
  return ids;
}

function eventTime(line: ReplayLine): number | undefined {
  if (line.value === null) return undefined;
  const v = value(line);
  return isCrm(line) ? ((v.source as Json).ts_ms as number) : (v.occurred_at as number);
}

describe('generateScenario', () => {
  it('is deterministic: same options, same lines', () => {
    const options: ScenarioOptions = { seed: 99, orders: 250, startTime: START, shuffle: 'full' };
    expect(JSON.stringify(generateScenario(options))).toBe(JSON.stringify(generateScenario(options)));
  });

  it('differs for another seed', () => {
    const a = generateScenario({ seed: 1, orders: 50, startTime: START });
    const b = generateScenario({ seed: 2, orders: 50, startTime: START });
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });

  it('tells the story of every order in the manifest, and of no other', () => {
    const options: ScenarioOptions = { seed: 3, orders: 300, startTime: START };
    const manifest = scenarioManifest(options);
    expect(manifest).toHaveLength(300);
    expect(identifiers(generateScenario(options)).orders).toEqual(new Set(manifest.map((order) => order.order_id)));
  });

  it('lets scenarios with other order numbers or prefixes share no identifier', () => {
    const first = identifiers(generateScenario({ seed: 4, orders: 300, startTime: START }));
    const later = identifiers(generateScenario({ seed: 4, orders: 300, startTime: START, firstOrderNo: 301 }));
    const prefixed = identifiers(generateScenario({ seed: 4, orders: 300, startTime: START, orderIdPrefix: 'SO-B-' }));
    for (const other of [later, prefixed]) {
      for (const kind of Object.keys(first) as IdKind[]) {
        const shared = [...first[kind]].filter((id) => other[kind].has(id));
        expect({ kind, shared }).toEqual({ kind, shared: [] });
      }
    }
    expect([...prefixed.orders].every((id) => id.startsWith('SO-B-'))).toBe(true);
  });

  it('starts at startTime and, with endTime, stops there', () => {
    const lines = generateScenario({ seed: 5, orders: 400, startTime: START, endTime: START + 6 * 3600_000 });
    const times = lines.map(eventTime).filter((time): time is number => time !== undefined);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(START);
    for (const line of lines) {
      if (line.value === null) continue;
      if (isCrm(line)) expect((value(line).source as Json).ts_ms as number).toBeLessThanOrEqual(START + 6 * 3600_000 + 1);
      else expect(value(line).occurred_at as number).toBeLessThanOrEqual(START + 6 * 3600_000);
    }
  });

  it('compresses each order’s life by timeScale', () => {
    const real = generateScenario({ seed: 6, orders: 30, startTime: START, ratePerSec: 1, mix: { happy: 1 }, duplicateRate: 0 });
    const fast = generateScenario({ seed: 6, orders: 30, startTime: START, ratePerSec: 1, mix: { happy: 1 }, duplicateRate: 0, timeScale: 1000 });
    const span = (lines: ReplayLine[]): number => {
      const times = lines.map(eventTime).filter((time): time is number => time !== undefined);
      return Math.max(...times) - Math.min(...times);
    };
    expect(span(real)).toBeGreaterThan(12 * 3600_000);
    expect(span(fast)).toBeLessThan(span(real) / 100);
  });

  it('sets the Kafka timestamp unless told not to', () => {
    const stamped = generateScenario({ seed: 7, orders: 20, startTime: START });
    for (const line of stamped) {
      expect(line.timestamp).toBeGreaterThanOrEqual(eventTime(line) ?? START);
    }
    const plain = generateScenario({ seed: 7, orders: 20, startTime: START, timestamps: false });
    for (const line of plain) expect(Object.keys(line)).toEqual(['topic', 'key', 'schema', 'value']);
  });

  it('shuffles delivery without changing what is delivered; a window bounds how far a line moves', () => {
    const base: ScenarioOptions = { seed: 8, orders: 200, startTime: START };
    const inOrder = generateScenario(base).map(contentKey);
    const full = generateScenario({ ...base, shuffle: 'full' }).map(contentKey);
    const windowed = generateScenario({ ...base, shuffle: 'window', shuffleWindow: 50 }).map(contentKey);
    expect([...full].sort()).toEqual([...inOrder].sort());
    expect([...windowed].sort()).toEqual([...inOrder].sort());
    expect(full).not.toEqual(inOrder);
    expect(windowed).not.toEqual(inOrder);
    const positions = new Map<string, number[]>();
    inOrder.forEach((key, index) => positions.set(key, [...(positions.get(key) ?? []), index]));
    const seen = new Map<string, number>();
    windowed.forEach((key, index) => {
      const occurrence = seen.get(key) ?? 0;
      seen.set(key, occurrence + 1);
      const original = (positions.get(key) as number[])[occurrence] as number;
      expect(Math.abs(index - original)).toBeLessThan(100);
    });
  });

  it('sends no duplicates with duplicateRate 0', () => {
    const lines = generateScenario({ seed: 10, orders: 100, startTime: START, duplicateRate: 0 });
    const keys = lines.filter((line) => line.value !== null).map(contentKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('rejects bad options with OL_ERR_CONFIG_INVALID', () => {
    expect(errorCode(() => generateScenario({ seed: 1, startTime: START, duplicateRate: -0.1 }))).toBe('OL_ERR_CONFIG_INVALID');
    expect(errorCode(() => generateScenario({ seed: 1, startTime: START, mix: {} }))).toBe('OL_ERR_CONFIG_INVALID');
    expect(errorCode(() => generateScenario({ seed: 1, startTime: START, mix: { nonsense: 1 } as never }))).toBe('OL_ERR_CONFIG_INVALID');
    expect(errorCode(() => generateScenario({ seed: 1, startTime: START, orders: Number.POSITIVE_INFINITY }))).toBe('OL_ERR_CONFIG_INVALID');
    expect(errorCode(() => generateScenario({ seed: 1, startTime: START, timeScale: 0.5 }))).toBe('OL_ERR_CONFIG_INVALID');
    expect(errorCode(() => generateScenario({ seed: 1, startTime: START, typo: true } as never))).toBe('OL_ERR_CONFIG_INVALID');
  });
});
