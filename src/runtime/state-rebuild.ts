import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { CLOSED_STATUSES, type GoldenStore, type GoldenView, type LinkInput } from '../golden/index.js';
import {
  loadOrderStates,
  loadOwnedState,
  type DeadLetterRow,
} from '../sinks/index.js';
import { type Dormancy, type MergeStage } from '../pipeline/merge-stage.js';
import { toDeadLetter } from '../pipeline/dead-letter.js';
import { OrderlakeError } from '../errors.js';
import { type Storage } from './storage.js';

/** An order a rebuild restored: its owning partition, and its view right after the restore. */
export interface RestoredOrder {
  orderId: string;
  partition: number;
  view: GoldenView | null;
}

/**
 * Restores the in-memory golden state of the orders owned by `partitions` from ClickHouse, without
 * raising versions: each order comes back at the highest version its lake or golden rows record
 * (see `loadOwnedState`), and the merge stage writes the golden row of any order whose golden row
 * lagged its events (`MergeStage.restore`). With `dormantAfterMs` > 0, closed orders quiet for that
 * long stay in ClickHouse, held as dormant (restored when an event arrives). Returns every order of
 * those partitions with its owning partition, dormant ones included, and the view it was restored
 * with (null when asleep or deleted): read right after each partition's restore, because a quiet
 * closed order restored held may fall asleep again before the caller gets to judge it (health).
 */
export async function rebuildState(
  storage: Storage,
  stages: { merge: Pick<MergeStage, 'restore'>; store: Pick<GoldenStore, 'get'> },
  partitions: number[],
  logger: Logger,
  dormantAfterMs = 0,
): Promise<RestoredOrder[]> {
  const started = performance.now();
  const restored: RestoredOrder[] = [];
  const total = { orders: 0, dormant: 0, events: 0, behind: 0 };
  const sleepClosed = dormantAfterMs > 0 ? { updatedBefore: Date.now() - dormantAfterMs, statuses: CLOSED_STATUSES } : undefined;
  for (const partition of partitions) {
    const owned = await loadOwnedState({ client: storage.client, database: storage.database, partitions: [partition], ...(sleepClosed ? { sleepClosed } : {}) });
    const summary = stages.merge.restore(owned, partition);
    for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += summary[key];
    for (const order of owned) restored.push({ orderId: order.orderId, partition, view: stages.store.get(order.orderId) });
  }
  logger.info({ partitions, ...total, ms: Math.round(performance.now() - started) }, 'golden state rebuilt from ClickHouse');
  return restored;
}

/** The dead letter of a tracking event pushed out of the linker's full waiting area. */
export function linkOverflowDeadLetter(config: Config, input: LinkInput, topic: string, at: number): DeadLetterRow {
  const error = new OrderlakeError('OL_ERR_LINK_OVERFLOW', `waiting area full (${config.ORDERLAKE_LINK_MAX_PENDING}); oldest tracking event evicted`);
  const value = input.type === 'tms' ? JSON.stringify(input.event) : JSON.stringify(input);
  return { ...toDeadLetter({ topic }, error, 'link', at), value_json: value };
}

/** How the merge stage puts quiet closed orders to sleep and wakes them (absent when disabled). */
export function dormancyOf(config: Config, storage: Storage, logger: Logger): { dormancy?: Dormancy } {
  if (config.ORDERLAKE_DORMANT_AFTER_MS === 0) return {};
  return {
    dormancy: {
      idleMs: config.ORDERLAKE_DORMANT_AFTER_MS,
      sweepEveryMs: Math.min(10_000, config.ORDERLAKE_DORMANT_AFTER_MS),
      load: (orderIds, partitions) => loadOrderStates({ client: storage.client, database: storage.database, orderIds, partitions }),
      onSlept: (count) => {
        if (count > 0) logger.debug({ count }, 'quiet closed orders left memory');
      },
    },
  };
}
