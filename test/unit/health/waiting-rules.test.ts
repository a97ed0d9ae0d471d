import { describe, expect, it } from 'vitest';
import { caseIdOf, createHealthEngine, type CaseChange, type HealthEngine, type HealthInput } from '../../../src/health/index.js';
import { crmOrder, DAY, HOUR, iso, MINUTE, T0, tms, wms } from '../../helpers/golden-events.js';
import { OrderFeed, watermark } from './support/order-feed.js';
import { referenceRule } from './support/reference-rules.js';

function engineFor(...names: string[]): HealthEngine {
  return createHealthEngine({ rules: names.map(referenceRule) });
}

/** What each change did, and when (the change's own event time). */
function steps(changes: readonly CaseChange[]): Array<[string, string, string]> {
  return changes.map((change) => [change.case.rule, change.step, change.case.updated_at]);
}

const P = T0 + 2 * MINUTE;
const created = crmOrder();
const paid = crmOrder({ row_version: 2, status: 'PAID', paid_at: P, updated_at: P });

describe('paid-not-released (paid, not released within 45 minutes; 40 for instant retail)', () => {
  const RULE = 'paid-not-released';

  it('warns at 80 % of the threshold, breaches at the threshold, and self-heals when the release arrives', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    expect(engine.apply(feed.add(created, paid))).toEqual([]);
    expect(engine.apply([watermark(P + 36 * MINUTE - 1)])).toEqual([]);

    const [warning] = engine.apply([watermark(P + 36 * MINUTE)]);
    expect(warning?.step).toBe('at_risk');
    expect(warning?.previous).toBeNull();
    expect(warning?.case).toEqual({
      case_id: caseIdOf('order:SO-1', RULE, `paid_at=${iso(P)}`),
      rule: RULE,
      subject: 'order',
      order_id: 'SO-1',
      tracking_no: null,
      source: null,
      description: referenceRule(RULE).description,
      severity: 'critical',
      queue: 'fulfillment-ops',
      playbook: [
        { step: expect.any(String), action: 'check_source_system', link: 'https://wms.example.internal/interface-log?order=SO-1' },
        { step: 'Re-release the order to its warehouse', action: 're_release_to_warehouse', link: 'https://wms.example.internal/orders/SO-1/release' },
        { step: expect.any(String), action: 'contact_customer', link: null },
      ],
      status: 'open',
      at_risk: true,
      channel: 'WEB',
      threshold_ms: 45 * MINUTE,
      since: iso(P),
      due_at: iso(P + 45 * MINUTE),
      opened_at: iso(P + 36 * MINUTE),
      at_risk_at: iso(P + 36 * MINUTE),
      breached_at: null,
      updated_at: iso(P + 36 * MINUTE),
      resolved_at: null,
      resolution: null,
      assignee: null,
      evidence: { status: 'PAID', channel: 'WEB', payment: { status: 'PAID', paid_at: iso(P) }, paid_at: iso(P), released_at: null },
      version: 1,
      history: [{ at: iso(P + 36 * MINUTE), by: 'orderlake', action: 'at_risk', note: null }],
    });

    expect(engine.apply([watermark(P + 45 * MINUTE - 1)])).toEqual([]);
    const [breach] = engine.apply([watermark(P + 45 * MINUTE)]);
    expect(breach?.case).toMatchObject({ status: 'open', at_risk: false, breached_at: iso(P + 45 * MINUTE), version: 2 });

    const [healed] = engine.apply(feed.add(wms('RELEASED', P + 50 * MINUTE, { event_id: 'w1' })));
    expect(healed?.step).toBe('self_healed');
    expect(healed?.case).toMatchObject({
      status: 'resolved',
      resolution: 'self_healed',
      resolved_at: iso(P + 50 * MINUTE),
      evidence: { status: 'RELEASED', released_at: iso(P + 50 * MINUTE) },
      version: 3,
    });
    expect(healed?.case.history.map((step) => step.action)).toEqual(['at_risk', 'breached', 'self_healed']);
    expect(engine.apply([watermark(P + DAY)])).toEqual([]);
  });

  it('opens nothing for an order released within the threshold', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    const inputs: HealthInput[] = [...feed.add(created, paid), watermark(P + 20 * MINUTE), ...feed.add(wms('RELEASED', P + 20 * MINUTE, { event_id: 'w1' })), watermark(P + 10 * HOUR)];
    expect(engine.apply(inputs)).toEqual([]);
  });

  it('self-heals when the order is cancelled instead of released', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply([...feed.add(created, paid), watermark(P + 40 * MINUTE)]);
    const cancelled = crmOrder({ row_version: 3, status: 'CANCELLED', paid_at: P, updated_at: P + 41 * MINUTE });
    const changes = engine.apply(feed.add(cancelled));
    expect(steps(changes)).toEqual([[RULE, 'self_healed', iso(P + 41 * MINUTE)]]);
    expect(changes[0]?.case.evidence['status']).toBe('CANCELLED');
    expect(changes[0]?.case.breached_at).toBeNull();
  });

  it('tells a release seen late in full, as the live run told it: the same final case', () => {
    const live = engineFor(RULE);
    const liveFeed = new OrderFeed();
    live.apply(liveFeed.add(created, paid));
    live.apply([watermark(P + 36 * MINUTE)]);
    live.apply([watermark(P + 45 * MINUTE)]);
    const liveChanges = live.apply(liveFeed.add(wms('RELEASED', P + 50 * MINUTE, { event_id: 'w1' })));

    // A replay whose batch holds payment and release together sees one view: the wait is exact.
    const replay = engineFor(RULE);
    const replayChanges = replay.apply(new OrderFeed().add(created, paid, wms('RELEASED', P + 50 * MINUTE, { event_id: 'w1' })));
    expect(steps(replayChanges)).toEqual([
      [RULE, 'at_risk', iso(P + 36 * MINUTE)],
      [RULE, 'breached', iso(P + 45 * MINUTE)],
      [RULE, 'self_healed', iso(P + 50 * MINUTE)],
    ]);
    expect(replayChanges.at(-1)?.case).toEqual(liveChanges.at(-1)?.case);
  });

  it('a release that happened in time but arrived after the breach resolves the case at its breach, never before', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply([...feed.add(created, paid), watermark(P + 50 * MINUTE)]);
    const [healed] = engine.apply(feed.add(wms('RELEASED', P + 20 * MINUTE, { event_id: 'w1' })));
    expect(healed?.case).toMatchObject({ status: 'resolved', resolution: 'self_healed', breached_at: iso(P + 45 * MINUTE), resolved_at: iso(P + 45 * MINUTE) });
  });

  it('uses the channel override: an instant-retail order breaches at 40 minutes, warned at 32', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(crmOrder({ channel: 'MEITUAN' }), crmOrder({ channel: 'MEITUAN', row_version: 2, status: 'PAID', paid_at: P, updated_at: P })));
    const changes = engine.apply([watermark(P + 45 * MINUTE)]);
    expect(steps(changes)).toEqual([
      [RULE, 'at_risk', iso(P + 32 * MINUTE)],
      [RULE, 'breached', iso(P + 40 * MINUTE)],
    ]);
    expect(changes[1]?.case).toMatchObject({ channel: 'MEITUAN', threshold_ms: 40 * MINUTE, due_at: iso(P + 40 * MINUTE) });
  });
});

