/**
 * A token bucket: `burst` messages at once, refilled at `perSecond`. The clock is a dependency, so
 * tests move time instead of waiting.
 */
export interface MessageRate {
  /** Takes one token: true when the message may be acted on. */
  take(): boolean;
}

export function createMessageRate(options: { perSecond: number; burst: number; now: () => number }): MessageRate {
  const { perSecond, burst, now } = options;
  let tokens = burst;
  let last = now();
  return {
    take() {
      const at = now();
      // A clock that goes back (a test, an NTP step) refills nothing rather than draining.
      if (at > last) tokens = Math.min(burst, tokens + ((at - last) * perSecond) / 1000);
      last = Math.max(last, at);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
