import type { Normalizer, CanonicalEvent, SourcePosition } from '../normalize/index.js';
import type { DeadLetterRow } from '../sinks/index.js';
import type { Metrics } from '../metrics.js';
import { isOrderlakeError } from '../errors.js';
import { toDeadLetter } from './dead-letter.js';
import type { RawMessage } from './raw-message.js';

/** What the ingest stage needs from the codec: a sync fast path for known writer ids, async otherwise. */
export interface ValueDecoder {
  /** Decoded record, or `undefined` when the writer schema id is not cached yet. Throws on bad input. */
  decodeKnown(topic: string, value: Buffer): unknown;
  decode(topic: string, value: Buffer): Promise<unknown>;
}

export type IngestOutcome =
  | {
      type: 'event';
      event: CanonicalEvent;
      position: SourcePosition;
      /** The pipeline and rule version that normalized it (set by live reload's ingestor). */
      configVersion?: string;
    }
  | { type: 'tombstone'; topic: string }
  | { type: 'dead'; deadLetter: DeadLetterRow };

export interface Ingestor {
  /** Decodes and normalizes a batch; every input yields exactly one outcome, in input order. */
  ingestBatch(messages: readonly RawMessage[]): Promise<IngestOutcome[]>;
}

/**
 * Stage 1 of the pipeline: bytes → canonical event, or a dead letter. Never throws for a bad input
 * (the pipeline keeps going); throws only for retriable infrastructure failures (registry down), so
 * the caller retries the batch instead of dead-lettering good data.
 */
export function createIngestor(deps: {
  decoder: ValueDecoder;
  normalizer: Normalizer;
  metrics?: Metrics;
  now: () => number;
}): Ingestor {
  const { decoder, normalizer, metrics, now } = deps;

  function normalizeOne(message: RawMessage, record: unknown | null): IngestOutcome {
    const position: SourcePosition = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      timestamp: message.timestamp,
      ...(message.line !== undefined ? { line: message.line } : {}),
    };
    try {
      const event = normalizer.normalize(message.topic, record, position);
      if (event === null) return { type: 'tombstone', topic: message.topic };
      return { type: 'event', event, position };
    } catch (err) {
      return { type: 'dead', deadLetter: toDeadLetter(message, err, 'normalize', now(), 'OL_ERR_NORMALIZE_MAPPING') };
    }
  }

  async function ingestOne(message: RawMessage): Promise<IngestOutcome> {
    if (message.value === null) return normalizeOne(message, null);
    let record: unknown;
    try {
      record = decoder.decodeKnown(message.topic, message.value);
      if (record === undefined) record = await decoder.decode(message.topic, message.value);
    } catch (err) {
      if (isOrderlakeError(err) && err.retriable) throw err;
      return { type: 'dead', deadLetter: toDeadLetter(message, err, 'codec', now(), 'OL_ERR_CODEC_DECODE') };
    }
    return normalizeOne(message, record);
  }

  return {
    async ingestBatch(messages) {
      const started = performance.now();
      const outcomes: IngestOutcome[] = new Array(messages.length);
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i]!;
        // Sync fast path: avoid a promise per message once the writer schema is cached.
        if (message.value !== null) {
          let record: unknown;
          try {
            record = decoder.decodeKnown(message.topic, message.value);
          } catch (err) {
            if (isOrderlakeError(err) && err.retriable) throw err;
            outcomes[i] = { type: 'dead', deadLetter: toDeadLetter(message, err, 'codec', now(), 'OL_ERR_CODEC_DECODE') };
            continue;
          }
          outcomes[i] = record === undefined ? await ingestOne(message) : normalizeOne(message, record);
        } else {
          outcomes[i] = normalizeOne(message, null);
        }
      }
      if (metrics) {
        metrics.decodeSeconds.observe((performance.now() - started) / 1000);
        countOutcomes(metrics, outcomes);
      }
      return outcomes;
    },
  };
}

/** Batch-level metric updates: one label lookup per distinct label, not per message. */
function countOutcomes(metrics: Metrics, outcomes: readonly IngestOutcome[]): void {
  const bySource = new Map<string, number>();
  const byTopic = new Map<string, number>();
  const byCode = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.type === 'event') bump(bySource, outcome.event.source);
    else if (outcome.type === 'tombstone') bump(byTopic, outcome.topic);
    else bump(byCode, outcome.deadLetter.code);
  }
  for (const [source, n] of bySource) metrics.eventsIn.inc({ source }, n);
  for (const [topic, n] of byTopic) metrics.tombstones.inc({ topic }, n);
  for (const [code, n] of byCode) metrics.deadLetters.inc({ code }, n);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
