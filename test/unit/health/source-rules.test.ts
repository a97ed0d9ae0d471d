import { describe, expect, it } from 'vitest';
import { createHealthEngine, type Arrival, type HealthEngine, type HealthInput, type SourceSystem } from '../../../src/health/index.js';
import { iso, MINUTE, SECOND_MS, T0 } from './support/times.js';
import { referenceRule } from './support/reference-rules.js';

function engine(name: string): HealthEngine {
  return createHealthEngine({ rules: [referenceRule(name)] });
}

function arrivals(...items: Array<[SourceSystem, number, number?]>): HealthInput {
  return { type: 'arrivals', arrivals: items.map(([source, eventTime, lag]): Arrival => ({ source, eventTime, arrivedAt: eventTime + (lag ?? SECOND_MS) })) };
}

describe('source-silent (no event from a source for 30 minutes)', () => {
  it('in event time: the other sources move the watermark; the silent one warns at 15 min, breaches at 30, heals at its next event', () => {
    const health = engine('source-silent');
    expect(health.apply([arrivals(['crm', T0], ['wms', T0], ['tms', T0])])).toEqual([]);
    expect(health.apply([arrivals(['wms', T0 + 10 * MINUTE], ['tms', T0 + 10 * MINUTE])])).toEqual([]);
    const warned = health.apply([arrivals(['wms', T0 + 20 * MINUTE], ['tms', T0 + 20 * MINUTE])]);
    expect(warned.map((change) => [change.case.source, change.step, change.case.updated_at])).toEqual([['crm', 'at_risk', iso(T0 + 15 * MINUTE)]]);
    expect(warned[0]?.case).toMatchObject({ subject: 'source', source: 'crm', order_id: null, since: iso(T0), evidence: { source: 'crm', last_event_at: iso(T0) } });
    expect(warned[0]?.case.playbook[0]?.link).toBe('/metrics');
    expect(health.apply([arrivals(['wms', T0 + 30 * MINUTE - 1], ['tms', T0 + 30 * MINUTE - 1])])).toEqual([]);
    const breached = health.apply([arrivals(['wms', T0 + 40 * MINUTE], ['tms', T0 + 40 * MINUTE])]);
    expect(breached.map((change) => [change.case.source, change.step, change.case.updated_at])).toEqual([['crm', 'breached', iso(T0 + 30 * MINUTE)]]);
    const healed = health.apply([arrivals(['crm', T0 + 50 * MINUTE])]);
    expect(healed.map((change) => [change.case.source, change.step, change.case.resolved_at])).toEqual([['crm', 'self_healed', iso(T0 + 50 * MINUTE)]]);
  });

  it('in wall-clock time when every source is idle (live only): event time moves on with the clock', () => {
    const health = engine('source-silent');
    health.apply([arrivals(['crm', T0], ['wms', T0], ['tms', T0])]);
    const lastArrival = T0 + SECOND_MS;
    expect(health.apply([{ type: 'clock', now: lastArrival + 59 * SECOND_MS }])).toEqual([]);
    expect(health.watermark).toBe(T0);
    const warned = health.apply([{ type: 'clock', now: lastArrival + 16 * MINUTE }]);
    expect(warned.map((change) => [change.case.source, change.step])).toEqual([
      ['crm', 'at_risk'],
      ['tms', 'at_risk'],
      ['wms', 'at_risk'],
    ]);
    expect(health.watermark).toBe(T0 + 16 * MINUTE);
  });

  it('a restarted worker carries a stored silence on until the source speaks', () => {
    const before = engine('source-silent');
    before.apply([
      arrivals(['crm', T0], ['wms', T0], ['tms', T0]),
      arrivals(['wms', T0 + 10 * MINUTE], ['tms', T0 + 10 * MINUTE]),
      arrivals(['wms', T0 + 20 * MINUTE], ['tms', T0 + 20 * MINUTE]),
    ]);
    const stored = before.cases();
    expect(stored.map((held) => [held.source, held.at_risk])).toEqual([['crm', true]]);
    const after = engine('source-silent');
    after.restore(stored);
    expect(after.apply([arrivals(['wms', T0 + 25 * MINUTE], ['tms', T0 + 25 * MINUTE])])).toEqual([]);
    const changes = after.apply([arrivals(['wms', T0 + 31 * MINUTE])]);
    expect(changes.map((change) => [change.caseId, change.step, change.version])).toEqual([[stored[0]?.case_id, 'breached', 2]]);
    expect(after.apply([arrivals(['crm', T0 + 32 * MINUTE])]).map((change) => [change.caseId, change.step])).toEqual([[stored[0]?.case_id, 'self_healed']]);
  });

  it('a source never heard from counts as silent since the first event of any source', () => {
    const health = engine('source-silent');
    health.apply([arrivals(['crm', T0], ['wms', T0])]);
    const changes = [10, 20, 31].flatMap((minute) => health.apply([arrivals(['crm', T0 + minute * MINUTE], ['wms', T0 + minute * MINUTE])]));
    expect(changes.map((change) => [change.case.source, change.step, change.case.since])).toEqual([
      ['tms', 'at_risk', iso(T0)],
      ['tms', 'breached', iso(T0)],
    ]);
  });

  it('a gap longer than the threshold is told in full when the next event shows it, even if the watermark never saw it open', () => {
    const health = engine('source-silent');
    health.apply([arrivals(['crm', T0], ['wms', T0], ['tms', T0])]);
    const changes = health.apply([arrivals(['crm', T0 + 45 * MINUTE], ['wms', T0 + 45 * MINUTE], ['tms', T0 + 45 * MINUTE])]);
    expect(changes.filter((change) => change.case.source === 'wms').map((change) => [change.step, change.case.updated_at])).toEqual([
      ['at_risk', iso(T0 + 15 * MINUTE)],
      ['breached', iso(T0 + 30 * MINUTE)],
      ['self_healed', iso(T0 + 45 * MINUTE)],
    ]);
  });

  it('opens nothing while every source keeps talking', () => {
    const health = engine('source-silent');
    const inputs: HealthInput[] = [];
    for (let minute = 0; minute <= 300; minute += 10) inputs.push(arrivals(['crm', T0 + minute * MINUTE], ['wms', T0 + minute * MINUTE + 3], ['tms', T0 + minute * MINUTE + 7]));
    expect(health.apply(inputs)).toEqual([]);
  });
});

