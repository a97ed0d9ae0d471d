import { describe, expect, it } from 'vitest';
import { applyAgentAction, createHealthEngine, type AgentAction, type HealthCase, type HealthEngine } from '../../../src/health/index.js';
import { crmOrder, HOUR, iso, MINUTE, T0, wms } from '../../helpers/golden-events.js';
import { OrderFeed, watermark } from './support/order-feed.js';
import { referenceRule } from './support/reference-rules.js';

const P = T0 + 2 * MINUTE;
const paidOrder = [crmOrder(), crmOrder({ row_version: 2, status: 'PAID', paid_at: P, updated_at: P })];
const NOON = Date.UTC(2026, 10, 18, 12);

/** An engine holding one at-risk paid-not-released case of SO-1, and that case. */
function atRiskCase(): { engine: HealthEngine; feed: OrderFeed; held: HealthCase } {
  const engine = createHealthEngine({ rules: [referenceRule('paid-not-released')] });
  const feed = new OrderFeed();
  const [change] = engine.apply([...feed.add(...paidOrder), watermark(P + 40 * MINUTE)]);
  if (change === undefined) throw new Error('expected a case');
  return { engine, feed, held: change.case };
}

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('agent actions are pure, recorded with who and when', () => {
  it('acknowledge, assign, comment and resolve, each raising the version by one', () => {
    const { held } = atRiskCase();
    const acknowledged = applyAgentAction(held, { type: 'acknowledge', by: 'agent-li', at: NOON });
    expect(acknowledged).toMatchObject({ status: 'acknowledged', updated_at: iso(NOON), version: held.version + 1 });
    expect(acknowledged.history.at(-1)).toEqual({ at: iso(NOON), by: 'agent-li', action: 'acknowledged', note: null });
    expect(held.status).toBe('open');

    const assigned = applyAgentAction(acknowledged, { type: 'assign', by: 'lead-wu', at: NOON + MINUTE, assignee: 'agent-li' });
    expect(assigned).toMatchObject({ assignee: 'agent-li', status: 'acknowledged', version: held.version + 2 });
    expect(assigned.history.at(-1)).toEqual({ at: iso(NOON + MINUTE), by: 'lead-wu', action: 'assigned', note: 'agent-li' });

    const commented = applyAgentAction(assigned, { type: 'comment', by: 'agent-li', at: NOON + 2 * MINUTE, text: 'WMS rejected the order: SKU blocked' });
    expect(commented.history.at(-1)).toMatchObject({ action: 'commented', note: 'WMS rejected the order: SKU blocked' });

    const resolved = applyAgentAction(commented, { type: 'resolve', by: 'agent-li', at: NOON + 3 * MINUTE, note: 're-released' });
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'by_agent', resolved_at: iso(NOON + 3 * MINUTE), version: held.version + 4 });
    expect(resolved.history.map((step) => step.action)).toEqual(['at_risk', 'acknowledged', 'assigned', 'commented', 'resolved']);
    // A resolved case still takes comments.
    expect(applyAgentAction(resolved, { type: 'comment', by: 'agent-li', at: NOON + HOUR, text: 'customer informed' }).version).toBe(held.version + 5);
  });

  it('refuses actions that do not fit the case, changing nothing', () => {
    const { held } = atRiskCase();
    const acknowledged = applyAgentAction(held, { type: 'acknowledge', by: 'a', at: NOON });
    const resolved = applyAgentAction(held, { type: 'resolve', by: 'a', at: NOON });
    const refused: Array<[HealthCase, AgentAction, RegExp]> = [
      [acknowledged, { type: 'acknowledge', by: 'a', at: NOON }, /it is acknowledged, not open/],
      [resolved, { type: 'acknowledge', by: 'a', at: NOON }, /it is resolved, not open/],
      [resolved, { type: 'resolve', by: 'a', at: NOON }, /already resolved/],
      [resolved, { type: 'assign', by: 'a', at: NOON, assignee: 'b' }, /it is resolved/],
      [held, { type: 'assign', by: 'a', at: NOON, assignee: ' ' }, /assignee is empty/],
      [held, { type: 'comment', by: 'a', at: NOON, text: '' }, /comment is empty/],
      [held, { type: 'acknowledge', by: '', at: NOON }, /agent \(by\) is empty/],
      [held, { type: 'acknowledge', by: 'a', at: Number.NaN }, /time \(at\) is not a number/],
    ];
    for (const [subject, action, reason] of refused) {
      const err = refusal(() => applyAgentAction(subject, action));
      expect(err.code).toBe('OL_ERR_CASE_ACTION_REFUSED');
      expect(err.message).toMatch(reason);
    }
  });
});

describe('agent actions through the engine', () => {
  it('are returned as changes and kept: the rule carries on from the acknowledged case', () => {
    const { engine, feed, held } = atRiskCase();
    const change = engine.act(held.case_id, { type: 'acknowledge', by: 'agent-li', at: NOON });
    expect(change).toMatchObject({ caseId: held.case_id, step: 'acknowledged', version: 2, previous: held });
    expect(engine.get(held.case_id)?.status).toBe('acknowledged');
    const [breach] = engine.apply([watermark(P + 45 * MINUTE)]);
    expect(breach?.case).toMatchObject({ status: 'acknowledged', breached_at: iso(P + 45 * MINUTE), version: 3 });
    const [healed] = engine.apply(feed.add(wms('RELEASED', P + HOUR, { event_id: 'w1' })));
    expect(healed?.case).toMatchObject({ status: 'resolved', resolution: 'self_healed', version: 4 });
  });

  it("an agent's resolution is final: the breach and the release change nothing", () => {
    const { engine, feed, held } = atRiskCase();
    engine.act(held.case_id, { type: 'resolve', by: 'agent-li', at: NOON, note: 'handled by phone' });
    expect(engine.apply([watermark(P + 2 * HOUR)])).toEqual([]);
    expect(engine.apply(feed.add(wms('RELEASED', P + 3 * HOUR, { event_id: 'w1' })))).toEqual([]);
    expect(engine.get(held.case_id)).toMatchObject({ status: 'resolved', resolution: 'by_agent' });
  });

  it('an unknown case is OL_ERR_CASE_NOT_FOUND', () => {
    const { engine } = atRiskCase();
    expect(refusal(() => engine.act('HC-nope', { type: 'acknowledge', by: 'a', at: NOON })).code).toBe('OL_ERR_CASE_NOT_FOUND');
  });
});
