import { createLocalRouter, type ShipmentLinker, type ViewChange } from '../golden/index.js';
import type { DeadLetterRow } from '../sinks/index.js';
import type { Ingestor } from './ingest.js';
import type { MergeItem, MergeStage } from './merge-stage.js';
import type { RawMessage } from './raw-message.js';

export interface BatchResult {
  events: number;
  tombstones: number;
  deadLetters: number;
  changes: ViewChange[];
}

export interface EmbeddedPipeline {
  /** Runs a batch through ingest → link → merge; rows are buffered in the sink (flush to acknowledge). */
  process(messages: readonly RawMessage[]): Promise<BatchResult>;
}

/**
 * All three stages in one process, with function calls in place of the internal topics: the same
 * ingest, linker and merge code as the Kafka workers, so one worker and the embedded mode agree.
 * Every order is owned by partition 0 here.
 */
export function createEmbeddedPipeline(deps: {
  ingestor: Ingestor;
  linker: ShipmentLinker;
  merge: MergeStage;
  sink: { writeDeadLetters(rows: DeadLetterRow[]): void };
  now: () => number;
}): EmbeddedPipeline {
  const { ingestor, merge, sink, now } = deps;
  const route = createLocalRouter(deps.linker);
  const positions = new Map<string, MergeItem['position']>();
  return {
    async process(messages) {
      const outcomes = await ingestor.ingestBatch(messages);
      const items: MergeItem[] = [];
      const dead: DeadLetterRow[] = [];
      let events = 0;
      let tombstones = 0;
      for (const outcome of outcomes) {
        if (outcome.type === 'event') {
          events++;
          if (outcome.event.kind === 'tms') positions.set(outcome.event.event_id, outcome.position);
          for (const routed of route(outcome.event, now())) {
            // A tracking event resolved later keeps the position it arrived with.
            const position =
              routed.event.kind === 'tms' ? (positions.get(routed.event.event_id) ?? outcome.position) : outcome.position;
            if (routed.event.kind === 'tms') positions.delete(routed.event.event_id);
            items.push({ orderId: routed.orderId, event: routed.event, position, ownerPartition: 0 });
          }
        } else if (outcome.type === 'tombstone') {
          tombstones++;
        } else {
          dead.push(outcome.deadLetter);
        }
      }
      if (dead.length > 0) sink.writeDeadLetters(dead);
      const changes = merge.apply(items);
      return { events, tombstones, deadLetters: dead.length, changes };
    },
  };
}
