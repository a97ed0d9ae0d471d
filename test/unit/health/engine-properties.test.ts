import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseIdOf, createHealthEngine, type CaseChange, type HealthInput, type Rule, type SourceSystem } from '../../../src/health/index.js';
import { eventTime, type CanonicalEvent } from '../../../src/normalize/index.js';
import { crmOrder, DAY, HOUR, MINUTE, T0, tms, wms } from '../../helpers/golden-events.js';
import { OrderFeed } from './support/order-feed.js';
import { referenceRules } from './support/reference-rules.js';

const RULES: readonly Rule[] = [...referenceRules().values()];
const P = T0 + MINUTE;

/** What can happen to an order, as canonical events of order `orderId` at `at` (unique `id`). */
const EVENTS: Record<string, (orderId: string, at: number, id: string) => CanonicalEvent> = {
  created: (order_id, at) => crmOrder({ order_id, updated_at: at }),
  paid: (order_id, at) => crmOrder({ order_id, row_version: 2, status: 'PAID', paid_at: P, updated_at: at }),
  cancelled: (order_id, at) => crmOrder({ order_id, row_version: 3, status: 'CANCELLED', paid_at: P, updated_at: at }),
  moved: (order_id, at) => crmOrder({ order_id, row_version: 4, status: 'PAID', paid_at: P, updated_at: at, ship_line: '人民路8号', gift_order: true }),
  released: (order_id, at, id) => wms('RELEASED', at, { event_id: id, order_id, fulfillment_id: `FF-${order_id}` }),
  short: (order_id, at, id) => wms('SHORT_PICKED', at, { event_id: id, order_id, fulfillment_id: `FF-${order_id}` }),
  packed: (order_id, at, id) => wms('PACKED', at, { event_id: id, order_id, fulfillment_id: `FF-${order_id}` }),
  shipped: (order_id, at, id) => wms('SHIPPED', at, { event_id: id, order_id, fulfillment_id: `FF-${order_id}`, tracking_no: `SF-${order_id}`, carrier: 'SF' }),
  wmsCancelled: (order_id, at, id) => wms('CANCELLED', at, { event_id: id, order_id, fulfillment_id: `FF-${order_id}` }),
  label: (order_id, at, id) => tms('LABEL_CREATED', at, { event_id: id, order_ref: order_id, tracking_no: `SF-${order_id}` }),
  pickedUp: (order_id, at, id) => tms('PICKED_UP', at, { event_id: id, order_ref: order_id, tracking_no: `SF-${order_id}`, eta: T0 + 2 * DAY }),
  lateEta: (order_id, at, id) => tms('IN_TRANSIT', at, { event_id: id, order_ref: order_id, tracking_no: `SF-${order_id}`, eta: T0 + 5 * DAY }),
  exception: (order_id, at, id) => tms('EXCEPTION', at, { event_id: id, order_ref: order_id, tracking_no: `SF-${order_id}`, exception_code: 'WEATHER' }),
  delivered: (order_id, at, id) => tms('DELIVERED', at, { event_id: id, order_ref: order_id, tracking_no: `SF-${order_id}` }),
};

const minutes = fc.integer({ min: 0, max: (5 * DAY) / MINUTE });

type Step =
  | { kind: 'event'; order: number; event: string; at: number; arrive: boolean; lag: number }
  | { kind: 'watermark'; at: number }
  | { kind: 'clock'; at: number }
  | { kind: 'waiting'; tn: string; at: number }
  | { kind: 'linked'; tn: string; at: number | null }
  | { kind: 'arrival'; source: SourceSystem; at: number; lag: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('event' as const), order: fc.integer({ min: 1, max: 3 }), event: fc.constantFrom(...Object.keys(EVENTS)), at: minutes, arrive: fc.boolean(), lag: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('watermark' as const), at: minutes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clock' as const), at: minutes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('waiting' as const), tn: fc.constantFrom('X1', 'X2'), at: minutes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('linked' as const), tn: fc.constantFrom('X1', 'X2'), at: fc.option(minutes) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('arrival' as const), source: fc.constantFrom<SourceSystem>('crm', 'wms', 'tms'), at: minutes, lag: fc.integer({ min: 0, max: 40 }) }) },
);

/** The inputs a run of steps gives: views as the merge would emit them, arrivals, clocks, link waits. */
function inputsOf(steps: readonly Step[]): HealthInput[] {
  const feeds = new Map<number, OrderFeed>();
  const inputs: HealthInput[] = [];
  steps.forEach((s, index) => {
    const at = T0 + ((s.kind === 'linked' ? s.at : s.at) ?? 0) * MINUTE;
    switch (s.kind) {
      case 'event': {
        let feed = feeds.get(s.order);
        if (feed === undefined) {
          feed = new OrderFeed(`SO-${s.order}`);
          feeds.set(s.order, feed);
        }
        const event = (EVENTS[s.event] as (typeof EVENTS)[string])(`SO-${s.order}`, at, `e${index}`);
        inputs.push(...feed.add(event));
        if (s.arrive) inputs.push({ type: 'arrivals', arrivals: [{ source: event.source, eventTime: eventTime(event), arrivedAt: eventTime(event) + s.lag * MINUTE }] });
        return;
      }
      case 'watermark':
        inputs.push({ type: 'watermark', eventTime: at });
        return;
      case 'clock':
        inputs.push({ type: 'clock', now: at });
        return;
      case 'waiting':
        inputs.push({ type: 'shipment_waiting', trackingNo: s.tn, eventTime: at });
        return;
      case 'linked':
        inputs.push({ type: 'shipment_linked', trackingNo: s.tn, orderId: 'SO-9', linkedAt: s.at === null ? null : at });
        return;
      case 'arrival':
        inputs.push({ type: 'arrivals', arrivals: [{ source: s.source, eventTime: at, arrivedAt: at + s.lag * MINUTE }] });
        return;
    }
  });
  return inputs;
}

