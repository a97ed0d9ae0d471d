import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CommittedOffset, KafkaAdmin, PartitionWatermarks, PartitionsByTopic, TopicMetadata, TopicSpec } from './kafka-port.js';
import { partitionKey, toTopicPartitions } from './partition-sets.js';
import type { Rdkafka } from './rdkafka-loader.js';
import { connectClient, disconnectClient } from './rdkafka-connect.js';
import { createKafkaClientLog, type KafkaClientLog } from './client-log.js';
import { fromRdkafkaError, hasRdkafkaCode } from './rdkafka-errors.js';
import { commonConfig, type RdkafkaConnection } from './rdkafka-settings.js';
import type { RdkafkaAdminClient, RdkafkaConsumer, RdkafkaMetadata, RdkafkaProducer, RdkafkaTopicPartitionOffset } from './rdkafka-types.js';

/** Timeout of one admin or metadata request, ms. */
const REQUEST_TIMEOUT_MS = 15_000;
/** How long new topics may take to get a leader for every partition, ms. */
const LEADER_WAIT_MS = 30_000;

/**
 * The admin subset on node-rdkafka. Its AdminClient creates topics but cannot list them, so
 * metadata comes from a second, otherwise idle, client (a producer that never produces). Metadata
 * is always asked for all topics: asking for one by name may auto-create it on brokers that allow
 * that. The watermarks come from that client too. node-rdkafka 3.x binds no admin call for a
 * group's committed offsets, so those come from one consumer per group that carries the group's
 * id but never subscribes: it only sends OffsetFetch requests, never joins the group, and commits
 * nothing.
 */