describe('released-not-shipped (released, not shipped within 8 hours)', () => {
  const RULE = 'released-not-shipped';
  const R = P + 20 * MINUTE;
  const released = wms('RELEASED', R, { event_id: 'w1' });

  it('warns at 6 h, breaches at 8 h and self-heals when the warehouse ships', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(created, paid, released));
    expect(engine.apply([watermark(R + 6 * HOUR - 1)])).toEqual([]);
    expect(steps(engine.apply([watermark(R + 6 * HOUR)]))).toEqual([[RULE, 'at_risk', iso(R + 6 * HOUR)]]);
    expect(steps(engine.apply([watermark(R + 8 * HOUR)]))).toEqual([[RULE, 'breached', iso(R + 8 * HOUR)]]);
    const shipped = wms('SHIPPED', R + 9 * HOUR, { event_id: 'w2', tracking_no: 'SF1', carrier: 'SF' });
    const [healed] = engine.apply(feed.add(shipped));
    expect(healed?.case).toMatchObject({ status: 'resolved', resolution: 'self_healed', resolved_at: iso(R + 9 * HOUR), evidence: { shipped_at: iso(R + 9 * HOUR) } });
  });

  it('opens nothing for an order shipped within the threshold', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    const shipped = wms('SHIPPED', R + 3 * HOUR, { event_id: 'w2', tracking_no: 'SF1', carrier: 'SF' });
    expect(engine.apply([...feed.add(created, paid, released), watermark(R + 3 * HOUR), ...feed.add(shipped), watermark(R + 2 * DAY)])).toEqual([]);
  });

  it('self-heals when the warehouse cancels the fulfillment', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply([...feed.add(created, paid, released), watermark(R + 7 * HOUR)]);
    const changes = engine.apply(feed.add(wms('CANCELLED', R + 7 * HOUR + MINUTE, { event_id: 'w2' })));
    expect(steps(changes)).toEqual([[RULE, 'self_healed', iso(R + 7 * HOUR + MINUTE)]]);
    expect(changes[0]?.case.evidence['status']).toBe('FULFILLMENT_CANCELLED');
  });
});

