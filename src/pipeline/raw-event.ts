import type { CanonicalEvent } from '../normalize/index.js';
import type { RawEventRow } from '../sinks/index.js';
import type { IngestOutcome } from './ingest.js';
import type { RawMessage } from './raw-message.js';

const DECIMAL = /^\d{1,20}$/;

/** The order a canonical event names itself, or '' (a tracking event found only through linking). */
export function namedOrderId(event: CanonicalEvent): string {
  if (event.kind === 'tms') return event.order_ref ?? '';
  return event.order_id;
}

/**
 * The `raw_events` rows of an ingested batch: every message with its bytes, and the order its
 * outcome names. `outcomes[i]` belongs to `messages[i]` (as `Ingestor.ingestBatch` returns them).
 * A message without a numeric offset (hand-made input, never Kafka or a replay) has no position to
 * find it by again, and is left out.
 */
export function rawEventRows(messages: readonly RawMessage[], outcomes: readonly IngestOutcome[], at: number): RawEventRow[] {
  const rows: RawEventRow[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (!DECIMAL.test(m.offset)) continue;
    const outcome = outcomes[i];
    rows.push({
      order_id: outcome?.type === 'event' ? namedOrderId(outcome.event) : '',
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      line: m.line ?? 0,
      kafka_time: Number.isSafeInteger(m.timestamp) ? m.timestamp : 0,
      ingested_at: at,
      key: m.key === null ? '' : m.key.toString('base64'),
      value: m.value === null ? '' : m.value.toString('base64'),
      tombstone: m.value === null ? 1 : 0,
    });
  }
  return rows;
}
