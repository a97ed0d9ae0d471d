import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints } from '../../../src/golden/index.js';
import { TimerQueue } from '../../../src/health/timer-queue.js';

describe('the timer queue', () => {
  const op = fc.oneof(
    fc.record({ type: fc.constant('set' as const), key: fc.constantFrom('a', 'b', 'c', 'd', '😀', 'ｚ'), at: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ type: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c', 'd', '😀', 'ｚ') }),
    fc.record({ type: fc.constant('fire' as const), upTo: fc.integer({ min: 0, max: 60 }) }),
  );

  it('fires each live deadline once, in (time, key) order, the last one set for a key winning', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const queue = new TimerQueue();
        const model = new Map<string, number>();
        for (const step of ops) {
          if (step.type === 'set') {
            queue.set(step.key, step.at);
            model.set(step.key, step.at);
          } else if (step.type === 'delete') {
            queue.delete(step.key);
            model.delete(step.key);
          } else {
            const fired: Array<[number, string]> = [];
            for (let due = queue.popDue(step.upTo); due !== undefined; due = queue.popDue(step.upTo)) fired.push([due.at, due.key]);
            const expected = [...model].filter(([, at]) => at <= step.upTo).map(([key, at]): [number, string] => [at, key]);
            expected.sort((a, b) => a[0] - b[0] || compareCodePoints(a[1], b[1]));
            expect(fired).toEqual(expected);
            for (const [, key] of expected) model.delete(key);
          }
          expect(queue.size).toBe(model.size);
        }
      }),
    );
  });
});
