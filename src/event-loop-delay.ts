import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Histogram } from 'prom-client';

/**
 * What the sampler reads its samples from: Node's `monitorEventLoopDelay` histogram in production,
 * a list of samples in tests. Values are in nanoseconds and are what that histogram records: the
 * time between two runs of a timer due every `resolutionMs`, i.e. the resolution plus the delay.
 */
export interface LoopDelaySource {
  /** Samples recorded since the last `reset()`. */
  readonly count: number;
  /** The smallest recorded value with at least `p`% of the samples at or below it (0 < p ≤ 100). */
  percentile(p: number): number;
  reset(): void;
  enable(): unknown;
  disable(): unknown;
}

/** Repeats `fold` every `ms`: an unref'd `setInterval` in production, hand-driven in tests. */
export type FoldTimer = (ms: number, fold: () => void) => () => void;

const unrefInterval: FoldTimer = (ms, fold) => {
  const timer = setInterval(fold, ms);
  timer.unref();
  return () => clearInterval(timer);
};

export interface LoopDelaySamplerOptions {
  /** `orderlake_event_loop_delay_seconds`: each sample is observed once, in seconds. */
  histogram: Pick<Histogram, 'observe'>;
  /**
   * How often the loop is probed, ms. Default 10: fine enough to see a 10 ms stall (the issue's
   * target for p99), coarse enough to cost nothing measurable (a native timer, no JavaScript).
   */
  resolutionMs?: number;
  /**
   * How often the samples move into the histogram, ms. Default 1000: a scrape is at most a second
   * behind, and one move handles at most `foldEveryMs / resolutionMs` samples (100), so it never
   * stalls the loop it measures.
   */
  foldEveryMs?: number;
  /** Default: `monitorEventLoopDelay({ resolution: resolutionMs })`. */
  source?: LoopDelaySource;
  timer?: FoldTimer;
}

export interface LoopDelaySampler {
  /** Moves the samples recorded so far into the histogram; returns how many. */
  fold(): number;
  /** Stops probing (after a last fold). Safe to call twice. */
  stop(): void;
}

/**
 * Feeds `orderlake_event_loop_delay_seconds` from Node's event-loop delay monitor.
 *
 * Why a Prometheus histogram rather than p50/p99 gauges (what prom-client's `nodejs_eventloop_lag_*`
 * do): gauges of percentiles over "the time since the last scrape" cannot be summed over workers or
 * re-windowed, and two scrapers reset each other's window; a histogram's buckets add up across
 * workers and any window can be chosen at query time
 * (`histogram_quantile(0.99, sum by (le) (rate(orderlake_event_loop_delay_seconds_bucket[5m])))`).
 *
 * The monitor keeps an HDR histogram (3 significant digits), not the samples; every fold reads the
 * samples back in order — the k-th smallest of n is `percentile(100·k/n)` — observes each one
 * less the resolution (what the monitor records is the whole interval, so an idle loop reads
 * `resolutionMs`, not 0), and resets the monitor. A stall is one sample, as long as the stall.
 */
export function startEventLoopDelaySampler(options: LoopDelaySamplerOptions): LoopDelaySampler {
  const resolutionMs = options.resolutionMs ?? 10;
  const source = options.source ?? monitorEventLoopDelay({ resolution: resolutionMs });
  const { histogram } = options;
  source.enable();
  const fold = (): number => {
    const n = source.count;
    for (let k = 1; k <= n; k++) {
      const intervalMs = source.percentile((100 * k) / n) / 1e6;
      histogram.observe(Math.max(0, intervalMs - resolutionMs) / 1000);
    }
    source.reset();
    return n;
  };
  const cancel = (options.timer ?? unrefInterval)(options.foldEveryMs ?? 1000, fold);
  let stopped = false;
  return {
    fold,
    stop() {
      if (stopped) return;
      stopped = true;
      cancel();
      fold();
      source.disable();
    },
  };
}
