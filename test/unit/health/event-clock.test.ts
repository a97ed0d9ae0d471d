import { describe, expect, it } from 'vitest';
import { EventClock } from '../../../src/health/event-clock.js';

describe('the event clock', () => {
  it('is the highest event time seen minus the allowed lateness, and never goes back', () => {
    const clock = new EventClock({ allowedLatenessMs: 100 });
    expect(clock.watermark).toBeNull();
    clock.observe(1000);
    clock.observe(500);
    expect(clock.watermark).toBe(900);
    clock.observe(1200);
    expect([clock.watermark, clock.maxEventTime]).toEqual([1100, 1200]);
  });

  it('moves with the wall clock only after every source has been idle for idleAfterMs', () => {
    const clock = new EventClock({ idleAfterMs: 60_000 });
    clock.tick(10_000_000);
    expect(clock.watermark).toBeNull();
    clock.observe(1_000_000);
    clock.arrived(5_000_000);
    clock.tick(5_059_999);
    expect(clock.watermark).toBe(1_000_000);
    clock.tick(5_060_000);
    expect(clock.watermark).toBe(1_060_000);
    // A late tick never takes it back.
    clock.tick(5_000_000);
    expect(clock.watermark).toBe(1_060_000);
  });
});