function run(inputs: readonly HealthInput[], split: readonly number[] = []): CaseChange[] {
  const engine = createHealthEngine({ rules: RULES });
  const cuts = [...new Set(split.map((n) => n % (inputs.length + 1)))].sort((a, b) => a - b);
  const changes: CaseChange[] = [];
  let from = 0;
  for (const cut of [...cuts, inputs.length]) {
    changes.push(...engine.apply(inputs.slice(from, cut)));
    from = cut;
  }
  return changes;
}

const scenario = fc.array(step, { minLength: 1, maxLength: 60 }).map(inputsOf);

describe('the health engine is a pure function of its inputs in order', () => {
  it('the same inputs in the same order give identical case changes', () => {
    fc.assert(
      fc.property(scenario, (inputs) => {
        expect(run(inputs)).toEqual(run(inputs));
      }),
      { numRuns: 150 },
    );
  });

  it('however the inputs are split into batches', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.nat(), { maxLength: 8 }), (inputs, split) => {
        expect(run(inputs, split)).toEqual(run(inputs));
      }),
      { numRuns: 150 },
    );
  });

  it('case ids are hashes of the subject, the rule and the anchor; versions rise by one per change', () => {
    const byName = new Map(RULES.map((rule) => [rule.name, rule]));
    fc.assert(
      fc.property(scenario, (inputs) => {
        const last = new Map<string, number>();
        for (const change of run(inputs)) {
          const held = change.case;
          expect(change.version).toBe((last.get(change.caseId) ?? 0) + 1);
          expect(change.previous?.version ?? 0).toBe(change.version - 1);
          last.set(change.caseId, change.version);
          const condition = byName.get(held.rule)?.condition;
          if (condition?.kind === 'waiting') expect(held.case_id).toBe(caseIdOf(`order:${held.order_id}`, held.rule, `${condition.since}=${held.since}`));
          if (condition?.kind === 'exception') expect(held.case_id).toBe(caseIdOf(`order:${held.order_id}`, held.rule, 'exception'));
          if (condition?.kind === 'source_silent') expect(held.case_id).toBe(caseIdOf(`source:${held.source}`, held.rule, `last=${held.since}`));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('timers fire in event-time order, never ahead of the watermark, and every stage keeps its time order', () => {
    fc.assert(
      fc.property(scenario, (inputs) => {
        const engine = createHealthEngine({ rules: RULES });
        for (const input of inputs) {
          const changes = engine.apply([input]);
          if (input.type === 'watermark' || input.type === 'clock') {
            const times = changes.map((change) => change.case.updated_at);
            expect(times).toEqual([...times].sort());
            for (const change of changes) {
              expect(['at_risk', 'breached']).toContain(change.step);
              expect(Date.parse(change.case.updated_at)).toBeLessThanOrEqual(engine.watermark as number);
            }
          }
          for (const { case: held } of changes) {
            // A reopened case keeps when it first opened; its since is the new episode's.
            if (!held.history.some((step) => step.action === 'reopened')) expect(held.opened_at >= held.since).toBe(true);
            if (held.at_risk_at !== null && held.breached_at !== null) expect(held.at_risk_at <= held.breached_at).toBe(true);
            if (held.due_at !== null && held.breached_at !== null) expect(held.breached_at).toBe(held.due_at);
            if (held.resolved_at !== null && held.resolution === 'self_healed') expect(held.resolved_at >= (held.breached_at ?? held.at_risk_at ?? held.opened_at)).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a far watermark leaves no order case of a timed rule unbreached while its condition holds', () => {
    fc.assert(
      fc.property(scenario, (inputs) => {
        const engine = createHealthEngine({ rules: RULES });
        engine.apply([...inputs, { type: 'watermark', eventTime: T0 + 30 * DAY }]);
        for (const held of engine.cases()) {
          if (held.status !== 'resolved' && held.due_at !== null) expect(held.breached_at, held.rule).not.toBeNull();
        }
        expect(engine.stats().timers).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('timers in event time', () => {
  it('fire in deadline order across orders when one watermark passes them all', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 8 }), (paidMinutes) => {
        const engine = createHealthEngine({ rules: RULES.filter((rule) => rule.name === 'paid-not-released') });
        const inputs = paidMinutes.flatMap((minute, i) =>
          new OrderFeed(`SO-${i}`).add(crmOrder({ order_id: `SO-${i}` }), crmOrder({ order_id: `SO-${i}`, row_version: 2, status: 'PAID', paid_at: T0 + minute * MINUTE, updated_at: T0 })),
        );
        engine.apply(inputs);
        const changes = engine.apply([{ type: 'watermark', eventTime: T0 + 12 * HOUR }]);
        const expected = paidMinutes
          .flatMap((minute, i) => [
            [T0 + minute * MINUTE + 36 * MINUTE, `SO-${i}`, 'at_risk'],
            [T0 + minute * MINUTE + 45 * MINUTE, `SO-${i}`, 'breached'],
          ])
          .sort((a, b) => (a[0] as number) - (b[0] as number));
        expect(changes.map((change) => [Date.parse(change.case.updated_at), change.case.order_id, change.step])).toEqual(expected);
      }),
    );
  });
});
