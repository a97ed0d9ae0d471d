import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LagWindow } from '../../../src/health/lag-window.js';
import type { LagStatistic } from '../../../src/health/index.js';

/** The statistic by definition: sort the last `size` lags, take the nearest rank. */
function naive(lags: readonly number[], size: number, statistic: LagStatistic): number {
  const recent = [...lags.slice(-size)].sort((a, b) => a - b);
  if (recent.length === 0) return 0;
  if (statistic === 'max') return recent.at(-1) as number;
  return recent[Math.ceil((statistic === 'p50' ? 0.5 : 0.9) * recent.length) - 1] as number;
}

describe('the lag window', () => {
  it('gives the nearest-rank percentile and the max of the last N lags after every push', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 100 }), (size, lags) => {
        const window = new LagWindow(size);
        lags.forEach((lag, i) => {
          window.push(lag);
          const seen = lags.slice(0, i + 1);
          expect(window.count).toBe(Math.min(size, seen.length));
          for (const statistic of ['p50', 'p90', 'max'] as const) expect(window.value(statistic)).toBe(naive(seen, size, statistic));
        });
      }),
    );
  });

  it('is 0 while empty', () => {
    expect(new LagWindow(5).value('p90')).toBe(0);
  });
});
