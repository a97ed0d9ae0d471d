import { describe, expect, it } from 'vitest';
import type { ConsumerGroup } from '../../../src/sources/kafka/index.js';
import { createTopics, randomName, waitFor } from '../../helpers/kafka-topics.js';
import { LIBRARIES, committedAtEnd, indexOf, numberedMessages, recordingMember, usePortFixture, type Seen } from './support/port-client.js';

/**
 * The consumer-group runner of each Kafka adapter against the real broker: batches in offset
 * order, commits after each batch, resumption from the last commit, a group that never commits,
 * and a failing batch that is delivered again instead of skipped.
 */
describe.each(LIBRARIES)('consumer group on %s', (library) => {
  const port = usePortFixture(library);
  const start = (group: ConsumerGroup): ConsumerGroup => port.track(group);
  async function stop(group: ConsumerGroup): Promise<void> {
    await group.stop();
    port.untrack(group);
  }

  it('hands over batches in offset order, commits after each, and resumes after the last commit', async () => {
    const topic = randomName('ccr');
    const groupId = randomName('ccr-group');
    await createTopics(port.admin, [topic], 3);
    await port.producer.sendBatch(
      [{ topic, messages: numberedMessages(0, 600).map((m, i) => ({ ...m, ...(i === 0 ? { headers: { 'x-origin': 'test' } } : {}) })) }],
      { acks: 'all' },
    );

    const seen: Seen[] = [];
    const first = recordingMember('first', start(port.client.consumerGroup()), seen);
    await first.member.group.run({ groupId, topics: [topic], fromBeginning: true, commits: true, ...first.spec });
    await waitFor(() => seen.length >= 600, { timeoutMs: 60_000, describe: 'the first 600 records' });
    await waitFor(() => committedAtEnd(port.admin, groupId, topic), { timeoutMs: 30_000, intervalMs: 200, describe: 'commits to reach the end' });

    expect(seen).toHaveLength(600);
    expect(new Set(seen.map(indexOf)).size).toBe(600);
    for (const p of [0, 1, 2]) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => Number(s.offset));
      expect(offsets, `partition ${p}`).toEqual(offsets.map((_, i) => i));
    }
    expect(seen.find((s) => indexOf(s) === 0)?.headers).toEqual({ 'x-origin': 'test' });
    expect(first.member.assigns).toEqual([{ [topic]: [0, 1, 2] }]);
    expect(first.member.violations).toEqual([]);
    await stop(first.member.group);
    expect(first.member.revokes.at(-1)).toEqual({ [topic]: [0, 1, 2] });

    await port.producer.sendBatch([{ topic, messages: numberedMessages(600, 300) }], { acks: 'all' });
    const resumed: Seen[] = [];
    const second = recordingMember('second', start(port.client.consumerGroup()), resumed);
    await second.member.group.run({ groupId, topics: [topic], fromBeginning: true, commits: true, ...second.spec });
    await waitFor(() => resumed.length >= 300, { timeoutMs: 60_000, describe: 'the 300 records produced after the stop' });
    await waitFor(() => committedAtEnd(port.admin, groupId, topic), { timeoutMs: 30_000, intervalMs: 200, describe: 'commits to reach the new end' });
    expect(resumed.map(indexOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => 600 + i));
    expect(second.member.violations).toEqual([]);
  });

  it('never commits when told so, and re-reads from the beginning on the next assignment', async () => {
    const topic = randomName('nocommit');
    const groupId = randomName('nocommit-group');
    await createTopics(port.admin, [topic], 2);
    await port.producer.sendBatch([{ topic, messages: numberedMessages(0, 200) }], { acks: 'all' });

    for (const round of [1, 2]) {
      const seen: Seen[] = [];
      const { member, spec } = recordingMember(`round-${round}`, start(port.client.consumerGroup()), seen);
      await member.group.run({ groupId, topics: [topic], fromBeginning: true, commits: false, ...spec });
      await waitFor(() => seen.length >= 200, { timeoutMs: 60_000, describe: `all 200 records in round ${round}` });
      expect(new Set(seen.map(indexOf)).size).toBe(200);
      await stop(member.group);
      const [committed] = await port.admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed?.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
    }
  });

  it('commits an explicit offset with commit()', async () => {
    const topic = randomName('explicit');
    const groupId = randomName('explicit-group');
    await createTopics(port.admin, [topic], 1);
    await port.producer.sendBatch([{ topic, messages: numberedMessages(0, 50) }], { acks: 'all' });
    const seen: Seen[] = [];
    const { member, spec } = recordingMember('explicit', start(port.client.consumerGroup()), seen);
    await member.group.run({ groupId, topics: [topic], fromBeginning: true, commits: false, ...spec });
    await waitFor(() => seen.length >= 50, { timeoutMs: 60_000, describe: 'all 50 records' });
    await member.group.commit(topic, 0, '17');
    const [committed] = await port.admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '17' })]);
  });

  it('hands the next batch over before the last one is acknowledged, commits only acknowledged batches in order, and reads again after a failed acknowledgement', async () => {
    const topic = randomName('acks');
    const groupId = randomName('acks-group');
    await createTopics(port.admin, [topic], 1);
    const committed = async () => (await port.admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset;
    const acks: Array<{ first: number; resolve: () => void; reject: (err: unknown) => void }> = [];
    const seen: Seen[] = [];
    const { member, spec } = recordingMember('acks', start(port.client.consumerGroup()), seen);
    await member.group.run({
      groupId,
      topics: [topic],
      fromBeginning: true,
      commits: true,
      maxUnacknowledged: 3,
      ...spec,
      async eachBatch(batch) {
        await spec.eachBatch(batch);
        return {
          acknowledged: new Promise<void>((resolve, reject) => acks.push({ first: Number(batch.messages[0]!.offset), resolve, reject })),
        };
      },
    });
    // Two waves, two batches: the second is handed over while the first waits for its acknowledgement.
    await port.producer.sendBatch([{ topic, messages: numberedMessages(0, 100) }], { acks: 'all' });
    await waitFor(() => seen.length >= 100, { timeoutMs: 60_000, describe: 'the first wave' });
    await port.producer.sendBatch([{ topic, messages: numberedMessages(100, 100) }], { acks: 'all' });
    await waitFor(() => seen.length >= 200, { timeoutMs: 60_000, describe: 'the second wave, first still unacknowledged' });
    expect(acks.map((a) => a.first)).toEqual([0, 100]);
    acks[1]!.resolve();
    // The newer batch is acknowledged, the older is not: nothing may be committed yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await committed()).toBe('-1');
    acks[0]!.resolve();
    await waitFor(async () => (await committed()) === '200', { timeoutMs: 30_000, intervalMs: 100, describe: 'the commit after both batches' });

    // A failed acknowledgement: the batch is read again from its first offset, then committed.
    await port.producer.sendBatch([{ topic, messages: numberedMessages(200, 50) }], { acks: 'all' });
    await waitFor(() => acks.length >= 3, { timeoutMs: 60_000, describe: 'the third wave' });
    acks[2]!.reject(new Error('simulated lost insert'));
    await waitFor(() => acks.length >= 4, { timeoutMs: 60_000, describe: 'the third wave read again' });
    expect(acks[3]!.first).toBe(200);
    acks[3]!.resolve();
    await waitFor(async () => (await committed()) === '250', { timeoutMs: 30_000, intervalMs: 100, describe: 'the commit after the re-read batch' });
    expect(seen.filter((s) => indexOf(s) >= 200).map(indexOf).sort((x, y) => x - y)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => 200 + i).flatMap((i) => [i, i]),
    ]);
    expect(member.violations).toEqual([]);
  });

  it('delivers a failing batch again instead of skipping it, and commits only after it succeeds', async () => {
    const topic = randomName('failing');
    const groupId = randomName('failing-group');
    await createTopics(port.admin, [topic], 2);
    await port.producer.sendBatch([{ topic, messages: numberedMessages(0, 300) }], { acks: 'all' });

    const seen: Seen[] = [];
    let failures = 0;
    let committedDuringFailure: string | undefined;
    const { member, spec } = recordingMember('flaky', start(port.client.consumerGroup()), seen, {
      async onBatch(batch) {
        if (batch.partition === 0 && failures < 2) {
          failures++;
          const [committed] = await port.admin.fetchOffsets({ groupId, topics: [topic] });
          committedDuringFailure = committed?.partitions.find((p) => p.partition === 0)?.offset;
          throw new Error(`simulated failure ${failures}`);
        }
      },
    });
    await member.group.run({ groupId, topics: [topic], fromBeginning: true, commits: true, ...spec });
    await waitFor(() => new Set(seen.map(indexOf)).size >= 300, { timeoutMs: 120_000, describe: 'all 300 records despite two failures' });
    await waitFor(() => committedAtEnd(port.admin, groupId, topic), { timeoutMs: 30_000, intervalMs: 200, describe: 'commits to reach the end' });
    expect(failures).toBe(2);
    expect(committedDuringFailure).toBe('-1');
    const partition0 = seen.filter((s) => s.partition === 0).map((s) => Number(s.offset));
    expect(new Set(partition0).size).toBe(partition0.length);
    expect([...partition0].sort((a, b) => a - b)).toEqual(partition0.map((_, i) => i));
  });
});
