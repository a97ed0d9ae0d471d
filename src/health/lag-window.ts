import type { LagStatistic } from './rule-vocabulary.js';

/** Index of the first element of `sorted` not below `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The last `size` lags of one source, kept both in arrival order (to drop the oldest) and sorted (so
 * a percentile is an index, not a sort per arrival). Nearest-rank percentiles: always a lag that
 * was seen.
 */
export class LagWindow {
  readonly #size: number;
  readonly #arrived: number[] = [];
  readonly #sorted: number[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  get count(): number {
    return this.#arrived.length;
  }

  push(lag: number): void {
    this.#arrived.push(lag);
    this.#sorted.splice(lowerBound(this.#sorted, lag), 0, lag);
    if (this.#arrived.length > this.#size) {
      const oldest = this.#arrived.shift() as number;
      this.#sorted.splice(lowerBound(this.#sorted, oldest), 1);
    }
  }

  /** The statistic over the window; 0 while it is empty. */
  value(statistic: LagStatistic): number {
    const sorted = this.#sorted;
    if (sorted.length === 0) return 0;
    if (statistic === 'max') return sorted[sorted.length - 1] as number;
    const rank = Math.ceil((statistic === 'p50' ? 0.5 : 0.9) * sorted.length);
    return sorted[Math.max(0, rank - 1)] as number;
  }
}
