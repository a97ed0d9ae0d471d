import { createFanOut } from './fan-out.js';
import type { CaseChange } from '../health/index.js';

export type CaseListener = (changes: readonly CaseChange[]) => void;

/**
 * The in-process fan-out of exception case changes (WebSocket hub, tests, metrics), the twin of
 * the change feed: listeners run synchronously right after the health engine applied a batch, and
 * a listener that throws is isolated from the others and from the pipeline.
 */
export interface CaseFeed {
  publish(changes: readonly CaseChange[]): void;
  subscribe(listener: CaseListener): () => void;
  readonly listenerCount: number;
}

export function createCaseFeed(options: { onListenerError?: (err: unknown) => void } = {}): CaseFeed {
  return createFanOut<CaseChange>(options);
}
