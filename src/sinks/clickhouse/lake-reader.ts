import type { ClickHouseClient } from '@clickhouse/client';
import { countDeadLetters, listDeadLetters } from './dead-letter-reader.js';
import type { DeadLetterRow } from './dead-letter-row.js';
import { getGoldenView, listGoldenViews, type StoredGoldenView } from './golden-reader.js';
import { loadOwnedState, type OwnedOrderState } from './owned-state.js';
import { loadPendingShipmentEvents, type PendingShipmentEvent } from './pending-shipment-reader.js';

/** Every read orderlake makes from ClickHouse, bound to one client and database. */
export interface LakeReader {
  getGoldenView(orderId: string): Promise<unknown>;
  listGoldenViews(page: { limit: number; afterOrderId?: string }): Promise<StoredGoldenView[]>;
  loadOwnedState(partitions: readonly number[]): Promise<OwnedOrderState[]>;
  loadPendingShipmentEvents(partitions?: readonly number[]): Promise<PendingShipmentEvent[]>;
  countDeadLetters(): Promise<number>;
  listDeadLetters(page: { limit: number }): Promise<DeadLetterRow[]>;
}

/** Binds the read functions to a client and database, for stages that only read (HTTP API, CLI). */
export function createLakeReader(target: { client: ClickHouseClient; database: string }): LakeReader {
  return {
    getGoldenView: (orderId) => getGoldenView({ ...target, orderId }),
    listGoldenViews: (page) => listGoldenViews({ ...target, ...page }),
    loadOwnedState: (partitions) => loadOwnedState({ ...target, partitions }),
    loadPendingShipmentEvents: (partitions) =>
      loadPendingShipmentEvents(partitions === undefined ? target : { ...target, partitions }),
    countDeadLetters: () => countDeadLetters(target),
    listDeadLetters: (page) => listDeadLetters({ ...target, ...page }),
  };
}
