import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics.js';
import {
  createConsumerLagMonitor,
  instrumentConsumerGroup,
  type CommittedOffset,
  type KafkaAdmin,
  type PartitionsByTopic,
  type PartitionWatermarks,
  type Ticker,
} from '../../../src/sources/kafka/index.js';
import { fakeConsumerGroup } from './support/fake-consumer-group.js';

/** A ticker the test fires by hand; `fire` resolves once that tick's refresh is done. */
function manualTicker() {
  let tick: (() => Promise<void>) | null = null;
  let intervalMs = 0;
  const ticker: Ticker = {
    every(ms, t) {
      intervalMs = ms;
      tick = t;
      return () => {
        tick = null;
      };
    },
  };
  return {
    ticker,
    get intervalMs() {
      return intervalMs;
    },
    get running() {
      return tick !== null;
    },
    fire: () => (tick ? tick() : Promise.resolve()),
  };
}

/** Broker offsets the test sets; `failing` makes every call reject, `hold` keeps calls waiting. */
function fakeAdmin() {
  const high = new Map<string, string>();
  const low = new Map<string, string>();
  const committed = new Map<string, string>();
  const calls: string[] = [];
  let failing: Error | null = null;
  let held: Array<() => void> | null = null;
  const gate = async () => {
    if (held) await new Promise<void>((resolve) => held!.push(resolve));
    if (failing) throw failing;
  };
  const admin: Pick<KafkaAdmin, 'fetchWatermarks' | 'fetchCommittedOffsets'> = {
    async fetchWatermarks(partitions: PartitionsByTopic): Promise<PartitionWatermarks[]> {
      calls.push(`watermarks ${JSON.stringify(partitions)}`);
      await gate();
      return Object.entries(partitions).flatMap(([topic, list]) =>
        list.map((partition) => ({ topic, partition, low: low.get(`${topic}/${partition}`) ?? '0', high: high.get(`${topic}/${partition}`) ?? '0' })),
      );
    },
    async fetchCommittedOffsets(groupId: string, partitions: PartitionsByTopic): Promise<CommittedOffset[]> {
      calls.push(`committed ${groupId} ${JSON.stringify(partitions)}`);
      await gate();
      return Object.entries(partitions).flatMap(([topic, list]) =>
        list.map((partition) => ({ topic, partition, offset: committed.get(`${groupId} ${topic}/${partition}`) ?? '-1' })),
      );
    },
  };
  return {
    admin,
    calls,
    setHigh: (topic: string, partition: number, offset: number) => high.set(`${topic}/${partition}`, String(offset)),
    setLow: (topic: string, partition: number, offset: number) => low.set(`${topic}/${partition}`, String(offset)),
    commit: (group: string, topic: string, partition: number, offset: number) => committed.set(`${group} ${topic}/${partition}`, String(offset)),
    fail: (err: Error | null) => (failing = err),
    hold: () => (held = []),
    release: () => {
      const waiting = held ?? [];
      held = null;
      for (const go of waiting) go();
    },
  };
}

function recordingLogger() {
  const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  return { warnings, logger: { warn: (obj: Record<string, unknown>, msg: string) => void warnings.push({ obj, msg }) } as never };
}

async function lagSeries(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.consumerLag.get()).values) out[`${v.labels.stage} ${v.labels.topic}[${v.labels.partition}]`] = v.value;
  return out;
}

/** The three stages of a worker, as main.ts builds them, on fake runners. */
async function stages(metrics: ReturnType<typeof createMetrics>) {
  const make = async (stage: 'ingest' | 'link' | 'merge', topics: string[], commits: boolean) => {
    const inner = fakeConsumerGroup();
    const group = instrumentConsumerGroup(inner, { stage, metrics, now: () => 0 });
    await group.run({ groupId: `g.${stage}`, topics, fromBeginning: true, commits, async eachBatch() {} });
    return { inner, group };
  };
  return {
    ingest: await make('ingest', ['crm'], true),
    link: await make('link', ['links'], false),
    merge: await make('merge', ['events'], true),
  };
}

