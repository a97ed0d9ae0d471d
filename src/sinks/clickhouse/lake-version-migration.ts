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

/**
 * `lake_events.order_version_at`: the `updated_at` of the version `order_version` records, on
 * every row (a re-delivery or an event that changed nothing carries the time of the version the
 * order had then). A takeover restores an order whose golden row lags the lake at that time; before
 * this column it took the earliest `ingested_at` among the rows of that version, which a background
 * merge can lose when a later copy of the same event replaces the first (ReplacingMergeTree keeps
 * the last insert), and the restored version was re-published on the golden changelog with another
 * `updated_at`. Rows stored before read their `ingested_at`, the old answer.
 */
export const LAKE_VERSION_AT_MIGRATION: Migration = {
  version: 12,
  name: 'lake_events_order_version_at',
  statements: (db) => [`ALTER TABLE ${qualifiedTable(db, TABLES.lake)} ADD COLUMN IF NOT EXISTS order_version_at DateTime64(3, 'UTC') DEFAULT ingested_at`],
};