describe('source-lagging (the median lag of a source\'s last 50 events above 15 minutes)', () => {
  const lagged = (source: SourceSystem, from: number, count: number, lagMs: number): HealthInput =>
    arrivals(...Array.from({ length: count }, (_, i): [SourceSystem, number, number] => [source, from + i * SECOND_MS, lagMs]));

  it('warns at half the threshold, breaches at the threshold, heals below the warning level', () => {
    const health = engine('source-lagging');
    expect(health.apply([lagged('wms', T0, 50, MINUTE)])).toEqual([]);
    // 26 of the last 50 late by 10 minutes: the median is 10 minutes.
    const warned = health.apply([lagged('wms', T0 + MINUTE, 26, 10 * MINUTE)]);
    expect(warned.map((change) => [change.case.source, change.step])).toEqual([['wms', 'at_risk']]);
    expect(warned[0]?.case).toMatchObject({ subject: 'source', due_at: null, evidence: { source: 'wms', statistic: 'p50', lag_ms: 10 * MINUTE, arrivals_measured: 50 } });
    const breached = health.apply([lagged('wms', T0 + 2 * MINUTE, 50, 20 * MINUTE)]);
    expect(breached.map((change) => [change.step, change.case.evidence['lag_ms']])).toEqual([['breached', 20 * MINUTE]]);
    // Back between warning and threshold: still lagging, nothing new.
    expect(health.apply([lagged('wms', T0 + 3 * MINUTE, 50, 10 * MINUTE)])).toEqual([]);
    const healed = health.apply([lagged('wms', T0 + 4 * MINUTE, 50, MINUTE)]);
    expect(healed.map((change) => [change.step, change.case.status, change.case.evidence['lag_ms']])).toEqual([['self_healed', 'resolved', MINUTE]]);
  });

  it('one late re-delivery does not move a median; a source on time opens nothing', () => {
    const health = engine('source-lagging');
    expect(health.apply([lagged('crm', T0, 49, 2 * SECOND_MS), lagged('crm', T0 - 4 * 60 * MINUTE, 1, 4 * 60 * MINUTE), lagged('crm', T0 + MINUTE, 49, 2 * SECOND_MS)])).toEqual([]);
  });
});
