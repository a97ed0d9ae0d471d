import { qualifiedTable } from './identifier.js';
import type { Migration } from './migrations.js';
import { TABLES } from './table-names.js';

/**
 * `lake_events.order_version`: the version of the order right after the merged batch that stored
 * the row. Golden rows are written on their own cadence, behind the lake, so a worker that dies
 * may leave events stored whose golden row is not; a takeover then restores each order at the
 * highest version either table records (see `loadOwnedState`), never re-numbering a version
 * already pushed. Rows stored before this migration read 0, which that maximum ignores.
 */
export const LAKE_VERSION_MIGRATION: Migration = {
  version: 7,
  name: 'lake_events_order_version',
  statements: (db) => [`ALTER TABLE ${qualifiedTable(db, TABLES.lake)} ADD COLUMN IF NOT EXISTS order_version UInt64 DEFAULT 0`],
};
