import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics.js';
import { instrumentConsumerGroup } from '../../../src/sources/kafka/index.js';
import { fakeConsumerGroup } from './support/fake-consumer-group.js';

/** A clock the test moves: each batch "takes" what the handler advances it by. */
function manualClock() {
  let ms = 1000;
  return { now: () => ms, advance: (by: number) => void (ms += by) };
}

async function batchSeconds(metrics: ReturnType<typeof createMetrics>, stage: string) {
  const values = (await metrics.batchSeconds.get()).values.filter((v) => v.labels.stage === stage);
  return {
    count: values.find((v) => v.metricName === 'orderlake_batch_seconds_count')?.value ?? 0,
    sum: values.find((v) => v.metricName === 'orderlake_batch_seconds_sum')?.value ?? 0,
    le: (bound: number) => values.find((v) => v.metricName === 'orderlake_batch_seconds_bucket' && (v.labels as Record<string, unknown>).le === bound)?.value ?? 0,
  };
}

describe('instrumentConsumerGroup', () => {
  it('times every batch into orderlake_batch_seconds{stage}, failed attempts included, and passes the failure on', async () => {
    const clock = manualClock();
    const metrics = createMetrics();
    const inner = fakeConsumerGroup();
    const group = instrumentConsumerGroup(inner, { stage: 'merge', metrics, now: clock.now });
    let fail = false;
    await group.run({
      groupId: 'g',
      topics: ['t'],
      fromBeginning: true,
      commits: true,
      async eachBatch(batch) {
        clock.advance(batch.messages.length * 10);
        if (fail) throw new Error('sink down');
      },
    });
    await inner.deliver('t', 0, 0, 3);
    await inner.deliver('t', 0, 3, 200);
    fail = true;
    await expect(inner.deliver('t', 0, 203, 1)).rejects.toThrow('sink down');

    const timed = await batchSeconds(metrics, 'merge');
    expect(timed.count).toBe(3);
    expect(timed.sum).toBeCloseTo(0.03 + 2 + 0.01, 9);
    expect(timed.le(0.01)).toBe(1);
    expect(timed.le(0.05)).toBe(2);
    expect(timed.le(2.5)).toBe(3);
    expect((await batchSeconds(metrics, 'ingest')).count).toBe(0);
  });

  it('keeps the offset after the last record handled per partition, from the batch that resolved, forgotten on assign and revoke', async () => {
    const metrics = createMetrics();
    const inner = fakeConsumerGroup();
    const group = instrumentConsumerGroup(inner, { stage: 'link', metrics, now: () => 0 });
    expect(group.running()).toBeNull();
    let fail = false;
    await group.run({
      groupId: 'g.link',
      topics: ['links'],
      fromBeginning: true,
      commits: false,
      async eachBatch() {
        if (fail) throw new Error('produce failed');
      },
    });
    expect(group.running()).toEqual({ groupId: 'g.link', topics: ['links'], commits: false, fromBeginning: true });
    await inner.assign({ links: [0, 1] });
    await inner.deliver('links', 0, 0, 5);
    await inner.deliver('links', 1, 7, 2);
    fail = true;
    await expect(inner.deliver('links', 0, 5, 5)).rejects.toThrow();
    expect(group.handledPositions()).toEqual([
      { topic: 'links', partition: 0, offset: '5' },
      { topic: 'links', partition: 1, offset: '9' },
    ]);

    // A revoke drops the partition's position, and so does a new assignment: the group re-reads it.
    await inner.revoke({ links: [1] });
    expect(group.handledPositions()).toEqual([{ topic: 'links', partition: 0, offset: '5' }]);
    await inner.assign({ links: [0] });
    expect(group.handledPositions()).toEqual([]);

    fail = false;
    await inner.deliver('links', 0, 0, 1);
    await group.stop();
    expect(inner.stopped).toBe(true);
    expect(group.running()).toBeNull();
    expect(group.handledPositions()).toEqual([]);
  });

  it("still calls the stage's own assignment callbacks", async () => {
    const inner = fakeConsumerGroup();
    const group = instrumentConsumerGroup(inner, { stage: 'merge', metrics: createMetrics(), now: () => 0 });
    const calls: string[] = [];
    await group.run({
      groupId: 'g',
      topics: ['t'],
      fromBeginning: true,
      commits: true,
      onAssign: async (p) => void calls.push(`assign ${JSON.stringify(p)}`),
      onRevoke: (p) => void calls.push(`revoke ${JSON.stringify(p)}`),
      async eachBatch() {},
    });
    await inner.assign({ t: [3] });
    await inner.revoke({ t: [3] });
    expect(calls).toEqual(['assign {"t":[3]}', 'revoke {"t":[3]}']);
    expect(group.assignment()).toEqual({});
  });
});
