import { describe, expect, it } from 'vitest';
import {
  KAFKAJS_LEVEL,
  classifyKafkajsLog,
  classifyRdkafkaError,
  classifyRdkafkaLog,
  createRepeatCounter,
  type RepeatPolicy,
} from '../../../src/sources/kafka/client-log-policy.js';

const { ERROR, WARN, INFO, DEBUG } = KAFKAJS_LEVEL;

describe('classifyKafkajsLog', () => {
  // The lines below are what kafkajs 2.2.4 logged around a Kafka 4.4 broker restart and a worker restart.
  it.each([
    [ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:46521', undefined, 'warn', 'connection'],
    [ERROR, 'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:46521', undefined, 'warn', 'connection'],
    [ERROR, 'Failed to send messages: Connection error: connect ECONNREFUSED 127.0.0.1:46521', undefined, 'warn', 'connection'],
    [ERROR, 'Connection timeout', undefined, 'warn', 'connection'],
    [ERROR, 'Crash: KafkaJSNoBrokerAvailableError: No broker available', undefined, 'warn', 'connection'],
    [ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:46521', undefined, 'warn', 'connection'],
    [ERROR, "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group", undefined, 'info', 'coordinator'],
    [ERROR, 'Crash: KafkaJSError: Request GroupCoordinator(key: 10, version: 2) failed', undefined, 'warn', 'consumer-restart'],
    [ERROR, 'Response Metadata(key: 3, version: 6)', 'There is no leader for this topic-partition as we are in the middle of a leadership election', 'warn', 'leadership'],
    [ERROR, 'Response Produce(key: 0, version: 7)', 'This server is not the leader for that topic-partition', 'warn', 'leadership'],
    [ERROR, 'Response GroupCoordinator(key: 10, version: 2)', 'The group coordinator is not available', 'info', 'coordinator'],
    [ERROR, 'Response InitProducerId(key: 22, version: 1)', "The coordinator is loading and hence can't process requests for this group", 'info', 'coordinator'],
    [ERROR, 'Response OffsetCommit(key: 8, version: 5)', 'This is not the correct coordinator for this group', 'info', 'coordinator'],
    [ERROR, 'Response Heartbeat(key: 12, version: 3)', 'The group is rebalancing, so a rejoin is needed', 'info', 'rebalance'],
    [WARN, 'The group is rebalancing, re-joining', undefined, 'info', 'rebalance'],
    [ERROR, 'The coordinator is not aware of this member, re-joining the group', undefined, 'info', 'rebalance'],
  ] as const)('level %i "%s" (%s) is a condition: %s, %s', (level, message, error, expected, condition) => {
    expect(classifyKafkajsLog({ level, message, ...(error !== undefined ? { error } : {}) })).toEqual({ level: expected, condition });
  });

  it.each([
    [ERROR, 'Response SaslAuthenticate(key: 36, version: 1)', 'SASL PLAIN authentication failed: Authentication failed'],
    [ERROR, 'Crash: KafkaJSProtocolError: Not authorized to access topics: [Topic authorization failed]', undefined],
    [ERROR, 'Failed to send messages: The request included a message larger than the max message size the server will accept', undefined],
    [ERROR, 'Crash: KafkaJSNonRetriableError: Connection error: certificate has expired', undefined],
    [ERROR, 'Error when calling eachBatch', 'Cannot read properties of undefined'],
  ] as const)('level %i "%s" is an error an operator must act on', (level, message, error) => {
    expect(classifyKafkajsLog({ level, message, ...(error !== undefined ? { error } : {}) })).toEqual({ level: 'error' });
  });

  it('keeps warnings it does not know as warnings, and turns kafkajs detail down', () => {
    expect(classifyKafkajsLog({ level: WARN, message: 'Consumer group received unsubscribed topics' })).toEqual({ level: 'warn' });
    expect(classifyKafkajsLog({ level: WARN, message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' })).toEqual({ level: 'info' });
    expect(classifyKafkajsLog({ level: ERROR, message: 'Restarting the consumer in 100ms' })).toEqual({ level: 'debug' });
    expect(classifyKafkajsLog({ level: INFO, message: 'Consumer has joined the group' })).toEqual({ level: 'debug' });
    expect(classifyKafkajsLog({ level: DEBUG, message: 'Request Fetch(key: 1, version: 11)' })).toEqual({ level: 'trace' });
  });
});

describe('classifyRdkafkaLog', () => {
  it('turns connection failures librdkafka logs at severity 3 into a counted warning', () => {
    expect(
      classifyRdkafkaLog({
        severity: 3,
        fac: 'FAIL',
        message: '[thrd:127.0.0.1:46521/bootstrap]: 127.0.0.1:46521/1: Connect to ipv4#127.0.0.1:46521 failed: Connection refused (after 0ms in state CONNECT)',
      }),
    ).toEqual({ level: 'warn', condition: 'connection' });
    expect(classifyRdkafkaLog({ severity: 3, fac: 'ERROR', message: '[thrd:app]: rdkafka#consumer-1: 1/1 brokers are down' })).toEqual({
      level: 'warn',
      condition: 'connection',
    });
    expect(
      classifyRdkafkaLog({ severity: 4, fac: 'REQTMOUT', message: '[thrd:127.0.0.1:46521/1]: 127.0.0.1:46521/1: Timed out 1 in-flight, 0 retry-queued, 0 out-queue, 0 partially-sent requests' }),
    ).toEqual({ level: 'warn', condition: 'connection' });
    expect(
      classifyRdkafkaLog({ severity: 4, fac: 'METADATAUPDATE', message: '[thrd:main]: Partition ol.events(LBDVZyx4T8SYoWgSxNTIoQ)[0]: new leader-1 not found in cache' }),
    ).toEqual({ level: 'warn', condition: 'leadership' });
    expect(
      classifyRdkafkaLog({ severity: 4, fac: 'COMMITFAIL', message: 'Offset commit (manual) failed for 1/1 partition(s) in join-state steady: Broker: Not coordinator' }),
    ).toEqual({ level: 'info', condition: 'coordinator' });
  });

  it('keeps errors that need an operator, and demotes librdkafka notices to debug', () => {
    expect(classifyRdkafkaLog({ severity: 3, fac: 'SASL', message: 'SASL authentication error: Authentication failed during authentication' })).toEqual({
      level: 'error',
    });
    expect(classifyRdkafkaLog({ severity: 3, fac: 'CONFWARN', message: 'something librdkafka has not said before' })).toEqual({ level: 'error' });
    expect(classifyRdkafkaLog({ severity: 4, fac: 'CONFWARN', message: 'Configuration property x is deprecated' })).toEqual({ level: 'warn' });
    expect(classifyRdkafkaLog({ severity: 5, fac: 'CGRPOP', message: 'Group "g" received op GET_ASSIGNMENT' })).toEqual({ level: 'debug' });
    expect(classifyRdkafkaLog({ fac: 'X', message: 'no severity' })).toEqual({ level: 'debug' });
  });
});

describe('classifyRdkafkaError', () => {
  it.each([
    [{ code: -195, message: 'Local: Broker transport failure' }, { level: 'warn', condition: 'connection' }],
    [{ code: -187, message: 'Local: All broker connections are down' }, { level: 'warn', condition: 'connection' }],
    [{ code: 6, message: 'Broker: Not leader for partition' }, { level: 'warn', condition: 'leadership' }],
    [{ code: 14, message: 'Broker: Coordinator load in progress' }, { level: 'info', condition: 'coordinator' }],
    [{ code: 27, message: 'Broker: Group rebalance in progress' }, { level: 'info', condition: 'rebalance' }],
    [{ code: -197, message: 'Local: Broker handle destroyed' }, { level: 'debug' }],
    [{ code: -150, message: 'Local: Fatal error', isFatal: true }, { level: 'error' }],
    [{ code: 58, message: 'Broker: SASL Authentication failed' }, { level: 'error' }],
    [{ code: 29, message: 'Broker: Topic authorization failed' }, { level: 'error' }],
    [{ code: -1, message: 'Local: something else' }, { level: 'warn' }],
    // As node-rdkafka 3 emits `event.error`: code -1, librdkafka's text in lower case without "Local: ".
    [{ code: -1, message: 'all broker connections are down' }, { level: 'warn', condition: 'connection' }],
    [{ code: -1, message: 'broker transport failure' }, { level: 'warn', condition: 'connection' }],
    [{ code: -1, message: 'coordinator load in progress' }, { level: 'info', condition: 'coordinator' }],
    [{ code: -1, message: 'broker handle destroyed' }, { level: 'debug' }],
    [{ code: -1, message: 'sasl authentication required' }, { level: 'error' }],
  ])('%o → %o', (err, verdict) => {
    expect(classifyRdkafkaError(err)).toEqual(verdict);
  });
});

describe('createRepeatCounter', () => {
  const policy: RepeatPolicy = { quietMs: 10_000, reportEveryMs: 30_000, escalateAfterMs: 120_000 };

  it('lets the first line through, counts the repeats, and sums them up once the condition has been quiet', () => {
    const counter = createRepeatCounter(policy);
    expect(counter.seen('connection', 1000, 'Connection error: connect ECONNREFUSED')).toBe('first');
    for (let t = 1100; t <= 16_000; t += 100) expect(counter.seen('connection', t, 'Connection error: connect ECONNREFUSED')).toBe('repeat');
    expect(counter.due(25_999)).toEqual([]);
    const [report, ...more] = counter.due(26_000);
    expect(more).toEqual([]);
    expect(report).toMatchObject({ condition: 'connection', level: 'warn', count: 151, since: 150, forMs: 15_000, cleared: true, first: 'Connection error: connect ECONNREFUSED' });
    expect(report!.message).toMatch(/^Kafka client recovered: .*seen 151 times over 15\.0 s/);
    expect(counter.active()).toEqual([]);
    // A new outage starts a new count.
    expect(counter.seen('connection', 60_000, 'again')).toBe('first');
  });

  it('needs no summary for a line that never repeated', () => {
    const counter = createRepeatCounter(policy);
    counter.seen('coordinator', 0, 'The group coordinator is not available');
    expect(counter.due(10_000)).toEqual([]);
    expect(counter.active()).toEqual([]);
  });

  it('reports a lasting condition every reportEveryMs, at error once it has lasted escalateAfterMs', () => {
    const counter = createRepeatCounter(policy);
    const reports = [];
    counter.seen('connection', 0, 'ECONNREFUSED');
    for (let t = 1000; t <= 200_000; t += 1000) {
      counter.seen('connection', t, 'ECONNREFUSED');
      reports.push(...counter.due(t));
    }
    expect(reports.map((r) => [r.level, r.cleared, r.since])).toEqual([
      ['warn', false, 30],
      ['warn', false, 30],
      ['warn', false, 30],
      ['error', false, 30],
      ['error', false, 30],
      ['error', false, 30],
    ]);
    expect(reports[3]!.message).toMatch(/still retrying for over 120 s: check the brokers/);
    const cleared = counter.due(210_000);
    expect(cleared).toMatchObject([{ level: 'warn', cleared: true, count: 201, since: 20 }]);
  });

  it('counts each condition on its own, at its own level', () => {
    const counter = createRepeatCounter(policy);
    expect(counter.seen('rebalance', 0, 'The group is rebalancing, re-joining')).toBe('first');
    expect(counter.seen('connection', 10, 'ECONNREFUSED')).toBe('first');
    expect(counter.seen('rebalance', 20, 'The group is rebalancing, re-joining')).toBe('repeat');
    expect(counter.seen('connection', 5000, 'ECONNREFUSED')).toBe('repeat');
    expect(counter.due(10_020).map((r) => [r.condition, r.level, r.count])).toEqual([['rebalance', 'info', 2]]);
    expect(counter.due(15_000).map((r) => [r.condition, r.level, r.count])).toEqual([['connection', 'warn', 2]]);
  });
});
