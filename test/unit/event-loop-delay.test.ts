import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startEventLoopDelaySampler, type FoldTimer, type LoopDelaySource } from '../../src/event-loop-delay.js';
import { createMetrics, METRIC_NAMES } from '../../src/metrics.js';

const MS = 1e6;

/**
 * A stand-in for Node's monitor: holds the recorded intervals (ns) and answers `percentile` as the
 * HDR histogram behind `monitorEventLoopDelay` does (the value at rank max(1, round(p/100 · n))).
 */
function fakeSource() {
  let samples: number[] = [];
  const calls: string[] = [];
  const source: LoopDelaySource & { record(...ms: number[]): void; calls: string[] } = {
    calls,
    record(...ms) {
      samples.push(...ms.map((v) => v * MS));
    },
    get count() {
      return samples.length;
    },
    percentile(p) {
      const sorted = [...samples].sort((a, b) => a - b);
      const rank = Math.max(1, Math.trunc((p / 100) * sorted.length + 0.5));
      return sorted[rank - 1]!;
    },
    reset() {
      calls.push('reset');
      samples = [];
    },
    enable() {
      calls.push('enable');
    },
    disable() {
      calls.push('disable');
    },
  };
  return source;
}

/** A fold timer driven by hand: `tick()` runs what an interval would. */
function manualTimer() {
  const state = { ms: 0, fold: null as null | (() => void), cancelled: false };
  const timer: FoldTimer = (ms, fold) => {
    state.ms = ms;
    state.fold = fold;
    return () => {
      state.cancelled = true;
    };
  };
  return { timer, state, tick: () => state.fold?.() };
}

function histogram() {
  return new Histogram({ name: 'loop_delay_test_seconds', help: 'test', buckets: [0.001, 0.005, 0.01, 0.05], registers: [new Registry()] });
}

async function snapshot(h: Histogram) {
  const values = (await h.get()).values;
  const bucket = (le: number | string) => values.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === le)?.value;
  return {
    count: values.find((v) => v.metricName?.endsWith('_count'))?.value,
    sum: values.find((v) => v.metricName?.endsWith('_sum'))?.value,
    buckets: [bucket(0.001), bucket(0.005), bucket(0.01), bucket(0.05), bucket('+Inf')],
  };
}

describe('startEventLoopDelaySampler', () => {
  it('observes every recorded interval less the resolution, in seconds, on each fold', async () => {
    const source = fakeSource();
    const clock = manualTimer();
    const h = histogram();
    const sampler = startEventLoopDelaySampler({ histogram: h, source, resolutionMs: 10, foldEveryMs: 500, timer: clock.timer });
    expect(clock.state.ms).toBe(500);
    expect(source.calls).toEqual(['enable']);

    // An idle loop (10.2, 10.4 ms between 10 ms timers), one 3 ms hiccup and one 45 ms stall.
    source.record(10.2, 10.4, 13, 55, 10.2);
    clock.tick();
    const s = await snapshot(h);
    expect(s.count).toBe(5);
    expect(s.sum).toBeCloseTo((0.2 + 0.4 + 3 + 45 + 0.2) / 1000, 9);
    expect(s.buckets).toEqual([3, 4, 4, 5, 5]);
    expect(source.count).toBe(0);
    sampler.stop();
  });

  it('counts each interval once over several folds, and a fold with nothing recorded adds nothing', async () => {
    const source = fakeSource();
    const clock = manualTimer();
    const h = histogram();
    const sampler = startEventLoopDelaySampler({ histogram: h, source, resolutionMs: 20, timer: clock.timer });
    source.record(20.5, 21);
    clock.tick();
    clock.tick();
    source.record(60);
    expect(sampler.fold()).toBe(1);
    const s = await snapshot(h);
    expect(s.count).toBe(3);
    expect(s.sum).toBeCloseTo((0.5 + 1 + 40) / 1000, 9);
    expect(s.buckets).toEqual([2, 2, 2, 3, 3]);
    sampler.stop();
  });

  it('never observes a negative delay when the timer ran early', async () => {
    const source = fakeSource();
    const clock = manualTimer();
    const h = histogram();
    const sampler = startEventLoopDelaySampler({ histogram: h, source, resolutionMs: 10, timer: clock.timer });
    source.record(9.9);
    sampler.fold();
    expect((await snapshot(h)).sum).toBe(0);
    sampler.stop();
  });

  it('reads what is left and releases the monitor and the timer on stop, once', async () => {
    const source = fakeSource();
    const clock = manualTimer();
    const h = histogram();
    const sampler = startEventLoopDelaySampler({ histogram: h, source, timer: clock.timer });
    source.record(12);
    sampler.stop();
    sampler.stop();
    expect(clock.state.cancelled).toBe(true);
    expect(source.calls).toEqual(['enable', 'reset', 'disable']);
    expect((await snapshot(h)).count).toBe(1);
  });

  it("feeds the declared metric from Node's own monitor when no source is given", async () => {
    const metrics = createMetrics();
    const clock = manualTimer();
    const sampler = startEventLoopDelaySampler({ histogram: metrics.eventLoopDelay, timer: clock.timer });
    sampler.stop();
    const text = await metrics.registry.metrics();
    expect(text).toContain(`# TYPE ${METRIC_NAMES.eventLoopDelay} histogram`);
    expect(text).toContain(`${METRIC_NAMES.eventLoopDelay}_bucket{le="0.01"}`);
  });
});