export async function createRdkafkaAdmin(deps: { rdkafka: Rdkafka; connection: RdkafkaConnection; logger: Logger; clientLog?: KafkaClientLog }): Promise<KafkaAdmin> {
  const { rdkafka } = deps;
  const clientLog = deps.clientLog ?? createKafkaClientLog({ logger: deps.logger });
  const config = commonConfig(deps.connection);
  // The AdminClient hands its settings to librdkafka untouched, and `event_cb` is node-rdkafka's own.
  const { event_cb: _eventCb, ...adminConfig } = config;
  const admin: RdkafkaAdminClient = rdkafka.AdminClient.create(adminConfig);
  const metadataClient: RdkafkaProducer = new rdkafka.Producer(config);
  metadataClient.on('event.log', (event) => clientLog.rdkafkaLog(event));
  await connectClient(metadataClient, 'rdkafka metadata client');
  const alreadyExists = rdkafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS;
  /** Closing: librdkafka reports the connections it is closing as errors, which they are not. */
  let closing = false;
  /** The offset readers, by group id, created on first use. */
  const offsetReaders = new Map<string, Promise<RdkafkaConsumer>>();

  function metadata(): Promise<RdkafkaMetadata> {
    return new Promise((resolve, reject) => {
      metadataClient.getMetadata({ allTopics: true, timeout: REQUEST_TIMEOUT_MS }, (err, data) =>
        err ? reject(fromRdkafkaError(err, 'metadata request failed')) : resolve(data),
      );
    });
  }

  async function fetchTopicMetadata(names: string[]): Promise<TopicMetadata[]> {
    const wanted = new Set(names);
    return (await metadata()).topics
      .filter((t) => wanted.has(t.name) && t.partitions.length > 0)
      .map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.id, leader: p.leader })).sort((a, b) => a.partition - b.partition),
      }));
  }

  function watermarks(topic: string, partition: number): Promise<PartitionWatermarks> {
    return new Promise((resolve, reject) => {
      metadataClient.queryWatermarkOffsets(topic, partition, REQUEST_TIMEOUT_MS, (err, offsets) =>
        err
          ? reject(fromRdkafkaError(err, `watermarks of ${topic}[${partition}]`, { topic, partition }))
          : resolve({ topic, partition, low: String(offsets.lowOffset), high: String(offsets.highOffset) }),
      );
    });
  }

  function offsetReader(groupId: string): Promise<RdkafkaConsumer> {
    let reader = offsetReaders.get(groupId);
    if (!reader) {
      const consumer: RdkafkaConsumer = new rdkafka.KafkaConsumer(
        {
          ...config,
          'group.id': groupId,
          'enable.auto.commit': false,
          // Never subscribes, so is never part of a rebalance.
          rebalance_cb: () => undefined,
        },
        {},
      );
      consumer.on('event.log', (event) => clientLog.rdkafkaLog(event, { group: groupId }));
      consumer.on('event.error', (err) =>
        closing ? deps.logger.debug({ err, group: groupId }, 'rdkafka offset reader error while closing') : clientLog.rdkafkaError(err, { group: groupId }, 'rdkafka offset reader error'),
      );
      reader = connectClient(consumer, 'rdkafka offset reader').then(() => consumer);
      // A failed connection is not cached: the next call tries again.
      reader.catch(() => offsetReaders.delete(groupId));
      offsetReaders.set(groupId, reader);
    }
    return reader;
  }

  async function fetchCommittedOffsets(groupId: string, partitions: PartitionsByTopic): Promise<CommittedOffset[]> {
    const wanted = toTopicPartitions(partitions);
    if (wanted.length === 0) return [];
    const consumer = await offsetReader(groupId);
    const found = await new Promise<RdkafkaTopicPartitionOffset[]>((resolve, reject) => {
      consumer.committed(wanted, REQUEST_TIMEOUT_MS, (err, offsets) =>
        err ? reject(fromRdkafkaError(err, `committed offsets of group ${groupId}`, { groupId })) : resolve(offsets),
      );
    });
    const byKey = new Map(found.map((o) => [partitionKey(o), o.offset]));
    // librdkafka answers RD_KAFKA_OFFSET_INVALID (-1001) where nothing is committed.
    return wanted.map(({ topic, partition }) => {
      const offset = byKey.get(partitionKey({ topic, partition })) ?? -1;
      return { topic, partition, offset: offset < 0 ? '-1' : String(offset) };
    });
  }

  function createTopic(spec: TopicSpec): Promise<void> {
    return new Promise((resolve, reject) => {
      admin.createTopic(
        { topic: spec.topic, num_partitions: spec.partitions, replication_factor: spec.replicationFactor, ...(spec.configs ? { config: { ...spec.configs } } : {}) },
        REQUEST_TIMEOUT_MS,
        (err) => (err && !hasRdkafkaCode(err, alreadyExists) ? reject(fromRdkafkaError(err, `creating topic ${spec.topic} failed`)) : resolve()),
      );
    });
  }

  return {
    async listTopics() {
      return (await metadata()).topics.map((t) => t.name);
    },
    async createTopics(topics) {
      for (const spec of topics) await createTopic(spec);
      const deadline = Date.now() + LEADER_WAIT_MS;
      const names = topics.map((t) => t.topic);
      for (;;) {
        const found = await fetchTopicMetadata(names);
        const ready = found.length === names.length && found.every((t) => t.partitions.every((p) => p.leader >= 0));
        if (ready) return;
        if (Date.now() > deadline) throw fromRdkafkaError(new Error(`no leader for every partition of ${names.join(', ')}`), 'creating topics');
        await sleep(100);
      }
    },
    fetchTopicMetadata,
    fetchWatermarks: (partitions) => Promise.all(toTopicPartitions(partitions).map(({ topic, partition }) => watermarks(topic, partition))),
    fetchCommittedOffsets,
    async close() {
      closing = true;
      admin.disconnect();
      const readers = [...offsetReaders.values()];
      offsetReaders.clear();
      await Promise.all(readers.map((reader) => reader.then(disconnectClient, () => undefined)));
      await disconnectClient(metadataClient);
    },
  };
}
