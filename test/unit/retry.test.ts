import { describe, expect, it } from 'vitest';
import { OrderlakeError } from '../../src/errors.js';
import { backoffDelay, isRetriableError, isTransientNetworkError, withRetry } from '../../src/retry.js';
import type { RetryOptions } from '../../src/retry.js';

function recorder(overrides: Partial<RetryOptions> = {}) {
  const sleeps: number[] = [];
  const retries: Array<{ attempt: number; delayMs: number }> = [];
  const options: RetryOptions = {
    retries: 5,
    baseMs: 100,
    maxMs: 1000,
    random: () => 0.999,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRetry: (_err, attempt, delayMs) => retries.push({ attempt, delayMs }),
    ...overrides,
  };
  return { options, sleeps, retries };
}

const unavailable = () => new OrderlakeError('OL_ERR_REGISTRY_UNAVAILABLE', 'down');

describe('withRetry', () => {
  it('returns the first success without sleeping', async () => {
    const { options, sleeps } = recorder();
    const attempts: number[] = [];
    expect(await withRetry(async (attempt) => (attempts.push(attempt), 'ok'), options)).toBe('ok');
    expect(attempts).toEqual([1]);
    expect(sleeps).toEqual([]);
  });

  it('retries retriable OrderlakeErrors with exponential, capped backoff', async () => {
    const { options, sleeps, retries } = recorder();
    const attempts: number[] = [];
    const result = await withRetry(async (attempt) => {
      attempts.push(attempt);
      if (attempt < 6) throw unavailable();
      return attempt;
    }, options);
    expect(result).toBe(6);
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sleeps).toEqual([99, 199, 399, 799, 999]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(retries.map((r) => r.delayMs)).toEqual(sleeps);
  });

  it('rethrows the last error once retries are spent', async () => {
    const { options, sleeps } = recorder({ retries: 2 });
    let calls = 0;
    const last = new OrderlakeError('OL_ERR_KAFKA', 'still down');
    await expect(
      withRetry(async () => {
        calls++;
        throw calls === 3 ? last : unavailable();
      }, options),
    ).rejects.toBe(last);
    expect(calls).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('never retries a non-retriable OrderlakeError', async () => {
    const { options, sleeps } = recorder();
    const err = new OrderlakeError('OL_ERR_CODEC_DECODE', 'bad bytes');
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(err)), options)).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('honours an explicit retriable override on an OrderlakeError', async () => {
    const { options } = recorder();
    let calls = 0;
    const err = new OrderlakeError('OL_ERR_CLICKHOUSE', 'syntax error', { retriable: false });
    await expect(withRetry(async () => (calls++, Promise.reject(err)), options)).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it('retries unknown errors only when the predicate says so', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const plain = recorder();
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(refused)), plain.options)).rejects.toBe(refused);
    expect(calls).toBe(1);

    const network = recorder({ isRetriable: isTransientNetworkError });
    calls = 0;
    expect(await withRetry(async () => (++calls < 3 ? Promise.reject(refused) : 'up'), network.options)).toBe('up');
    expect(calls).toBe(3);
  });

  it('stops when the signal aborts, before an attempt or during a backoff', async () => {
    const before = new AbortController();
    before.abort(new Error('shutting down'));
    let calls = 0;
    await expect(withRetry(async () => (calls++, 'never'), { ...recorder().options, signal: before.signal })).rejects.toThrow('shutting down');
    expect(calls).toBe(0);

    const during = new AbortController();
    const { options } = recorder({
      signal: during.signal,
      sleep: async () => {
        during.abort(new Error('stop now'));
        throw new Error('sleep interrupted');
      },
    });
    calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(unavailable())), options)).rejects.toThrow('stop now');
    expect(calls).toBe(1);
  });

  it('the default sleep is cut short by an abort', async () => {
    const controller = new AbortController();
    const pending = withRetry(async () => Promise.reject(unavailable()), {
      retries: 1,
      baseMs: 3_600_000,
      maxMs: 3_600_000,
      random: () => 0.5,
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('cancelled')),
    });
    await expect(pending).rejects.toThrow('cancelled');
  });
});

describe('backoffDelay', () => {
  it('draws uniformly below the doubling, capped ceiling', () => {
    expect(backoffDelay(1, 100, 1000, () => 0)).toBe(0);
    expect(backoffDelay(1, 100, 1000, () => 0.5)).toBe(50);
    expect(backoffDelay(3, 100, 1000, () => 0.5)).toBe(200);
    expect(backoffDelay(30, 100, 1000, () => 0.5)).toBe(500);
    for (let attempt = 1; attempt < 12; attempt++) {
      const delay = backoffDelay(attempt, 100, 1000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(1000, 100 * 2 ** (attempt - 1)));
    }
  });
});

describe('isRetriableError / isTransientNetworkError', () => {
  it('reads retriable from the error table', () => {
    expect(isRetriableError(unavailable())).toBe(true);
    expect(isRetriableError(new OrderlakeError('OL_ERR_CODEC_BAD_MAGIC', 'x'))).toBe(false);
    expect(isRetriableError(new Error('x'))).toBe(false);
    expect(isRetriableError(new Error('x'), () => true)).toBe(true);
  });

  it('recognises socket errors, also wrapped as fetch wraps them', () => {
    expect(isTransientNetworkError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientNetworkError(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isTransientNetworkError(new Error('syntax error'))).toBe(false);
    expect(isTransientNetworkError('ECONNRESET')).toBe(false);
  });
});