describe('consumer lag monitor', () => {
  it('sets lag per stage and held partition on each tick: committed offsets for ingest and merge, handled positions for link', async () => {
    const metrics = createMetrics();
    const kafka = fakeAdmin();
    const clock = manualTicker();
    const { ingest, link, merge } = await stages(metrics);
    const monitor = createConsumerLagMonitor({
      admin: kafka.admin,
      sources: [ingest.group, link.group, merge.group],
      metrics,
      logger: recordingLogger().logger,
      intervalMs: 5000,
      ticker: clock.ticker,
    });
    monitor.start();
    expect(clock.intervalMs).toBe(5000);

    // Nothing assigned yet: nothing reported, nothing asked.
    await clock.fire();
    expect(await lagSeries(metrics)).toEqual({});
    expect(kafka.calls).toEqual([]);

    await ingest.inner.assign({ crm: [0, 1] });
    await link.inner.assign({ links: [2] });
    await merge.inner.assign({ events: [2] });
    kafka.setHigh('crm', 0, 100);
    kafka.setHigh('crm', 1, 40);
    kafka.setLow('crm', 1, 10);
    kafka.commit('g.ingest', 'crm', 0, 75);
    kafka.setHigh('links', 2, 30);
    kafka.setLow('links', 2, 4);
    kafka.setHigh('events', 2, 50);
    kafka.commit('g.merge', 'events', 2, 50);
    // The link group would commit nothing even if asked; its position is what it handled.
    kafka.commit('g.link', 'links', 2, 1);
    await clock.fire();
    expect(await lagSeries(metrics)).toEqual({
      'ingest crm[0]': 25,
      // Nothing committed: counted from the low-water mark.
      'ingest crm[1]': 30,
      // Nothing handled since the assignment: everything from the low-water mark is still to be read.
      'link links[2]': 26,
      'merge events[2]': 0,
    });
    expect(kafka.calls.filter((c) => c.startsWith('committed'))).toEqual(['committed g.ingest {"crm":[0,1]}', 'committed g.merge {"events":[2]}']);

    await link.inner.deliver('links', 2, 4, 20);
    kafka.commit('g.ingest', 'crm', 1, 40);
    kafka.setHigh('crm', 0, 130);
    await clock.fire();
    expect(await lagSeries(metrics)).toEqual({ 'ingest crm[0]': 55, 'ingest crm[1]': 0, 'link links[2]': 6, 'merge events[2]': 0 });
    await monitor.stop();
  });

  it('removes the series of partitions a stage gave up, and of a stage that stopped', async () => {
    const metrics = createMetrics();
    const kafka = fakeAdmin();
    const clock = manualTicker();
    const { ingest, link, merge } = await stages(metrics);
    const monitor = createConsumerLagMonitor({ admin: kafka.admin, sources: [ingest.group, link.group, merge.group], metrics, logger: recordingLogger().logger, intervalMs: 1000, ticker: clock.ticker });
    monitor.start();
    await ingest.inner.assign({ crm: [0, 1] });
    await merge.inner.assign({ events: [0] });
    kafka.setHigh('crm', 1, 9);
    kafka.setHigh('events', 0, 3);
    await clock.fire();
    expect(await lagSeries(metrics)).toEqual({ 'ingest crm[0]': 0, 'ingest crm[1]': 9, 'merge events[0]': 3 });

    await ingest.inner.revoke({ crm: [1] });
    await merge.group.stop();
    await clock.fire();
    expect(await lagSeries(metrics)).toEqual({ 'ingest crm[0]': 0 });
    await monitor.stop();
  });

  it('logs a failing poll as a warning, keeps the last values, and polls again on the next tick', async () => {
    const metrics = createMetrics();
    const kafka = fakeAdmin();
    const clock = manualTicker();
    const { warnings, logger } = recordingLogger();
    const { ingest } = await stages(metrics);
    const monitor = createConsumerLagMonitor({ admin: kafka.admin, sources: [ingest.group], metrics, logger, intervalMs: 1000, ticker: clock.ticker });
    monitor.start();
    await ingest.inner.assign({ crm: [0] });
    kafka.setHigh('crm', 0, 10);
    await clock.fire();
    expect(await lagSeries(metrics)).toEqual({ 'ingest crm[0]': 10 });

    kafka.fail(new Error('coordinator not available'));
    kafka.setHigh('crm', 0, 20);
    await expect(clock.fire()).resolves.toBeUndefined();
    await expect(monitor.refresh()).resolves.toBeUndefined();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.msg).toMatch(/consumer lag poll failed/);
    expect(warnings[0]!.obj).toMatchObject({ stage: 'ingest', group: 'g.ingest' });
    expect(String(warnings[0]!.obj.err)).toMatch(/coordinator not available/);
    expect(await lagSeries(metrics)).toEqual({ 'ingest crm[0]': 10 });

    kafka.fail(null);
    await clock.fire();
    expect(await lagSeries(metrics)).toEqual({ 'ingest crm[0]': 20 });
    await monitor.stop();
  });

  it('skips a tick while the previous refresh is still out, and stop cancels the timer and waits for it', async () => {
    const metrics = createMetrics();
    const kafka = fakeAdmin();
    const clock = manualTicker();
    const { ingest } = await stages(metrics);
    const monitor = createConsumerLagMonitor({ admin: kafka.admin, sources: [ingest.group], metrics, logger: recordingLogger().logger, intervalMs: 1000, ticker: clock.ticker });
    monitor.start();
    await ingest.inner.assign({ crm: [0] });
    kafka.setHigh('crm', 0, 7);
    kafka.hold();
    const first = clock.fire();
    const second = clock.fire();
    expect(kafka.calls).toEqual(['committed g.ingest {"crm":[0]}']);

    let stopped = false;
    const stopping = monitor.stop().then(() => {
      stopped = true;
    });
    expect(clock.running).toBe(false);
    await Promise.resolve();
    expect(stopped).toBe(false);
    kafka.release();
    await Promise.all([first, second, stopping]);
    expect(stopped).toBe(true);
    expect(kafka.calls).toEqual(['committed g.ingest {"crm":[0]}', 'watermarks {"crm":[0]}']);
    // Stopped mid-refresh: the answer that came back after stop is not published.
    expect(await lagSeries(metrics)).toEqual({});
    await clock.fire();
    await monitor.refresh();
    expect(kafka.calls).toHaveLength(2);
  });
});
