import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createKafkaClientLog } from '../../../src/sources/kafka/client-log.js';
import { KAFKAJS_LEVEL } from '../../../src/sources/kafka/client-log-policy.js';
import type { Ticker } from '../../../src/sources/kafka/index.js';

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger writing parsed lines into an array, a clock and a ticker the test moves by hand. */
function harness() {
  const lines: Line[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  let now = 0;
  let tick: (() => Promise<void>) | null = null;
  const ticker: Ticker = {
    every(_ms, t) {
      tick = t;
      return () => {
        tick = null;
      };
    },
  };
  const log = createKafkaClientLog({ logger, now: () => now, ticker });
  return {
    lines,
    log,
    /** Moves the clock to `at` and runs the ticker once, as its timer would. */
    async advance(at: number) {
      now = at;
      await tick?.();
    },
    set now(at: number) {
      now = at;
    },
    get ticking() {
      return tick !== null;
    },
  };
}

const at = (lines: Line[], level: number) => lines.filter((l) => l.level === level);

describe('createKafkaClientLog', () => {
  it('logs a broker restart as a few warnings and a summary with the count, not an error per attempt', async () => {
    const h = harness();
    const kafkajs = h.log.kafkajsLogCreator();
    const entry = (level: number, message: string, extra: Record<string, unknown> = {}) =>
      kafkajs({ namespace: 'Connection', level, label: 'ERROR', log: { message, timestamp: 'x', logger: 'kafkajs', ...extra } });

    // The sequence kafkajs 2.2.4 logged while a worker's broker restarted (about 100 lines, 16 s).
    h.now = 0;
    entry(KAFKAJS_LEVEL.ERROR, 'Response OffsetCommit(key: 8, version: 5)', { error: 'This is not the correct coordinator for this group' });
    entry(KAFKAJS_LEVEL.ERROR, 'Response Metadata(key: 3, version: 6)', { error: 'There is no leader for this topic-partition as we are in the middle of a leadership election' });
    for (let i = 0; i < 60; i++) {
      h.now = 100 + i * 250;
      entry(KAFKAJS_LEVEL.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:46521', { broker: '127.0.0.1:46521', stack: 'Error: connect ECONNREFUSED…' });
      entry(KAFKAJS_LEVEL.ERROR, 'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:46521', {
        retryCount: i % 8,
      });
      if (i === 3) {
        entry(KAFKAJS_LEVEL.ERROR, 'Crash: KafkaJSNoBrokerAvailableError: No broker available', { groupId: 'g.link' });
        entry(KAFKAJS_LEVEL.ERROR, 'Restarting the consumer in 100ms', { groupId: 'g.link' });
      }
    }
    expect(at(h.lines, 50)).toEqual([]);
    const warnings = at(h.lines, 40);
    // The consumer's crash counts with its cause (no broker: the connection), its restart is detail.
    expect(warnings.map((l) => [l.condition, l.msg])).toEqual([
      ['leadership', 'Response Metadata(key: 3, version: 6)'],
      ['connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:46521'],
    ]);
    // The first line keeps the client's fields (not its stack trace) and says repeats are counted.
    expect(warnings[1]).toMatchObject({ broker: '127.0.0.1:46521', namespace: 'Connection', repeats: 'counted until it clears' });
    expect(warnings[1]).not.toHaveProperty('stack');
    expect(at(h.lines, 30).map((l) => [l.condition, l.msg])).toEqual([['coordinator', 'Response OffsetCommit(key: 8, version: 5)']]);
    // Every repeat is still there at debug: 120 connection lines (the crash among them) and the restart notice.
    expect(at(h.lines, 20).length).toBe(121);

    // Summed up once the connection errors have stopped for 10 s (the broker is back); the lone
    // coordinator and leadership lines need no summary.
    await h.advance(14_850 + 9_999);
    expect(h.lines.filter((l) => l.level >= 30)).toHaveLength(3);
    await h.advance(14_850 + 10_000);
    expect(h.lines.filter((l) => l.level >= 30)).toHaveLength(4);
    expect(h.lines.at(-1)).toMatchObject({ level: 40, condition: 'connection', count: 121, forMs: 14_750, first: 'Connection error: connect ECONNREFUSED 127.0.0.1:46521' });
    expect(h.lines.at(-1)!.msg).toMatch(/^Kafka client recovered: Kafka broker unreachable .*seen 121 times over 14\.8 s, not since$/);
    expect(h.ticking).toBe(false);
    expect(h.lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('counts librdkafka lines and errors of every client of the process together', async () => {
    const h = harness();
    for (let i = 0; i < 10; i++) {
      h.now = i * 100;
      h.log.rdkafkaLog({ severity: 3, fac: 'FAIL', message: '127.0.0.1:1/1: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)' }, { group: 'g.merge' });
      h.log.rdkafkaError({ code: -195, message: 'Local: Broker transport failure' } as never, { group: 'g.ingest' }, 'rdkafka consumer error');
    }
    h.log.rdkafkaError({ code: -150, message: 'Local: Fatal error', isFatal: true } as never, {}, 'rdkafka producer error');
    expect(at(h.lines, 40).map((l) => [l.facility ?? null, l.group ?? null, l.msg])).toEqual([
      ['FAIL', 'g.merge', '127.0.0.1:1/1: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)'],
    ]);
    expect(at(h.lines, 50).map((l) => l.msg)).toEqual(['rdkafka producer error']);
    h.log.flush();
    expect(h.lines.at(-1)).toMatchObject({ level: 40, condition: 'connection', count: 20 });
  });

  it('says at error when a condition outlasts the escalation time', async () => {
    const h = harness();
    const kafkajs = h.log.kafkajsLogCreator();
    for (let t = 0; t <= 130_000; t += 1000) {
      h.now = t;
      kafkajs({ level: KAFKAJS_LEVEL.ERROR, log: { message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' } });
      await h.advance(t);
    }
    expect(h.lines.filter((l) => l.level >= 40).map((l) => [l.level, l.count ?? null])).toEqual([
      [40, null],
      [40, 31],
      [40, 61],
      [40, 91],
      [50, 121],
    ]);
    expect(h.lines.filter((l) => l.level >= 40).at(-1)!.msg).toMatch(/still retrying for over 120 s: check the brokers/);
  });

  it('logs conditions at debug once the process is stopping, and errors still as errors', () => {
    const h = harness();
    const kafkajs = h.log.kafkajsLogCreator();
    h.log.quiet();
    kafkajs({ level: KAFKAJS_LEVEL.ERROR, log: { message: 'Connection error: write after end' } });
    kafkajs({ level: KAFKAJS_LEVEL.ERROR, log: { message: 'Response SaslAuthenticate(key: 36, version: 1)', error: 'SASL PLAIN authentication failed' } });
    expect(h.lines.map((l) => [l.level, l.msg])).toEqual([
      [20, 'Connection error: write after end'],
      [50, 'Response SaslAuthenticate(key: 36, version: 1)'],
    ]);
    expect(h.ticking).toBe(false);
  });
});
