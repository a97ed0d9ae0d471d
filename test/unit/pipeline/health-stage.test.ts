import { describe, expect, it } from 'vitest';
import { createCaseFeed } from '../../../src/feed/index.js';
import { createHealthEngine, type CaseChange } from '../../../src/health/index.js';
import { createHealthStage } from '../../../src/pipeline/health-stage.js';
import type { CaseRow } from '../../../src/sinks/index.js';
import { crmOrder, DAY, HOUR, MINUTE, T0 } from '../../helpers/golden-events.js';
import { OrderFeed } from '../health/support/order-feed.js';
import { referenceRule } from '../health/support/reference-rules.js';

/**
 * The health stage's clock: event time moves with the wall clock only from when the newest
 * arrival was processed, so a worker working off a backlog of old Kafka times is never "idle".
 */
describe('health stage clock', () => {
  function setup() {
    let wall = T0 + 10 * DAY;
    const rows: CaseRow[] = [];
    const pushed: CaseChange[] = [];
    const feed = createCaseFeed();
    feed.subscribe((changes) => pushed.push(...changes));
    const stage = createHealthStage({
      engine: createHealthEngine({ rules: [referenceRule('paid-not-released')], allowedLatenessMs: 0 }),
      sink: { writeCases: (r) => rows.push(...r) },
      feed,
      now: () => wall,
    });
    return { stage, rows, pushed, setWall: (at: number) => (wall = at) };
  }

  const paidAt = T0 + HOUR;
  function paidOrder(feed: OrderFeed) {
    return feed.add(crmOrder(), crmOrder({ row_version: 2, status: 'PAID', paid_at: paidAt, updated_at: paidAt }));
  }

  it('does not jump event time for a backlog of old arrivals being worked off', () => {
    const { stage, rows, setWall } = setup();
    const feed = new OrderFeed();
    const views = paidOrder(feed).map((v) => ({ orderId: v.orderId, view: v.view as never, version: v.version, previous: null, changedFields: [] }));
    // Processed ten days after they arrived (a backlog): one second later, nothing is due.
    stage.observe({ changes: views, arrivals: [{ source: 'crm', eventTime: paidAt, arrivedAt: paidAt }] });
    setWall(T0 + 10 * DAY + 1000);
    expect(stage.tick()).toEqual([]);
    expect(rows).toEqual([]);
  });

  it('moves event time with the wall clock once every source has been idle, from when the last arrival was processed', () => {
    const { stage, rows, pushed, setWall } = setup();
    const feed = new OrderFeed();
    const views = paidOrder(feed).map((v) => ({ orderId: v.orderId, view: v.view as never, version: v.version, previous: null, changedFields: [] }));
    stage.observe({ changes: views, arrivals: [{ source: 'crm', eventTime: paidAt, arrivedAt: paidAt }] });
    setWall(T0 + 10 * DAY + 2 * HOUR);
    const changes = stage.tick();
    // At risk at 80 % of the 45 min, then breached at the threshold, in event time.
    expect(changes.map((c) => [c.case.rule, c.step])).toEqual([
      ['paid-not-released', 'at_risk'],
      ['paid-not-released', 'breached'],
    ]);
    expect(changes[1]!.case.breached_at).toBe(new Date(paidAt + 45 * MINUTE).toISOString());
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(pushed).toEqual(changes);
  });

  it('reads no clock before any arrival', () => {
    const { stage } = setup();
    expect(stage.tick()).toEqual([]);
  });
});
