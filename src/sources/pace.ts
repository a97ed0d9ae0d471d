import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Paces a loop to `ratePerSec` (0 = unpaced) against the wall clock, so a slow iteration is caught
 * up instead of accumulating drift; sleeps only when ahead by more than a few milliseconds.
 */
export function pace(ratePerSec: number): () => Promise<void> {
  if (ratePerSec <= 0) return async () => {};
  const started = performance.now();
  let sent = 0;
  return async () => {
    sent++;
    const due = started + (sent * 1000) / ratePerSec;
    const ahead = due - performance.now();
    if (ahead > 5) await sleep(ahead);
  };
}
