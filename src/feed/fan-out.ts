/**
 * An in-process fan-out of batches of changes: listeners run synchronously right after a batch is
 * published (a push takes microseconds); a listener that throws is isolated from the others and
 * from the publisher (`onListenerError`). The change feed and the case feed are both one.
 */
export interface FanOut<T> {
  publish(changes: readonly T[]): void;
  subscribe(listener: (changes: readonly T[]) => void): () => void;
  readonly listenerCount: number;
}

export function createFanOut<T>(options: { onListenerError?: (err: unknown) => void } = {}): FanOut<T> {
  const listeners = new Set<(changes: readonly T[]) => void>();
  return {
    publish(changes) {
      if (changes.length === 0) return;
      for (const listener of listeners) {
        try {
          listener(changes);
        } catch (err) {
          options.onListenerError?.(err);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
