import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAckWindow } from '../../../src/sources/kafka/ack-window.js';

/** A promise settled from outside. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every settled promise's callbacks run. */
const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder(limit = 4) {
  const commits: Array<[string, number, string]> = [];
  const failures: Array<[string, number, string]> = [];
  const window = createAckWindow({
    limit,
    commit: (topic, partition, offset) => void commits.push([topic, partition, offset]),
    onFailure: (topic, partition, offset) => void failures.push([topic, partition, offset]),
  });
  return { window, commits, failures };
}

describe('ack window', () => {
  it('commits in offset order, each time the oldest batches are acknowledged, whatever order acknowledgements arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 12 }),
        fc.func(fc.integer()),
        async (sizes, order) => {
          const { window, commits } = recorder(100);
          const acks = sizes.map(() => deferred());
          let offset = 0;
          const ends: string[] = [];
          sizes.forEach((size, i) => {
            window.track('t', 0, { firstOffset: String(offset), lastOffset: String(offset + size - 1) }, acks[i]!.promise);
            offset += size;
            ends.push(String(offset));
          });
          const settleOrder = sizes.map((_, i) => i).sort((a, b) => order(a) - order(b) || a - b);
          const acked = new Set<number>();
          for (const i of settleOrder) {
            acks[i]!.resolve();
            await flushMicrotasks();
            acked.add(i);
            // The committed offset is the end of the longest acknowledged prefix.
            let prefix = 0;
            while (acked.has(prefix)) prefix++;
            const last = commits[commits.length - 1];
            if (prefix === 0) expect(commits).toEqual([]);
            else expect(last).toEqual(['t', 0, ends[prefix - 1]]);
          }
          const offsets = commits.map(([, , o]) => Number(o));
          expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
          expect(new Set(offsets).size).toBe(offsets.length);
          expect(window.pending()).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps partitions apart and pauses only the one whose window is full', async () => {
    const { window, commits } = recorder(2);
    const a = [deferred(), deferred()];
    window.track('t', 0, { firstOffset: '0', lastOffset: '9' }, a[0]!.promise);
    window.track('t', 0, { firstOffset: '10', lastOffset: '19' }, a[1]!.promise);
    let roomFor0 = false;
    void window.room('t', 0).then(() => (roomFor0 = true));
    await expect(window.room('t', 1)).resolves.toBeUndefined();
    await flushMicrotasks();
    expect(roomFor0).toBe(false);
    a[1]!.resolve();
    await flushMicrotasks();
    // Acknowledged, but not committed, and still taking room: batch 0 is older and pending.
    expect(commits).toEqual([]);
    expect(roomFor0).toBe(false);
    a[0]!.resolve();
    await flushMicrotasks();
    expect(commits).toEqual([['t', 0, '20']]);
    expect(roomFor0).toBe(true);
  });

  it('a failed acknowledgement reports the oldest unacknowledged offset, drops the partition pending batches and ignores their late settlements', async () => {
    const { window, commits, failures } = recorder();
    const acks = [deferred(), deferred(), deferred()];
    window.track('t', 3, { firstOffset: '100', lastOffset: '109' }, acks[0]!.promise);
    window.track('t', 3, { firstOffset: '110', lastOffset: '119' }, acks[1]!.promise);
    window.track('t', 3, { firstOffset: '120', lastOffset: '129' }, acks[2]!.promise);
    acks[1]!.reject(new Error('insert failed'));
    await flushMicrotasks();
    expect(failures).toEqual([['t', 3, '100']]);
    expect(window.pending()).toBe(0);
    acks[0]!.resolve();
    acks[2]!.resolve();
    await flushMicrotasks();
    expect(commits).toEqual([]);
    // Read again from 100: tracked afresh and committed normally.
    window.track('t', 3, { firstOffset: '100', lastOffset: '129' }, Promise.resolve());
    await flushMicrotasks();
    expect(commits).toEqual([['t', 3, '130']]);
  });

  it('offsets going back (a re-delivery after a seek) void the older entries', async () => {
    const { window, commits } = recorder();
    const stale = deferred();
    window.track('t', 0, { firstOffset: '50', lastOffset: '59' }, stale.promise);
    window.track('t', 0, { firstOffset: '40', lastOffset: '59' }, Promise.resolve());
    await flushMicrotasks();
    expect(commits).toEqual([['t', 0, '60']]);
    stale.resolve();
    await flushMicrotasks();
    expect(commits).toEqual([['t', 0, '60']]);
  });

  it('settle waits for the acknowledgements of the named partitions, up to a timeout, and forget drops the rest uncommitted', async () => {
    const { window, commits } = recorder();
    const slow = deferred();
    const quick = deferred();
    window.track('t', 0, { firstOffset: '0', lastOffset: '4' }, quick.promise);
    window.track('t', 1, { firstOffset: '0', lastOffset: '4' }, slow.promise);
    setImmediate(() => quick.resolve());
    // Partition 0 only: its acknowledgement arrives, so the timeout is never needed.
    let timerAsked = 0;
    const left0 = await window.settle({
      partitions: [{ topic: 't', partition: 0 }],
      timeoutMs: 1000,
      sleep: () => {
        timerAsked++;
        return new Promise(() => undefined);
      },
    });
    expect(left0).toBe(0);
    expect(timerAsked).toBe(1);
    expect(commits).toEqual([['t', 0, '5']]);
    // Partition 1 never acknowledges: the (controlled) timeout ends the wait.
    const left1 = await window.settle({ timeoutMs: 1000, sleep: () => Promise.resolve() });
    expect(left1).toBe(1);
    window.forget([{ topic: 't', partition: 1 }]);
    slow.resolve();
    await flushMicrotasks();
    expect(commits).toEqual([['t', 0, '5']]);
    expect(window.pending()).toBe(0);
  });

  it('refuses a window of no batches', () => {
    expect(() => createAckWindow({ limit: 0, commit: () => undefined, onFailure: () => undefined })).toThrow(/positive integer/);
  });
});