describe('shipped-no-carrier-scan (shipped, no carrier scan within 6 hours)', () => {
  const RULE = 'shipped-no-carrier-scan';
  const S = P + 3 * HOUR;
  const released = wms('RELEASED', P + 20 * MINUTE, { event_id: 'w1' });
  const label = tms('LABEL_CREATED', S - 30 * MINUTE, { event_id: 't1' });
  const shipped = wms('SHIPPED', S, { event_id: 'w2', tracking_no: 'SF1', carrier: 'SF' });

  it('a label is no scan: warns at 4.5 h, breaches at 6 h, self-heals at the first scan', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(created, paid, released, label, shipped));
    expect(steps(engine.apply([watermark(S + 6 * HOUR)]))).toEqual([
      [RULE, 'at_risk', iso(S + 4.5 * HOUR)],
      [RULE, 'breached', iso(S + 6 * HOUR)],
    ]);
    const [healed] = engine.apply(feed.add(tms('PICKED_UP', S + 7 * HOUR, { event_id: 't2' })));
    expect(healed?.case).toMatchObject({ status: 'resolved', resolution: 'self_healed', resolved_at: iso(S + 7 * HOUR) });
    expect(healed?.case.evidence['shipments']).toEqual([expect.objectContaining({ tracking_no: 'SF1', status: 'PICKED_UP' })]);
  });

  it('opens nothing when the carrier scans in time, or scanned before the warehouse reported shipping', () => {
    const inTime = engineFor(RULE);
    const feed = new OrderFeed();
    expect(inTime.apply([...feed.add(created, paid, released, label, shipped), ...feed.add(tms('PICKED_UP', S + HOUR, { event_id: 't2' })), watermark(S + DAY)])).toEqual([]);

    const early = engineFor(RULE);
    const earlyFeed = new OrderFeed();
    const scanned = tms('PICKED_UP', S - 5 * MINUTE, { event_id: 't2' });
    expect(early.apply([...earlyFeed.add(created, paid, released, label, scanned, shipped), watermark(S + DAY)])).toEqual([]);
  });
});

describe('promised-delivery-passed (the promise passed without delivery)', () => {
  const RULE = 'promised-delivery-passed';
  const promise = T0 + 3 * DAY;
  const journey = [
    created,
    paid,
    wms('RELEASED', P + 20 * MINUTE, { event_id: 'w1' }),
    wms('SHIPPED', P + 3 * HOUR, { event_id: 'w2', tracking_no: 'SF1', carrier: 'SF' }),
    tms('IN_TRANSIT', P + 5 * HOUR, { event_id: 't1' }),
  ];

  it('breaches the moment the promise passes (threshold 0: no at-risk stage) and heals at delivery', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(...journey));
    expect(engine.apply([watermark(promise - 1)])).toEqual([]);
    const [breach] = engine.apply([watermark(promise)]);
    expect(breach?.case).toMatchObject({ at_risk: false, at_risk_at: null, opened_at: iso(promise), breached_at: iso(promise), due_at: iso(promise) });
    const [healed] = engine.apply(feed.add(tms('DELIVERED', promise + 2 * HOUR, { event_id: 't2' })));
    expect(healed?.case).toMatchObject({ status: 'resolved', resolution: 'self_healed', resolved_at: iso(promise + 2 * HOUR) });
  });

  it('opens nothing for an order delivered before the promise, or one never paid', () => {
    const engine = engineFor(RULE);
    const delivered = new OrderFeed();
    expect(engine.apply([...delivered.add(...journey, tms('DELIVERED', promise - HOUR, { event_id: 't2' })), watermark(promise + 5 * DAY)])).toEqual([]);
    const unpaid = new OrderFeed('SO-2');
    expect(engine.apply([...unpaid.add(crmOrder({ order_id: 'SO-2' })), watermark(promise + 10 * DAY)])).toEqual([]);
  });
});
