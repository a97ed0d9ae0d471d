import { watch, type FSWatcher } from 'node:fs';

/** Tells live reload that the pipeline or rule files may have changed. Injected: tests fire it by hand. */
export interface ConfigWatcher {
  start(onChange: () => void): void;
  close(): void;
}

/** A timer a watcher can set: tests hand in their own. */
export interface WatchTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: WatchTimers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * `fs.watch` on each folder (an editor that saves by renaming replaces the file, so the folder is
 * watched, not the file), debounced: one save fires several events, and a half-written file must
 * not be judged before the write ends. A folder that cannot be watched (missing, or a file system
 * without notifications) is left to the poll that runs beside it.
 */
export function createFsConfigWatcher(dirs: readonly string[], options: { debounceMs?: number; timers?: WatchTimers; onError?: (err: unknown, dir: string) => void } = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 50;
  const timers = options.timers ?? REAL_TIMERS;
  const watchers: FSWatcher[] = [];
  let timer: unknown = null;
  return {
    start(onChange) {
      const fire = () => {
        if (timer !== null) timers.clear(timer);
        timer = timers.set(() => {
          timer = null;
          onChange();
        }, debounceMs);
      };
      for (const dir of dirs) {
        try {
          const w = watch(dir, { persistent: false }, (_event, name) => {
            if (name === null || name.endsWith('.yaml') || name.endsWith('.yml')) fire();
          });
          w.on('error', (err) => options.onError?.(err, dir));
          watchers.push(w);
        } catch (err) {
          options.onError?.(err, dir);
        }
      }
    },
    close() {
      if (timer !== null) timers.clear(timer);
      timer = null;
      for (const w of watchers.splice(0)) w.close();
    },
  };
}

/** A watcher that fires every `everyMs` (the fallback poll, and what a file system without notifications needs). */
export function createPollingConfigWatcher(everyMs: number): ConfigWatcher {
  let handle: NodeJS.Timeout | null = null;
  return {
    start(onChange) {
      handle = setInterval(onChange, everyMs);
      handle.unref();
    },
    close() {
      if (handle !== null) clearInterval(handle);
      handle = null;
    },
  };
}
