import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { consumerConfig, producerConfig, rdkafkaConnection } from '../../../src/sources/kafka/rdkafka-settings.js';

const connection = rdkafkaConnection(loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9092', KAFKA_CLIENT: 'rdkafka', KAFKA_CLIENT_ID: 'ol-1' }));

describe('librdkafka settings', () => {
  it('connects like the kafkajs client does', () => {
    expect(connection).toEqual({ brokers: ['k1:9092', 'k2:9092'], clientId: 'ol-1', ssl: false, sessionTimeoutMs: 30_000 });
    const { global } = producerConfig(connection);
    expect(global['metadata.broker.list']).toBe('k1:9092,k2:9092');
    expect(global['client.id']).toBe('ol-1');
    expect(global['security.protocol']).toBe('plaintext');
  });

  it('takes the session timeout from KAFKA_SESSION_TIMEOUT_MS, heartbeating at a tenth of it (at most every 3 s)', () => {
    expect(consumerConfig(connection, 'g', true).global).toMatchObject({ 'session.timeout.ms': 30_000, 'heartbeat.interval.ms': 3000 });
    const short = rdkafkaConnection(loadConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_SESSION_TIMEOUT_MS: '10000' }));
    expect(consumerConfig(short, 'g', true).global).toMatchObject({ 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1000 });
  });

  it('maps TLS and SASL onto librdkafka names', () => {
    const secured = rdkafkaConnection(
      loadConfig({ KAFKA_BROKERS: 'k:9093', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }),
    );
    const { global } = consumerConfig(secured, 'g', true);
    expect(global['security.protocol']).toBe('sasl_ssl');
    expect(global['sasl.mechanisms']).toBe('SCRAM-SHA-512');
    expect(global['sasl.username']).toBe('u');
    expect(global['sasl.password']).toBe('p');
    const plainOverTcp = rdkafkaConnection(loadConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'plain' }));
    expect(producerConfig(plainOverTcp).global['security.protocol']).toBe('sasl_plaintext');
    expect(producerConfig(plainOverTcp).global['sasl.mechanisms']).toBe('PLAIN');
  });

  it('never commits on its own: offsets are committed by hand after each batch', () => {
    const { global, topic } = consumerConfig(connection, 'orderlake.merge', true);
    expect(global['group.id']).toBe('orderlake.merge');
    expect(global['enable.auto.commit']).toBe(false);
    expect(global['enable.auto.offset.store']).toBe(false);
    expect(topic['auto.offset.reset']).toBe('earliest');
    expect(consumerConfig(connection, 'g', false).topic['auto.offset.reset']).toBe('latest');
  });

  it('uses an eager assignor, so revokes and assigns come whole', () => {
    expect(consumerConfig(connection, 'g', true).global['partition.assignment.strategy']).toBe('roundrobin');
  });

  it('produces idempotently with acks=all, Java-compatible murmur2 partitioning and no compression', () => {
    const { global, topic } = producerConfig(connection);
    expect(global['enable.idempotence']).toBe(true);
    expect(global.dr_cb).toBe(true);
    expect(topic['request.required.acks']).toBe(-1);
    expect(topic.partitioner).toBe('murmur2_random');
    expect(global['compression.codec']).toBe('none');
  });
});
