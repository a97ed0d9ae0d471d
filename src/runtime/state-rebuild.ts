import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { CLOSED_STATUSES, type GoldenStore, type LinkInput } from '../golden/index.js';
import {
  loadOrderStates,
  loadOwnedState,
  type DeadLetterRow,
} from '../sinks/index.js';
import { type Dormancy } from '../pipeline/merge-stage.js';
import { toDeadLetter } from '../pipeline/dead-letter.js';
import { OrderlakeError } from '../errors.js';
import type { CanonicalEvent } from '../normalize/index.js';
import { type Storage } from './storage.js';

/**
 * Restores the in-memory golden state of the orders owned by `partitions` from ClickHouse, without
 * raising versions. With `dormantAfterMs` > 0, closed orders quiet for that long stay in ClickHouse,
 * held as dormant (restored when an event arrives). Returns every order of those partitions with
 * its owning partition, dormant ones included.
 */
export async function rebuildState(
  storage: Storage,
  store: GoldenStore,
  partitions: number[],
  logger: Logger,
  dormantAfterMs = 0,
): Promise<Array<{ orderId: string; partition: number }>> {
  const started = performance.now();
  const restored: Array<{ orderId: string; partition: number }> = [];
  let events = 0;
  let dormant = 0;
  const sleepClosed = dormantAfterMs > 0 ? { updatedBefore: Date.now() - dormantAfterMs, statuses: CLOSED_STATUSES } : undefined;
  for (const partition of partitions) {
    const owned = await loadOwnedState({ client: storage.client, database: storage.database, partitions: [partition], ...(sleepClosed ? { sleepClosed } : {}) });
    for (const order of owned) {
      if (order.dormant) {
        store.markDormant(order.orderId, order.version, order.updatedAt, order.isDeleted);
        dormant++;
      } else {
        store.restore(order.orderId, order.events as CanonicalEvent[], order.version, order.updatedAt);
        events += order.events.length;
      }
      restored.push({ orderId: order.orderId, partition });
    }
  }
  logger.info(
    { partitions, orders: restored.length - dormant, dormant, events, ms: Math.round(performance.now() - started) },
    'golden state rebuilt from ClickHouse',
  );
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
