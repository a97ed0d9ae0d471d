import type { Logger } from 'pino';
import { OrderlakeError } from '../errors.js';

/**
 * Exit status of a stop that ended with work left undone: the orderly shutdown did not finish
 * within ORDERLAKE_SHUTDOWN_TIMEOUT_MS, or its last flush failed. 75 is EX_TEMPFAIL in sysexits.h
 * ("try again later"): what was left was not committed, so the next worker reads it again. Distinct
 * from 0 (everything stored and committed), 1 (start-up failed) and 130/143 (a second signal).
 */
export const SHUTDOWN_INCOMPLETE_EXIT_CODE = 75;

/** What an unfinished stop leaves behind, as logged. */
export interface ShutdownLeft {
  /** Rows buffered for ClickHouse (or in an insert that has not finished), both lanes of the sink. */
  bufferedRows: number;
  /** Batches handed off and not acknowledged (so not committed), by stage. */
  unacknowledgedBatches: Record<string, number>;
}

/** Runs `fn` after `ms`; the returned function cancels it. Tests hand in their own clock. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  // Unref'd: an orderly stop that finishes in time must not be held up by its own deadline.
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/** The error line of an unfinished stop: what was left, and that none of it was committed. */
export function describeLeft(left: ShutdownLeft): string {
  const batches = Object.entries(left.unacknowledgedBatches).filter(([, n]) => n > 0);
  const total = batches.reduce((n, [, b]) => n + b, 0);
  const byStage = batches.length === 0 ? '' : ` (${batches.map(([stage, n]) => `${stage} ${n}`).join(', ')})`;
  return `${left.bufferedRows} rows not stored in ClickHouse, ${total} batches unacknowledged${byStage}; none of it was committed: it is read again after a restart`;
}

/**
 * The deadline of an orderly stop. `arm` (at the first signal) starts it; `cancel` (the stop
 * finished) ends it. When it passes first, what is left (`left`, set by the runner once it has a
 * runtime) is logged at error as `OL_ERR_SHUTDOWN_INCOMPLETE`, and `exit` is called with
 * {@link SHUTDOWN_INCOMPLETE_EXIT_CODE}. Nothing is committed by exiting: commits only ever follow
 * acknowledgements, so whatever the stop had not finished is re-delivered.
 */
export function shutdownDeadline(deps: {
  logger: Logger;
  timeoutMs: number;
  exit: (code: number) => void;
  schedule?: Schedule;
}): {
  arm(): void;
  cancel(): void;
  /** Tells the deadline how to find out what is left (the runtime's sink and consumers). */
  setLeft(left: () => Promise<ShutdownLeft> | ShutdownLeft): void;
} {
  const schedule = deps.schedule ?? realSchedule;
  let left: () => Promise<ShutdownLeft> | ShutdownLeft = () => ({ bufferedRows: 0, unacknowledgedBatches: {} });
  let cancelTimer: (() => void) | null = null;
  let done = false;

  async function expire(): Promise<void> {
    if (done) return;
    done = true;
    let what: ShutdownLeft | null = null;
    try {
      what = await left();
    } catch (err) {
      deps.logger.warn({ err }, 'could not tell what the stop left behind');
    }
    if (done && cancelTimer === null) return; // cancelled while asking
    const message = `the orderly shutdown did not finish within ${deps.timeoutMs} ms (ORDERLAKE_SHUTDOWN_TIMEOUT_MS): ${what ? describeLeft(what) : 'what is left is unknown'}; exiting with ${SHUTDOWN_INCOMPLETE_EXIT_CODE}`;
    const err = new OrderlakeError('OL_ERR_SHUTDOWN_INCOMPLETE', message, { context: { timeoutMs: deps.timeoutMs } });
    deps.logger.error({ code: err.code, timeoutMs: deps.timeoutMs, ...(what ?? {}) }, message);
    deps.exit(SHUTDOWN_INCOMPLETE_EXIT_CODE);
  }

  return {
    arm() {
      if (done || cancelTimer !== null) return;
      cancelTimer = schedule(() => void expire(), deps.timeoutMs);
    },
    cancel() {
      const cancel = cancelTimer;
      cancelTimer = null;
      done = true;
      cancel?.();
    },
    setLeft(fn) {
      left = fn;
    },
  };
}
