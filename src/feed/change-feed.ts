import { createFanOut } from './fan-out.js';
import type { ViewChange } from '../golden/index.js';

/**
 * A golden view change as the feed carries it: the change plus the newest source event time and
 * Kafka append time among the events that caused it, for push-latency measurements.
 */
export interface FeedChange extends ViewChange {
  /** Newest source event time (CRM ts_ms, WMS/TMS occurred_at) of the events in this change, epoch ms. */
  sourceTime: number;
  /** Newest Kafka append time (replay/simulator timestamp) of those events, epoch ms. */
  kafkaTime: number;
}

export type ChangeListener = (changes: readonly FeedChange[]) => void;

/**
 * The in-process fan-out of golden view changes (WebSocket hub, tests, metrics). Listeners run
 * synchronously right after a batch is merged, so a push takes microseconds; a listener that
 * throws is isolated from the others and from the pipeline.
 */
export interface ChangeFeed {
  publish(changes: readonly FeedChange[]): void;
  subscribe(listener: ChangeListener): () => void;
  readonly listenerCount: number;
}

export function createChangeFeed(options: { onListenerError?: (err: unknown) => void } = {}): ChangeFeed {
  return createFanOut<FeedChange>(options);
}
