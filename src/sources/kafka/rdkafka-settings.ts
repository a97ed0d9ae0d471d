import type { Config } from '../../config.js';
import type { RdkafkaConfig } from './rdkafka-types.js';

/** How to reach the cluster, from the same settings the kafkajs client uses. */
export interface RdkafkaConnection {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  /** Consumer session timeout, ms (KAFKA_SESSION_TIMEOUT_MS); unset: 30 000. */
  sessionTimeoutMs?: number;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export function rdkafkaConnection(config: Config): RdkafkaConnection {
  return {
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    ssl: config.KAFKA_SSL,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    ...(config.KAFKA_SASL_MECHANISM
      ? {
          sasl: {
            mechanism: config.KAFKA_SASL_MECHANISM,
            username: config.KAFKA_SASL_USERNAME ?? '',
            password: config.KAFKA_SASL_PASSWORD ?? '',
          },
        }
      : {}),
  };
}

/** librdkafka's names for the SASL mechanisms KAFKA_SASL_MECHANISM accepts. */
const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** Settings every librdkafka client shares: bootstrap, identity, security, logs as events. */
export function commonConfig(connection: RdkafkaConnection): RdkafkaConfig {
  const protocol = connection.sasl ? (connection.ssl ? 'sasl_ssl' : 'sasl_plaintext') : connection.ssl ? 'ssl' : 'plaintext';
  return {
    'metadata.broker.list': connection.brokers.join(','),
    'client.id': connection.clientId,
    'security.protocol': protocol,
    ...(connection.sasl
      ? {
          'sasl.mechanisms': SASL_MECHANISMS[connection.sasl.mechanism],
          'sasl.username': connection.sasl.username,
          'sasl.password': connection.sasl.password,
        }
      : {}),
    // librdkafka's log lines become 'event.log' events for the pino logger instead of stderr.
    event_cb: true,
    // Small records, latency matters (pushes go out in milliseconds): no Nagle delay.
    'socket.nagle.disable': true,
    // Connection drops are reported as errors already; the extra log line is noise.
    'log.connection.close': false,
  };
}

/**
 * A consumer-group member. Offsets are committed by hand after each batch (never automatically,
 * never by storing the position), assignment is eager round-robin (as kafkajs's default assigner,
 * so partitions spread the same way over a group), and the fetch settings favour throughput with
 * bounded memory:
 *
 * - `max.partition.fetch.bytes` 4 MiB — kafkajs's `maxBytesPerPartition` here: large batches, few commits;
 * - `queued.min.messages` 20 000 and `queued.max.messages.kbytes` 32 MiB — the prefetch queue keeps the
 *   next batches ready while one is being handled, yet three groups per process stay under ~100 MiB
 *   (librdkafka's defaults, 100 000 records and 64 MiB, are sized for one consumer per process);
 * - `fetch.queue.backoff.ms` 10 — with the smaller queue, librdkafka's default (1 s pause once a
 *   partition's queue is full) starved the consumer: a raw 100k-record read took 1.45 s instead of 0.4 s;
 * - `enable.partition.eof` — a poll that has caught up returns at once with what it has instead of
 *   waiting out its timeout, so small batches are not held back.
 */
export function consumerConfig(
  connection: RdkafkaConnection,
  groupId: string,
  fromBeginning: boolean,
): { global: RdkafkaConfig; topic: RdkafkaConfig } {
  return {
    global: {
      ...commonConfig(connection),
      'group.id': groupId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'partition.assignment.strategy': 'roundrobin',
      'session.timeout.ms': connection.sessionTimeoutMs ?? 30_000,
      'heartbeat.interval.ms': Math.min(3000, Math.max(100, Math.floor((connection.sessionTimeoutMs ?? 30_000) / 10))),
      'max.poll.interval.ms': 300_000,
      'enable.partition.eof': true,
      'max.partition.fetch.bytes': 4 << 20,
      'fetch.max.bytes': 50 << 20,
      'queued.min.messages': 20_000,
      'queued.max.messages.kbytes': 32 << 10,
      'fetch.queue.backoff.ms': 10,
    },
    topic: { 'auto.offset.reset': fromBeginning ? 'earliest' : 'latest' },
  };
}

/**
 * The producer: idempotent with `acks=all` (no duplicates or reordering from its own retries),
 * partitioned by `murmur2_random` — Java's (and kafkajs's DefaultPartitioner's) murmur2 of the key
 * bytes, so both clients put an order on the same partition. Throughput comes from librdkafka's own
 * batching: records of concurrent `sendBatch` calls share requests, lingering up to 5 ms for up to
 * 10 000 records or 1 MiB per partition. No compression: kafkajs reads only gzip without extra
 * codecs, and a kafkajs worker must be able to read what an rdkafka worker wrote.
 */
export function producerConfig(connection: RdkafkaConnection): { global: RdkafkaConfig; topic: RdkafkaConfig } {
  return {
    global: {
      ...commonConfig(connection),
      'enable.idempotence': true,
      'linger.ms': 5,
      'batch.num.messages': 10_000,
      'batch.size': 1 << 20,
      'compression.codec': 'none',
      'queue.buffering.max.messages': 500_000,
      dr_cb: true,
    },
    topic: { 'request.required.acks': -1, partitioner: 'murmur2_random' },
  };
}
