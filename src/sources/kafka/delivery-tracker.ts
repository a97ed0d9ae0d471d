/**
 * Follows the delivery reports of one `sendBatch`: librdkafka acknowledges records one by one and
 * asynchronously, and the batch is done only when every one of them is. The first failure settles
 * the batch as failed; reports that arrive after it changes nothing.
 */
export interface DeliveryTracker {
  /** Resolves when `expected` records were acknowledged; rejects with the first failure. */
  readonly done: Promise<void>;
  /** A delivery report: `error` is null/undefined for a success. */
  report(error?: unknown): void;
  /** Fails the batch before all its records were handed over (a record refused at enqueue). */
  fail(error: unknown): void;
  /** Records acknowledged so far. */
  readonly acknowledged: number;
}

export function createDeliveryTracker(expected: number): DeliveryTracker {
  let settled = false;
  let acknowledged = 0;
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failure may come before anyone awaits `done`; the awaiting caller still sees it.
  done.catch(() => undefined);
  const fail = (error: unknown) => {
    if (settled) return;
    settled = true;
    reject(error);
  };
  if (expected === 0) {
    settled = true;
    resolve();
  }
  return {
    done,
    report(error) {
      if (settled) return;
      if (error !== null && error !== undefined) return fail(error);
      acknowledged++;
      if (acknowledged === expected) {
        settled = true;
        resolve();
      }
    },
    fail,
    get acknowledged() {
      return acknowledged;
    },
  };
}
