/**
 * Peak resident set size of this process. A timer alone misses peaks while the event loop is busy
 * with synchronous work, so callers also call `sample()` between batches.
 */
export interface RssSampler {
  sample(): void;
  /** Stops the timer and returns the peak seen, in bytes. */
  stop(): number;
  readonly peak: number;
}

export function startRssSampler(intervalMs = 50): RssSampler {
  let peak = process.memoryUsage.rss();
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
    get peak() {
      return peak;
    },
  };
}

export function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
