import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createConnectionLimits } from '../../../src/api/ws/connection-limits.js';
import { createMessageRate } from '../../../src/api/ws/message-rate.js';

describe('feed message rate (token bucket)', () => {
  it('takes a burst at once, then refills at the rate, never above the burst', () => {
    let now = 0;
    const rate = createMessageRate({ perSecond: 4, burst: 3, now: () => now });
    expect([rate.take(), rate.take(), rate.take(), rate.take()]).toEqual([true, true, true, false]);
    now += 250;
    expect([rate.take(), rate.take()]).toEqual([true, false]);
    now += 60_000;
    expect([rate.take(), rate.take(), rate.take(), rate.take()]).toEqual([true, true, true, false]);
  });

  it('refills nothing when the clock goes back', () => {
    let now = 10_000;
    const rate = createMessageRate({ perSecond: 1, burst: 1, now: () => now });
    expect(rate.take()).toBe(true);
    now = 0;
    expect(rate.take()).toBe(false);
    now = 10_500;
    expect(rate.take()).toBe(false);
    now = 11_000;
    expect(rate.take()).toBe(true);
  });

  it('property: over any schedule, accepted messages never exceed burst + rate × elapsed time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 300 }), (perSecond, burst, gaps) => {
        let now = 0;
        const rate = createMessageRate({ perSecond, burst, now: () => now });
        let accepted = 0;
        for (const gap of gaps) {
          now += gap;
          if (rate.take()) accepted++;
          expect(accepted).toBeLessThanOrEqual(burst + (now * perSecond) / 1000);
        }
      }),
    );
  });
});

describe('feed connection limits', () => {
  it('refuses past the per-client limit with 429 and past the total with 503; a release frees a slot once', () => {
    const limits = createConnectionLimits({ maxConnections: 3, maxConnectionsPerClient: 2 });
    const a1 = limits.reserve('a');
    const a2 = limits.reserve('a');
    expect(limits.reserve('a')).toMatchObject({ ok: false, status: 429 });
    const b1 = limits.reserve('b');
    expect(limits.reserve('c')).toMatchObject({ ok: false, status: 503 });
    expect([limits.active, limits.of('a'), limits.of('b')]).toEqual([3, 2, 1]);
    if (!a1.ok || !a2.ok || !b1.ok) throw new Error('reservations should have succeeded');
    a1.slot.release();
    a1.slot.release();
    expect([limits.active, limits.of('a')]).toEqual([2, 1]);
    expect(limits.reserve('c').ok).toBe(true);
    a2.slot.release();
    b1.slot.release();
    expect([limits.active, limits.of('a'), limits.of('b'), limits.of('c')]).toEqual([1, 0, 0, 1]);
  });
});
