import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { KafkaAdmin, TopicMetadata, TopicSpec } from './kafka-port.js';
import type { Rdkafka } from './rdkafka-loader.js';
import { connectClient, disconnectClient } from './rdkafka-connect.js';
import { fromRdkafkaError, hasRdkafkaCode, logRdkafkaEvent } from './rdkafka-errors.js';
import { commonConfig, type RdkafkaConnection } from './rdkafka-settings.js';
import type { RdkafkaAdminClient, RdkafkaMetadata, RdkafkaProducer } from './rdkafka-types.js';

/** Timeout of one admin or metadata request, ms. */
const REQUEST_TIMEOUT_MS = 15_000;
/** How long new topics may take to get a leader for every partition, ms. */
const LEADER_WAIT_MS = 30_000;

/**
 * The admin subset on node-rdkafka. Its AdminClient creates topics but cannot list them, so
 * metadata comes from a second, otherwise idle, client (a producer that never produces). Metadata
 * is always asked for all topics: asking for one by name may auto-create it on brokers that allow
 * that.
 */
export async function createRdkafkaAdmin(deps: { rdkafka: Rdkafka; connection: RdkafkaConnection; logger: Logger }): Promise<KafkaAdmin> {
  const { rdkafka, logger } = deps;
  const config = commonConfig(deps.connection);
  // The AdminClient hands its settings to librdkafka untouched, and `event_cb` is node-rdkafka's own.
  const { event_cb: _eventCb, ...adminConfig } = config;
  const admin: RdkafkaAdminClient = rdkafka.AdminClient.create(adminConfig);
  const metadataClient: RdkafkaProducer = new rdkafka.Producer(config);
  metadataClient.on('event.log', (event) => logRdkafkaEvent(logger, event));
  await connectClient(metadataClient, 'rdkafka metadata client');
  const alreadyExists = rdkafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS;

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

  function createTopic(spec: TopicSpec): Promise<void> {
    return new Promise((resolve, reject) => {
      admin.createTopic(
        { topic: spec.topic, num_partitions: spec.partitions, replication_factor: spec.replicationFactor },
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
    async close() {
      admin.disconnect();
      await disconnectClient(metadataClient);
    },
  };
}
