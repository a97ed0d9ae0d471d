/** How event time is read from the inputs. */
export interface EventClockOptions {
  /**
   * Subtracted from the highest source event time seen to give the watermark. Unit: ms. Default 0:
   * a timer fires as soon as any source reports a later event. A positive value waits that long for
   * late events (a lagging WMS whose release would have healed the case) before a breach opens,
   * which makes live and replay agree even when a batch boundary falls differently.
   */
  readonly allowedLatenessMs?: number;
  /**
   * Wall-clock silence of every source after which event time is taken to move with the wall clock
   * (live deployments only: a replay feeds no clock). Unit: ms. Default 60 000: longer than any
   * pause between batches, so a busy stream never runs ahead of its own events.
   */
  readonly idleAfterMs?: number;
}

/**
 * The watermark of event time: the highest source event time seen (minus the allowed lateness),
 * moved on by the wall clock only while every source is idle. Never goes back. Everything here is
 * a function of the inputs in order: the clock reads no time itself.
 */
export class EventClock {
  readonly #lateness: number;
  readonly #idleAfter: number;
  #maxEventTime: number | null = null;
  #lastArrivedAt: number | null = null;
  #watermark: number | null = null;

  constructor(options: EventClockOptions = {}) {
    this.#lateness = options.allowedLatenessMs ?? 0;
    this.#idleAfter = options.idleAfterMs ?? 60_000;
  }

  /** The current watermark (event time, epoch ms); null before any event time was seen. */
  get watermark(): number | null {
    return this.#watermark;
  }

  /** The highest source event time seen; null before any. */
  get maxEventTime(): number | null {
    return this.#maxEventTime;
  }

  /** A source event time was seen (an arrival, or an explicit watermark). */
  observe(eventTime: number): void {
    if (this.#maxEventTime === null || eventTime > this.#maxEventTime) this.#maxEventTime = eventTime;
    this.#raise(this.#maxEventTime - this.#lateness);
  }

  /** A source event arrived at `arrivedAt` (wall clock): the reference point of idleness. */
  arrived(arrivedAt: number): void {
    if (this.#lastArrivedAt === null || arrivedAt > this.#lastArrivedAt) this.#lastArrivedAt = arrivedAt;
  }

  /** The wall clock reads `now`: when every source has been idle long enough, event time moves with it. */
  tick(now: number): void {
    if (this.#maxEventTime === null || this.#lastArrivedAt === null) return;
    const idle = now - this.#lastArrivedAt;
    if (idle >= this.#idleAfter) this.#raise(this.#maxEventTime + idle - this.#lateness);
  }

  #raise(candidate: number): void {
    if (this.#watermark === null || candidate > this.#watermark) this.#watermark = candidate;
  }
}
