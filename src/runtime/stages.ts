import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createChangeFeed, type ChangeFeed } from '../feed/index.js';
import { createGoldenStore, createShipmentLinker, type GoldenStore, type ShipmentLinker } from '../golden/index.js';
import type { Metrics } from '../metrics.js';
import { createDeadLetterRecorder, type DeadLetterRecorder } from '../pipeline/dead-letter.js';
import { createIngestor, type Ingestor } from '../pipeline/ingest.js';
import { createMergeStage, type MergeStage } from '../pipeline/merge-stage.js';
import type { Codec } from './codec.js';
import { dormancyOf, linkOverflowDeadLetter } from './state-rebuild.js';
import type { Storage } from './storage.js';

/** The stages both modes run, wired once: the embedded pipeline and the Kafka workers drive them. */
export interface Stages {
  store: GoldenStore;
  feed: ChangeFeed;
  ingestor: Ingestor;
  merge: MergeStage;
  linker: ShipmentLinker;
  /** Stores and counts dead letters (merge, link and callers such as replay). */
  deadLetters: DeadLetterRecorder;
}

/**
 * Builds the golden store, the change feed, ingest (decode + normalize), merge (with dormancy per
 * `ORDERLAKE_DORMANT_AFTER_MS`), the shipment linker (bounded by `ORDERLAKE_LINK_MAX_PENDING`) and
 * the dead-letter recorder. `linkTopic` names where a tracking event pushed out of the linker's
 * full waiting area came from: the TMS source topic in embedded mode, `<prefix>links` on Kafka.
 */
export function createStages(
  config: Config,
  logger: Logger,
  deps: { codec: Codec; storage: Storage; metrics: Metrics; now: () => number; linkTopic: string },
): Stages {
  const { codec, storage, metrics, now } = deps;
  const store = createGoldenStore({ now });
  const feed = createChangeFeed({ onListenerError: (err) => logger.error({ err }, 'change listener failed') });
  const ingestor = createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, metrics, now });
  const merge = createMergeStage({ store, sink: storage.sink, feed, metrics, now, ...dormancyOf(config, storage, logger) });
  const deadLetters = createDeadLetterRecorder({ sink: storage.sink, metrics });
  const linker = createShipmentLinker({
    maxPending: config.ORDERLAKE_LINK_MAX_PENDING,
    onOverflow: (input) => deadLetters([linkOverflowDeadLetter(config, input, deps.linkTopic, now())]),
  });
  return { store, feed, ingestor, merge, linker, deadLetters };
}

/** The TMS source topic (where tracking events come from), from the pipelines. */
export function trackingTopicOf(codec: Codec): string {
  return codec.pipelines.find((p) => p.emits === 'tms')?.topic ?? 'tms';
}
