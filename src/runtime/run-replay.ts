import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createEmbeddedRuntime } from './embedded-runtime.js';
import { readReplayFile } from '../sources/replay-file.js';
import { toDeadLetter } from '../pipeline/dead-letter.js';
import type { RawMessage } from '../pipeline/raw-message.js';
import { compareCodePoints } from '../golden/index.js';

export interface ReplayOptions {
  file: string;
  out?: string;
  /** Write every exception case the recording produces (open and resolved), one per line. */
  cases?: string;
  database: string;
  dataPath: string;
  batchSize: number;
  progress: (line: string) => void;
}

export interface ReplaySummary {
  file: string;
  linesRead: number;
  events: number;
  applied: number;
  duplicates: number;
  tombstones: number;
  deadLetters: number;
  orders: number;
  deletedOrders: number;
  pendingShipmentEvents: number;
  /** With `cases`: cases the health rules opened, and how many of them are still open at the end. */
  cases?: { total: number; open: number };
  seconds: number;
  eventsPerSecond: number;
}

/**
 * `orderlake replay FILE`: feeds a recorded file through encode → decode → normalize → link →
 * merge → ClickHouse, starting from an empty state (a recording is self-contained), and optionally
 * writes the golden views, one per line, sorted by order id.
 */
export async function runReplay(config: Config, logger: Logger, options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  // With `cases`, the health rules run in event time exactly as in the live pipeline (the same stage,
  // fed batch by batch), without the wall clock: the cases depend on the recording alone. They are
  // stored in ClickHouse too.
  const runtime = await createEmbeddedRuntime(config, logger, {
    dataPath: options.dataPath,
    database: options.database,
    recreate: true,
    health: options.cases !== undefined,
    healthClock: false,
  });
  const { pipeline, storage, health } = runtime;
  let linesRead = 0;
  let events = 0;
  let tombstones = 0;
  let deadLetters = 0;
  let lastProgress = performance.now();
  let batch: RawMessage[] = [];

  const runBatch = async () => {
    if (batch.length === 0) return;
    const result = await pipeline.process(batch);
    events += result.events;
    tombstones += result.tombstones;
    deadLetters += result.deadLetters;
    batch = [];
  };

  try {
    for await (const item of readReplayFile(options.file, runtime.codec.encoder)) {
      linesRead++;
      if (item.type === 'rejected') {
        deadLetters++;
        runtime.deadLetters([{ ...toDeadLetter(item.partial, item.error, 'source', Date.now()), value_json: item.text }]);
        continue;
      }
      batch.push(item.message);
      if (batch.length >= options.batchSize) await runBatch();
      const t = performance.now();
      if (t - lastProgress >= 1000) {
        lastProgress = t;
        const secs = (t - started) / 1000;
        options.progress(`replay: ${linesRead} lines, ${events} events, ${deadLetters} dead letters, ${Math.round(events / secs)} events/s`);
      }
    }
    await runBatch();
    await storage.sink.flush();
    // Orders that went to sleep during a long replay are part of its result: wake them for the output.
    const asleep = [...runtime.store.dormantLiveIds()];
    for (let start = 0; start < asleep.length; start += 1000) {
      await runtime.merge.wake(asleep.slice(start, start + 1000).map((orderId) => ({ orderId, ownerPartition: 0 })));
    }

    const stats = runtime.store.stats();
    const ids = [...runtime.store.orderIds()].sort(compareCodePoints);
    let orders = 0;
    let deletedOrders = 0;
    const out = options.out ? createWriteStream(path.resolve(options.out), { encoding: 'utf8' }) : null;
    for (const id of ids) {
      const view = runtime.store.get(id);
      if (view === null) continue;
      orders++;
      if (out && !out.write(JSON.stringify(view) + '\n')) await once(out, 'drain');
    }
    if (orders !== stats.orders) {
      // Only a dormant order whose stored state is gone can be missing; its events are dead letters.
      logger.warn({ written: orders, known: stats.orders }, 'some orders asleep could not be restored for the output');
    }
    deletedOrders = stats.deletedOrders;
    if (out) {
      out.end();
      await once(out, 'finish');
    }
    let cases: ReplaySummary['cases'];
    if (health && options.cases) {
      const all = health.held();
      const file = createWriteStream(path.resolve(options.cases), { encoding: 'utf8' });
      for (const c of all) if (!file.write(JSON.stringify(c) + '\n')) await once(file, 'drain');
      file.end();
      await once(file, 'finish');
      cases = { total: all.length, open: all.filter((c) => c.status !== 'resolved').length };
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      file: options.file,
      linesRead,
      events,
      applied: stats.applied,
      duplicates: stats.duplicates,
      tombstones,
      // The merge stage's own dead letters (events of orders it could not restore) count too.
      deadLetters: deadLetters + runtime.merge.deadLettered,
      orders,
      deletedOrders,
      pendingShipmentEvents: runtime.linker.pendingCount,
      ...(cases ? { cases } : {}),
      seconds: Math.round(seconds * 1000) / 1000,
      eventsPerSecond: Math.round(events / seconds),
    };
  } finally {
    await runtime.close();
  }
}
