import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SHUTDOWN_INCOMPLETE_EXIT_CODE, describeLeft, shutdownDeadline, type Schedule } from '../../../src/runtime/shutdown-deadline.js';

/** A clock the test moves: scheduled callbacks run when `advance` passes their time. */
function manualClock() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const schedule: Schedule = (fn, ms) => {
    const timer = { at: now + ms, fn, cancelled: false };
    timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  return {
    schedule,
    async advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => !x.cancelled && x.at <= now)) {
        t.cancelled = true;
        t.fn();
      }
      // Let the expiry's own awaits (asking what is left) finish.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('shutdownDeadline', () => {
  it('exits with 75 once the deadline passes, logging at error what was left', async () => {
    const clock = manualClock();
    const { logger, lines } = capture();
    const exits: number[] = [];
    const deadline = shutdownDeadline({ logger, timeoutMs: 5000, exit: (code) => void exits.push(code), schedule: clock.schedule });
    deadline.setLeft(async () => ({ bufferedRows: 1234, unacknowledgedBatches: { merge: 3, ingest: 0 } }));
    deadline.arm();
    await clock.advance(4999);
    expect(exits).toEqual([]);
    await clock.advance(1);
    expect(exits).toEqual([SHUTDOWN_INCOMPLETE_EXIT_CODE]);
    expect(SHUTDOWN_INCOMPLETE_EXIT_CODE).toBe(75);
    const error = lines.find((l) => l.level === 50)!;
    expect(error).toMatchObject({ code: 'OL_ERR_SHUTDOWN_INCOMPLETE', bufferedRows: 1234, unacknowledgedBatches: { merge: 3, ingest: 0 }, timeoutMs: 5000 });
    expect(error.msg).toContain('1234 rows not stored in ClickHouse, 3 batches unacknowledged (merge 3)');
  });

  it('does nothing when the stop finishes first, or when it was never armed', async () => {
    const clock = manualClock();
    const { logger, lines } = capture();
    const exits: number[] = [];
    const deadline = shutdownDeadline({ logger, timeoutMs: 100, exit: (code) => void exits.push(code), schedule: clock.schedule });
    await clock.advance(1000);
    deadline.arm();
    deadline.cancel();
    await clock.advance(1000);
    expect(exits).toEqual([]);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('still exits when what is left cannot be found out', async () => {
    const clock = manualClock();
    const { logger } = capture();
    const exits: number[] = [];
    const deadline = shutdownDeadline({ logger, timeoutMs: 10, exit: (code) => void exits.push(code), schedule: clock.schedule });
    deadline.setLeft(() => Promise.reject(new Error('metrics gone')));
    deadline.arm();
    await clock.advance(10);
    expect(exits).toEqual([75]);
  });

  it('describes an empty remainder plainly', () => {
    expect(describeLeft({ bufferedRows: 0, unacknowledgedBatches: {} })).toBe('0 rows not stored in ClickHouse, 0 batches unacknowledged; none of it was committed: it is read again after a restart');
  });
});
