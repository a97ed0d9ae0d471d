import { describe, expect, it } from 'vitest';
import { createCoalescingProducer } from '../../../src/sources/kafka/index.js';
import type { KafkaProducer, TopicMessages } from '../../../src/sources/kafka/index.js';

/** Records every send it is given; each send waits until the test releases it. */
function recordingProducer() {
  const sends: TopicMessages[][] = [];
  const release: Array<(err?: Error) => void> = [];
  let closed = false;
  const inner: KafkaProducer = {
    sendBatch(topicMessages) {
      sends.push(topicMessages.map((t) => ({ topic: t.topic, messages: [...t.messages] })));
      return new Promise<void>((resolve, reject) => release.push((err) => (err ? reject(err) : resolve())));
    },
    async close() {
      closed = true;
    },
  };
  return { inner, sends, release, isClosed: () => closed };
}

const msg = (key: string) => ({ key, value: Buffer.from(key) });
const keys = (sends: TopicMessages[][]) => sends.map((s) => s.map((t) => [t.topic, t.messages.map((m) => m.key)]));
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalescing producer', () => {
  it('merges the calls made in one turn into one send, by topic, in call order', async () => {
    const { inner, sends, release } = recordingProducer();
    const producer = createCoalescingProducer(inner);
    const done = [
      producer.sendBatch([{ topic: 'events', messages: [msg('a1'), msg('a2')] }, { topic: 'links', messages: [msg('l1')] }], { acks: 'all' }),
      producer.sendBatch([{ topic: 'events', messages: [msg('b1')] }], { acks: 'all' }),
      producer.sendBatch([{ topic: 'dlq', messages: [msg('d1')] }, { topic: 'links', messages: [msg('l2')] }], { acks: 'all' }),
    ];
    await turn();
    expect(keys(sends)).toEqual([
      [
        ['events', ['a1', 'a2', 'b1']],
        ['links', ['l1', 'l2']],
        ['dlq', ['d1']],
      ],
    ]);
    release[0]!();
    await Promise.all(done);
  });

  it('sends what arrives while a send is in flight together, after it, and answers each caller from its own send', async () => {
    const { inner, sends, release } = recordingProducer();
    const producer = createCoalescingProducer(inner);
    const settled: string[] = [];
    const first = producer.sendBatch([{ topic: 't', messages: [msg('1')] }], { acks: 'all' }).then(() => settled.push('first'));
    await turn();
    const second = producer.sendBatch([{ topic: 't', messages: [msg('2')] }], { acks: 'all' }).then(() => settled.push('second'));
    const third = producer.sendBatch([{ topic: 't', messages: [msg('3')] }], { acks: 'all' }).then(() => settled.push('third'));
    await turn();
    expect(keys(sends)).toEqual([[['t', ['1']]]]);
    release[0]!();
    await first;
    await turn();
    expect(settled).toEqual(['first']);
    expect(keys(sends)).toEqual([[['t', ['1']]], [['t', ['2', '3']]]]);
    release[1]!();
    await Promise.all([second, third]);
    expect(settled).toEqual(['first', 'second', 'third']);
  });

  it('rejects every caller of a failed send, and only those', async () => {
    const { inner, release } = recordingProducer();
    const producer = createCoalescingProducer(inner);
    const a = producer.sendBatch([{ topic: 't', messages: [msg('a')] }], { acks: 'all' });
    const b = producer.sendBatch([{ topic: 't', messages: [msg('b')] }], { acks: 'all' });
    await turn();
    const c = producer.sendBatch([{ topic: 't', messages: [msg('c')] }], { acks: 'all' });
    const failure = new Error('broker said no');
    release[0]!(failure);
    await expect(a).rejects.toBe(failure);
    await expect(b).rejects.toBe(failure);
    await turn();
    release[1]!();
    await expect(c).resolves.toBeUndefined();
  });

  it('answers an empty call at once and waits for sends in flight before closing', async () => {
    const { inner, sends, release, isClosed } = recordingProducer();
    const producer = createCoalescingProducer(inner);
    await producer.sendBatch([{ topic: 't', messages: [] }], { acks: 'all' });
    expect(sends).toEqual([]);
    const pending = producer.sendBatch([{ topic: 't', messages: [msg('x')] }], { acks: 'all' });
    const closing = producer.close();
    await turn();
    expect(isClosed()).toBe(false);
    release[0]!();
    await pending;
    await closing;
    expect(isClosed()).toBe(true);
  });

  it('reports how long the send in flight has waited, and 0 once it settled', async () => {
    const { inner, release } = recordingProducer();
    let clock = 1000;
    const producer = createCoalescingProducer(inner, { now: () => clock });
    expect(producer.inFlightMs()).toBe(0);
    const sent = producer.sendBatch([{ topic: 't', messages: [msg('x')] }], { acks: 'all' });
    await turn();
    clock += 45_000;
    expect(producer.inFlightMs()).toBe(45_000);
    release[0]!();
    await sent;
    expect(producer.inFlightMs()).toBe(0);
  });
});
