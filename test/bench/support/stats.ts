/** Latency figures as the tables report them, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  const sum = list.reduce((s, v) => s + v, 0);
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    count: list.length,
    p50: r(percentile(list, 50)),
    p95: r(percentile(list, 95)),
    p99: r(percentile(list, 99)),
    max: r(list.at(-1) ?? Number.NaN),
    mean: r(list.length ? sum / list.length : Number.NaN),
  };
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/**
 * Runs contenders in interleaved rounds (A B, A B, ...) and returns each one's samples, so that
 * drift on a shared machine (other processes, GC of earlier rounds) hits all of them alike.
 */
export async function interleaved(rounds: number, runs: ReadonlyArray<() => unknown>): Promise<number[][]> {
  const samples = runs.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, run] of runs.entries()) {
      const started = performance.now();
      await run();
      samples[index]!.push(performance.now() - started);
    }
  }
  return samples;
}

/** Wall-clock epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** This process's event-loop delay while `run` runs, ms: a busy client inflates what it measures. */
export async function withLoopDelay<T>(run: () => Promise<T>): Promise<{ result: T; loopDelay: { p50: number; p99: number; max: number } }> {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const result = await run();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    return { result, loopDelay: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) } };
  } finally {
    h.disable();
  }
}
