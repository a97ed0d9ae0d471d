import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics.js';
import { createConsumerLagMonitor, instrumentConsumerGroup, type KafkaAdmin } from '../../../src/sources/kafka/index.js';
import { testProducer } from '../../helpers/kafka-client.js';
import { createTopics, randomName, waitFor } from '../../helpers/kafka-topics.js';
import { LIBRARIES, recordingMember, usePortFixture, type Seen } from './support/port-client.js';

/**
 * The offset calls of each adapter's admin against the real broker — the inputs of the consumer-lag
 * gauge — and the lag monitor over a real consumer group of that adapter.
 */
describe.each(LIBRARIES)('admin offsets on %s', (library) => {
  const port = usePortFixture(library);
  let admin: KafkaAdmin;
  beforeAll(async () => {
    admin = await port.client.admin();
  });
  afterAll(async () => {
    await admin?.close();
  });

  /** A topic of three partitions holding 5, 0 and 12 records. */
  async function filledTopic(): Promise<string> {
    const topic = randomName('offsets');
    await createTopics(port.admin, [topic], 3);
    const producer = testProducer(port.kafka, { idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const records = (partition: number, n: number) => Array.from({ length: n }, (_, i) => ({ partition, key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic, acks: -1, messages: [...records(0, 5), ...records(2, 12)] });
    await producer.disconnect();
    return topic;
  }

  it('reads low- and high-water marks, after retention-style deletion too', async () => {
    const topic = await filledTopic();
    expect(await admin.fetchWatermarks({ [topic]: [0, 1, 2] })).toEqual([
      { topic, partition: 0, low: '0', high: '5' },
      { topic, partition: 1, low: '0', high: '0' },
      { topic, partition: 2, low: '0', high: '12' },
    ]);
    // kafkajs deletes only on partitions whose leader its metadata knows: load the topic's first.
    await port.admin.fetchTopicMetadata({ topics: [topic] });
    await port.admin.deleteTopicRecords({ topic, partitions: [{ partition: 2, offset: '4' }] });
    expect(await admin.fetchWatermarks({ [topic]: [2] })).toEqual([{ topic, partition: 2, low: '4', high: '12' }]);
  });

  it("reads a group's committed offsets, -1 where it committed none and for a group that never committed", async () => {
    const topic = await filledTopic();
    const groupId = randomName('offsets-group');
    expect(await admin.fetchCommittedOffsets(groupId, { [topic]: [0, 1, 2] })).toEqual([
      { topic, partition: 0, offset: '-1' },
      { topic, partition: 1, offset: '-1' },
      { topic, partition: 2, offset: '-1' },
    ]);
    await port.admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }, { partition: 2, offset: '12' }] });
    expect(await admin.fetchCommittedOffsets(groupId, { [topic]: [0, 1, 2] })).toEqual([
      { topic, partition: 0, offset: '3' },
      { topic, partition: 1, offset: '-1' },
      { topic, partition: 2, offset: '12' },
    ]);
  });

  it('gives the lag of a running group without disturbing it, down to 0 once it has handled everything', async () => {
    const topic = await filledTopic();
    const groupId = randomName('lag-group');
    const metrics = createMetrics();
    const seen: Seen[] = [];
    const member = recordingMember('lagging', port.track(port.client.consumerGroup()), seen);
    // The group holds its first batches back until the monitor has read the lag before them.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const group = instrumentConsumerGroup(member.member.group, { stage: 'merge', metrics });
    await group.run({
      groupId,
      topics: [topic],
      fromBeginning: true,
      commits: true,
      ...member.spec,
      async eachBatch(batch) {
        await released;
        await member.spec.eachBatch(batch);
      },
    });
    const monitor = createConsumerLagMonitor({ admin, sources: [group], metrics, logger: pino({ level: 'silent' }), intervalMs: 60_000 });
    const lag = async () =>
      Object.fromEntries((await metrics.consumerLag.get()).values.map((v) => [`${v.labels.stage} ${v.labels.partition}`, v.value]));

    await waitFor(async () => Object.values(group.assignment()).flat().length === 3, { timeoutMs: 60_000, intervalMs: 100, describe: 'the assignment' });
    await monitor.refresh();
    expect(await lag()).toEqual({ 'merge 0': 5, 'merge 1': 0, 'merge 2': 12 });

    release();
    await waitFor(
      async () => {
        await monitor.refresh();
        const now = await lag();
        return seen.length === 17 && now['merge 0'] === 0 && now['merge 2'] === 0 ? now : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, describe: 'the lag to reach 0 once every record is handled and committed' },
    );
    // Reading the group's offsets never joined the group: the member still has its one assignment.
    expect(member.member.assigns).toHaveLength(1);
    const batches = (await metrics.batchSeconds.get()).values.find((v) => v.metricName === 'orderlake_batch_seconds_count' && v.labels.stage === 'merge');
    expect(batches?.value).toBeGreaterThanOrEqual(2);
    await monitor.stop();
  });
});
