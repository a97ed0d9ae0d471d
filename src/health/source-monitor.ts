import { LagWindow } from './lag-window.js';
import type { LagStatistic, SourceSystem } from './rule-vocabulary.js';

interface SourceState {
  lastEventTime: number;
  /** One window per window size a lag rule asks for. */
  windows: Map<number, LagWindow>;
  /** Arrivals recorded: numbers the episodes of a lag case. */
  arrivals: number;
}

/**
 * Per source system: the newest event time seen and the lags of its most recent arrivals. Lag is
 * `arrivedAt − eventTime`: how long after it happened an event reached orderlake.
 */
export class SourceMonitor {
  readonly #windowSizes: readonly number[];
  readonly #sources = new Map<SourceSystem, SourceState>();

  /** `windowSizes`: the windows the lag rules measure over (arrivals per source). */
  constructor(windowSizes: readonly number[]) {
    this.#windowSizes = [...new Set(windowSizes)];
  }

  record(source: SourceSystem, eventTime: number, arrivedAt: number): void {
    let state = this.#sources.get(source);
    if (state === undefined) {
      state = { lastEventTime: eventTime, windows: new Map(this.#windowSizes.map((size) => [size, new LagWindow(size)])), arrivals: 0 };
      this.#sources.set(source, state);
    }
    if (eventTime > state.lastEventTime) state.lastEventTime = eventTime;
    const lag = Math.max(0, arrivedAt - eventTime);
    for (const window of state.windows.values()) window.push(lag);
    state.arrivals += 1;
  }

  /** Newest event time of the source; undefined before its first event. */
  lastEventTime(source: SourceSystem): number | undefined {
    return this.#sources.get(source)?.lastEventTime;
  }

  arrivals(source: SourceSystem): number {
    return this.#sources.get(source)?.arrivals ?? 0;
  }

  /** The statistic over the source's last `window` lags (a size given at construction), and how many lags it covered. */
  lag(source: SourceSystem, statistic: LagStatistic, window: number): { value: number; count: number } {
    const lags = this.#sources.get(source)?.windows.get(window);
    return { value: lags?.value(statistic) ?? 0, count: lags?.count ?? 0 };
  }
}
