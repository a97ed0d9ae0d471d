import { setTimeout as delay } from 'node:timers/promises';
import { isOrderlakeError } from './errors.js';

/** How `withRetry` retries; every duration is in milliseconds. */
export interface RetryOptions {
  /** Retries after the first attempt: `retries: 3` calls `fn` at most four times. */
  retries: number;
  /** Backoff ceiling of the first retry; it doubles with every further retry. */
  baseMs: number;
  /** Upper bound of any single backoff, whatever the attempt. */
  maxMs: number;
  /** Stops retrying (and cuts a pending backoff short) when aborted; the abort reason is thrown. */
  signal?: AbortSignal;
  /** Called before each backoff, e.g. to log or count retries; `attempt` is the attempt that failed (1-based). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Waits `ms`; injected by tests so that no test really waits. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Decides for errors that are not OrderlakeErrors (raw network errors of a client library),
   * which carry no `retriable` flag. Without it such errors are not retried.
   */
  isRetriable?: (err: unknown) => boolean;
  /** Source of jitter in [0, 1); injected by tests to make delays exact. */
  random?: () => number;
}

/**
 * The backoff before retry number `attempt` (1-based): "full jitter", a uniform draw from
 * [0, min(maxMs, baseMs * 2^(attempt-1))), so that many clients failing together do not retry in
 * lockstep against a recovering server.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Whether an error is worth another attempt. An OrderlakeError says so itself (`retriable`,
 * from the error table); anything else is retried only when the caller's predicate says so.
 */
export function isRetriableError(err: unknown, predicate?: (err: unknown) => boolean): boolean {
  if (isOrderlakeError(err)) return err.retriable;
  return predicate ? predicate(err) : false;
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * A ready-made `isRetriable` predicate for raw Node/undici network errors (connection refused,
 * reset, DNS hiccups, timeouts), looking through `cause` chains as fetch wraps the socket error.
 */
export function isTransientNetworkError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
    if ((current as { name?: unknown }).name === 'TimeoutError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : undefined);
}

/**
 * Runs `fn` until it succeeds, retrying retriable failures with exponential backoff and full
 * jitter. Non-retriable errors and the last failure are rethrown unchanged, so callers can still
 * dead-letter by `code`. `fn` receives the attempt number (1-based).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt > options.retries || !isRetriableError(err, options.isRetriable)) throw err;
      if (signal?.aborted) throw abortReason(signal);
      const delayMs = backoffDelay(attempt, options.baseMs, options.maxMs, random);
      options.onRetry?.(err, attempt, delayMs);
      try {
        await sleep(delayMs, signal);
      } catch (sleepErr) {
        if (signal?.aborted) throw abortReason(signal);
        throw sleepErr;
      }
    }
  }
}
