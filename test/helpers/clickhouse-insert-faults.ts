import type { ClickHouseClient } from '@clickhouse/client';
import { insertEncoded, type EncodedInsert } from '../../src/sinks/index.js';

/**
 * FAULT INJECTOR — not a ClickHouse imitation. It wraps the real chDB client's insert (the sink's
 * `insert` dependency): every insert goes to the real engine unchanged, except while the test has
 * called `refuse()`, when each one fails at once as a refused connection would (`ECONNREFUSED`,
 * which the sink retries). Queries are never touched. It counts what it let through and refused,
 * and the inserts running in the engine right now.
 */
export function createInsertFaultInjector() {
  let refusing = false;
  const counts = { stored: 0, refused: 0, inEngine: 0 };
  return {
    counts,
    get refusing() {
      return refusing;
    },
    refuse() {
      refusing = true;
    },
    restore() {
      refusing = false;
    },
    async insert(client: ClickHouseClient, insert: EncodedInsert): Promise<void> {
      if (refusing) {
        counts.refused++;
        throw Object.assign(new Error(`connect ECONNREFUSED (fault injector: ClickHouse taken away) inserting into ${insert.table}`), { code: 'ECONNREFUSED' });
      }
      counts.inEngine++;
      try {
        await insertEncoded(client, insert);
        counts.stored++;
      } finally {
        counts.inEngine--;
      }
    },
  };
}
