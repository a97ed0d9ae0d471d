import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createDeliveryTracker, type DeliveryTracker } from './delivery-tracker.js';
import type { KafkaProducer, ProducedMessage } from './kafka-port.js';
import type { Rdkafka } from './rdkafka-loader.js';
import { createKafkaClientLog, type KafkaClientLog } from './client-log.js';
import { fromRdkafkaError, hasRdkafkaCode } from './rdkafka-errors.js';
import { connectClient } from './rdkafka-connect.js';
import { producerConfig, type RdkafkaConnection } from './rdkafka-settings.js';
import type { LibrdKafkaError, RdkafkaDeliveryReport, RdkafkaMessageHeader, RdkafkaProducer } from './rdkafka-types.js';

/**
 * How often delivery reports are collected, ms. librdkafka hands them over only when polled; with
 * `linger.ms` at 5 this adds at most a few milliseconds to an acknowledgement.
 */
const POLL_INTERVAL_MS = 5;
/** Pause before retrying a record the full local queue refused, ms. */
const QUEUE_FULL_BACKOFF_MS = 5;

function toHeaders(headers: Record<string, string> | undefined): RdkafkaMessageHeader[] | undefined {
  if (!headers) return undefined;
  return Object.entries(headers).map(([name, value]) => ({ [name]: value }));
}

function toKey(key: ProducedMessage['key']): Buffer | null {
  if (key === null) return null;
  return Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
}

/**
 * The producer on node-rdkafka (see `producerConfig` for the settings and why). Each record carries
 * its batch's tracker as the delivery report's opaque, so a `sendBatch` resolves exactly when every
 * one of its records is acknowledged, however many batches are in flight together.
 */
export async function createRdkafkaProducer(deps: { rdkafka: Rdkafka; connection: RdkafkaConnection; logger: Logger; clientLog?: KafkaClientLog }): Promise<KafkaProducer> {
  const { rdkafka, logger } = deps;
  const clientLog = deps.clientLog ?? createKafkaClientLog({ logger });
  const { global, topic } = producerConfig(deps.connection);
  const producer: RdkafkaProducer = new rdkafka.Producer(global, topic);
  const queueFull = rdkafka.CODES.ERRORS.ERR__QUEUE_FULL;
  producer.on('event.log', (event) => clientLog.rdkafkaLog(event));
  /** Closing: librdkafka reports the connections it is closing as errors, which they are not. */
  let closing = false;
  producer.on('event.error', (err) => {
    if (err.isFatal) logger.fatal({ err }, 'rdkafka producer hit a fatal error: it cannot produce any more');
    else if (closing) logger.debug({ err }, 'rdkafka producer error while closing');
    else clientLog.rdkafkaError(err, {}, 'rdkafka producer error');
  });
  producer.on('delivery-report', (err: LibrdKafkaError | null, report: RdkafkaDeliveryReport) => {
    const tracker = report.opaque as DeliveryTracker | undefined;
    tracker?.report(err ? fromRdkafkaError(err, 'delivery failed', { topic: report.topic, partition: report.partition }) : null);
  });
  await connectClient(producer, 'rdkafka producer');
  producer.setPollInterval(POLL_INTERVAL_MS);

  async function enqueue(topicName: string, m: ProducedMessage, tracker: DeliveryTracker): Promise<void> {
    const key = toKey(m.key);
    const headers = toHeaders(m.headers);
    for (;;) {
      try {
        producer.produce(topicName, null, m.value, key, null, tracker, headers);
        return;
      } catch (err) {
        if (!hasRdkafkaCode(err, queueFull)) throw fromRdkafkaError(err, 'produce refused', { topic: topicName });
        producer.poll();
        await sleep(QUEUE_FULL_BACKOFF_MS);
      }
    }
  }

  return {
    async sendBatch(topicMessages) {
      const total = topicMessages.reduce((n, t) => n + t.messages.length, 0);
      const tracker = createDeliveryTracker(total);
      try {
        for (const t of topicMessages) for (const m of t.messages) await enqueue(t.topic, m, tracker);
      } catch (err) {
        tracker.fail(err);
      }
      await tracker.done;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        producer.setPollInterval(0);
        producer.disconnect(10_000, () => resolve());
      }),
  };
}
