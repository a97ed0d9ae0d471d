import { describe, expect, it } from 'vitest';
import { caseIdOf, createHealthEngine, type HealthEngine, type HealthInput } from '../../../src/health/index.js';
import { HOUR, iso, MINUTE, T0 } from '../../helpers/golden-events.js';
import { watermark } from './support/order-feed.js';
import { referenceRule } from './support/reference-rules.js';

const RULE = 'unlinked-shipment';

function engine(): HealthEngine {
  return createHealthEngine({ rules: [referenceRule(RULE)] });
}

const waiting = (trackingNo: string, eventTime: number): HealthInput => ({ type: 'shipment_waiting', trackingNo, eventTime });
const linked = (trackingNo: string, orderId: string, linkedAt: number | null): HealthInput => ({ type: 'shipment_linked', trackingNo, orderId, linkedAt });

describe('unlinked-shipment (a tracking number that matched no order within 12 hours)', () => {
  it('is keyed by tracking number: warns at 9 h, breaches at 12 h, self-heals when the link arrives, naming the order', () => {
    const health = engine();
    expect(health.apply([waiting('SF9', T0), waiting('SF9', T0 + 10 * MINUTE)])).toEqual([]);
    const changes = health.apply([watermark(T0 + 12 * HOUR)]);
    expect(changes.map((change) => [change.step, change.case.updated_at])).toEqual([
      ['at_risk', iso(T0 + 9 * HOUR)],
      ['breached', iso(T0 + 12 * HOUR)],
    ]);
    expect(changes[1]?.case).toMatchObject({
      case_id: caseIdOf('shipment:SF9', RULE, `unlinked@${iso(T0)}`),
      subject: 'shipment',
      tracking_no: 'SF9',
      order_id: null,
      source: null,
      channel: null,
      evidence: { tracking_no: 'SF9', waiting_since: iso(T0), waiting_events: 2 },
    });
    expect(changes[1]?.case.playbook.map((step) => step.link)).toEqual([
      'https://wms.example.internal/shipments?tracking=SF9',
      'https://carrier.example.internal/track/SF9',
    ]);
    const [healed] = health.apply([linked('SF9', 'SO-7', T0 + 13 * HOUR)]);
    expect(healed?.case).toMatchObject({ status: 'resolved', resolution: 'self_healed', resolved_at: iso(T0 + 13 * HOUR), evidence: { order_id: 'SO-7' } });
    expect(health.stats()).toMatchObject({ cases: 1, open: 0, waitingShipments: 0, timers: 0 });
  });

  it('holds settled shipment cases for a while (the sink has them), then lets them go', () => {
    const health = createHealthEngine({ rules: [referenceRule(RULE)], retainSettled: 1 });
    const [first] = health.apply([waiting('SF1', T0), linked('SF1', 'SO-1', T0 + 13 * HOUR)]);
    health.apply([waiting('SF2', T0), linked('SF2', 'SO-2', T0 + 13 * HOUR)]);
    expect(health.get(first!.caseId)).toBeUndefined();
    expect(health.cases().map((held) => [held.tracking_no, held.status])).toEqual([['SF2', 'resolved']]);
  });

  it('a tracking number reported waiting again at the same time after its link reopens its case', () => {
    const health = engine();
    health.apply([waiting('SF9', T0), linked('SF9', 'SO-7', T0 + 13 * HOUR)]);
    const again = health.apply([waiting('SF9', T0), watermark(T0 + 13 * HOUR)]);
    expect(again.map((change) => [change.step, change.version])).toEqual([
      ['reopened', 4],
      ['breached', 5],
    ]);
  });

  it('opens nothing for a shipment linked within the threshold', () => {
    const health = engine();
    expect(health.apply([waiting('SF9', T0), watermark(T0 + HOUR), linked('SF9', 'SO-7', T0 + HOUR), watermark(T0 + 48 * HOUR)])).toEqual([]);
  });

  it('a link that took longer than the threshold is told in full even before the watermark got there', () => {
    const health = engine();
    const changes = health.apply([waiting('SF9', T0), linked('SF9', 'SO-7', T0 + 13 * HOUR)]);
    expect(changes.map((change) => change.step)).toEqual(['at_risk', 'breached', 'self_healed']);
  });

  it('a tracking number that waits again after its link is a new case', () => {
    const health = engine();
    const first = health.apply([waiting('SF9', T0), linked('SF9', 'SO-7', T0 + 13 * HOUR)]);
    const second = health.apply([waiting('SF9', T0 + 30 * HOUR), watermark(T0 + 43 * HOUR)]);
    expect(second.map((change) => [change.step, change.version])).toEqual([
      ['at_risk', 1],
      ['breached', 2],
    ]);
    expect(second[0]?.caseId).not.toBe(first[0]?.caseId);
  });

  it('an older waiting event moves the deadlines while no case is open yet', () => {
    const health = engine();
    health.apply([waiting('SF9', T0 + 2 * HOUR), watermark(T0 + 10 * HOUR)]);
    const changes = health.apply([waiting('SF9', T0)]);
    expect(changes.map((change) => [change.step, change.case.since, change.case.at_risk_at, change.case.due_at])).toEqual([
      ['at_risk', iso(T0), iso(T0 + 9 * HOUR), iso(T0 + 12 * HOUR)],
    ]);
    expect(changes[0]?.case.case_id).toBe(caseIdOf('shipment:SF9', RULE, `unlinked@${iso(T0)}`));
  });

  it('a restarted worker that reports the waits again carries the stored case on', () => {
    const before = engine();
    before.apply([waiting('SF9', T0), waiting('SF9', T0 + HOUR), watermark(T0 + 10 * HOUR)]);
    const stored = before.cases();
    expect(stored.map((held) => [held.status, held.at_risk])).toEqual([['open', true]]);
    const after = engine();
    after.restore(stored);
    // The rebuilt linker reports its waiting events in any order.
    expect(after.apply([waiting('SF9', T0 + HOUR), waiting('SF9', T0)])).toEqual([]);
    const changes = after.apply([watermark(T0 + 12 * HOUR)]);
    expect(changes.map((change) => [change.caseId, change.step, change.version])).toEqual([[stored[0]?.case_id, 'breached', 2]]);
  });

  it('a link of unknown time heals at the watermark', () => {
    const health = engine();
    health.apply([waiting('SF9', T0), watermark(T0 + 10 * HOUR)]);
    const [healed] = health.apply([linked('SF9', 'SO-7', null)]);
    expect(healed?.case).toMatchObject({ status: 'resolved', resolved_at: iso(T0 + 10 * HOUR) });
  });
});
