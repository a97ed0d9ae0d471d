import type { PlannedEvent } from './planned-event.js';
import type { SourceLag, SourceOutage, SourceSystemName } from './scenario-options.js';

/** How much faster than real time a source works off what piled up while it was down. */
const CATCH_UP_SPEED = 10;

/**
 * When an event of event time `t` arrives under one lag window: on time before `from`; then the
 * delay grows by a minute per minute up to `lagMs`, holds until `until`, and shrinks at half a
 * minute per minute (the backlog drains at twice real time). Never earlier than the event, and
 * non-decreasing in `t`, so the source's events keep their order.
 */
export function laggedArrival(t: number, lag: SourceLag): number {
  if (t < lag.from) return t;
  const delay = Math.min(t - lag.from, lag.lagMs, lag.lagMs - (t - lag.until) / 2);
  return Math.round(t + Math.max(0, delay));
}

/**
 * The event time of an event planned at `t` in a source that is down over the outage: before
 * `from` unchanged; from then on not before `until`, the work of the outage done at CATCH_UP_SPEED
 * times real time. Non-decreasing in `t`.
 */
export function postponedTime(t: number, outage: SourceOutage): number {
  if (t < outage.from) return t;
  return Math.max(t, Math.round(outage.until + (t - outage.from) / CATCH_UP_SPEED));
}

/**
 * The scenario's lagging and silent sources applied to planned events: an outage moves the event
 * (its event time: `occurred_at`, or the CRM commit), a lag moves only the moment it leaves for
 * Kafka. Without windows every event is left as planned.
 */
export class SourceWindows {
  readonly #lags: ReadonlyMap<SourceSystemName, readonly SourceLag[]>;
  readonly #outages: ReadonlyMap<SourceSystemName, readonly SourceOutage[]>;

  constructor(lags: readonly SourceLag[], outages: readonly SourceOutage[]) {
    this.#lags = bySource(lags);
    this.#outages = bySource(outages);
  }

  /** The event as it happens, and when it leaves its source. */
  place(event: PlannedEvent): { event: PlannedEvent; leavesAt: number } {
    const outages = this.#outages.get(event.system);
    const placed = outages === undefined ? event : postpone(event, outages);
    const lags = this.#lags.get(event.system);
    const leavesAt = lags === undefined ? placed.at : Math.max(...lags.map((lag) => laggedArrival(placed.at, lag)));
    return { event: placed, leavesAt };
  }
}

function bySource<T extends { source: SourceSystemName }>(windows: readonly T[]): Map<SourceSystemName, T[]> {
  const map = new Map<SourceSystemName, T[]>();
  for (const window of windows) map.set(window.source, [...(map.get(window.source) ?? []), window]);
  return map;
}

function postpone(event: PlannedEvent, outages: readonly SourceOutage[]): PlannedEvent {
  const at = Math.max(...outages.map((outage) => postponedTime(event.at, outage)));
  if (at === event.at) return event;
  if (event.system === 'crm') return { ...event, at };
  const value = event.line.value === null ? null : { ...event.line.value, occurred_at: at };
  return { ...event, at, line: { ...event.line, value } };
}
