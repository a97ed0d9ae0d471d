import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { OrderlakeError } from '../../errors.js';
import { ensureDatabase } from './client.js';
import { qualifiedTable } from './identifier.js';
import { TABLES } from './table-names.js';
import { CASE_TABLE_MIGRATION } from './case-row.js';
import { HEALTH_VIEWS_MIGRATION } from './health-views.js';
import { LAKE_VERSION_AT_MIGRATION, LAKE_VERSION_MIGRATION } from './lake-version-migration.js';
import { MASKED_VIEWS_MIGRATION } from './masked-views.js';
import { CONFIG_VERSIONS_MIGRATION } from './config-versions.js';
import { DEAD_LETTER_REDRIVES_MIGRATION } from './dead-letter-redrives.js';
import { RAW_EVENTS_MIGRATION } from './raw-event-row.js';

/**
 * One schema change. Statements get the database name because DDL cannot take it as a query
 * parameter; each must be idempotent (`IF NOT EXISTS`, …) so that a migration interrupted half-way
 * can simply run again.
 */
export interface Migration {
  version: number;
  name: string;
  statements(database: string): readonly string[];
}

const UTC_MS = "DateTime64(3, 'UTC')";

/** Every migration, in the order they apply. Append only: an applied migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  // Re-delivered events share the sort key and collapse; `owner_partition` leads the key so a
  // takeover reads only its partitions' ranges.
  {
    version: 1,
    name: 'create_lake_events',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.lake)} (
        event_uid String,
        source LowCardinality(String),
        kind LowCardinality(String),
        order_id String,
        owner_partition UInt16,
        topic LowCardinality(String),
        \`partition\` UInt32,
        \`offset\` UInt64,
        line UInt32,
        event_time ${UTC_MS},
        kafka_time ${UTC_MS},
        ingested_at ${UTC_MS},
        payload String
      ) ENGINE = ReplacingMergeTree
      ORDER BY (owner_partition, order_id, event_uid)`,
    ],
  },
  // Tracking events waiting for their link. `resolved` is the version column: the resolved copy
  // always replaces the waiting one, and a late duplicate of the waiting one cannot revive it.
  {
    version: 2,
    name: 'create_pending_shipment_events',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.pendingShipments)} (
        event_uid String,
        tracking_no String,
        link_partition UInt16,
        link_keys Array(String),
        topic LowCardinality(String),
        \`partition\` UInt32,
        \`offset\` UInt64,
        line UInt32,
        event_time ${UTC_MS},
        kafka_time ${UTC_MS},
        ingested_at ${UTC_MS},
        payload String,
        resolved UInt8
      ) ENGINE = ReplacingMergeTree(resolved)
      ORDER BY (link_partition, event_uid)`,
    ],
  },
  // The newest version wins; a delete is a version with is_deleted = 1, hidden by FINAL.
  {
    version: 3,
    name: 'create_golden_orders',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.golden)} (
        order_id String,
        version UInt64,
        updated_at ${UTC_MS},
        is_deleted UInt8,
        owner_partition UInt16,
        status LowCardinality(Nullable(String)),
        channel LowCardinality(Nullable(String)),
        customer_id Nullable(String),
        customer_phone Nullable(String),
        ship_phone Nullable(String),
        tracking_nos Array(String),
        exceptions Array(String),
        created_at Nullable(${UTC_MS}),
        view String
      ) ENGINE = ReplacingMergeTree(version, is_deleted)
      ORDER BY order_id`,
    ],
  },
  // Replacing rather than plain MergeTree: an insert retried after a lost acknowledgement writes
  // the same (at, id) again, and must not count twice.
  {
    version: 4,
    name: 'create_dead_letters',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.deadLetters)} (
        id UUID,
        at ${UTC_MS},
        stage LowCardinality(String),
        code LowCardinality(String),
        reason String,
        topic String,
        \`partition\` Int32,
        \`offset\` Int64,
        line UInt32,
        file String,
        key String,
        value String,
        value_json String
      ) ENGINE = ReplacingMergeTree
      ORDER BY (at, id)`,
    ],
  },
  // Exception cases, versioned like the golden table (see case-row.ts).
  CASE_TABLE_MIGRATION,
  // Health figures over the lake, the golden table and the cases; config file changes.
  HEALTH_VIEWS_MIGRATION,
  // Each lake row records the order version it led to: a takeover never reuses a version.
  LAKE_VERSION_MIGRATION,
  // Views with customer names, phones, addresses and raw payloads masked, for analysts without `pii`.
  MASKED_VIEWS_MIGRATION,
  // Every source message's bytes, so candidate pipelines can decode history again (orderlake sandbox).
  RAW_EVENTS_MIGRATION,
  // Re-drive attempts of dead letters: cured (applied once) or still failing, with the config used.
  DEAD_LETTER_REDRIVES_MIGRATION,
  // Live reload (issue 13): the shared log of configuration versions, and the version behind each lake and golden row.
  CONFIG_VERSIONS_MIGRATION,
  // Each lake row records when the version it records was made: a takeover restores it exactly.
  LAKE_VERSION_AT_MIGRATION,
];

/** A migration recorded in `schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  /** Epoch ms. */
  appliedAt: number;
}

function checkOrder(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new OrderlakeError('OL_ERR_MIGRATION', `migration versions must rise strictly: ${migrations[i - 1]!.version} then ${migrations[i]!.version}`);
    }
  }
}

/** The migrations recorded as applied, oldest first. */
export async function listAppliedMigrations(opts: { client: ClickHouseClient; database: string }): Promise<AppliedMigration[]> {
  const result = await opts.client.query({
    query: `SELECT version, name, toUnixTimestamp64Milli(applied_at) AS applied_at
            FROM ${qualifiedTable(opts.database, TABLES.migrations)} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number | string; name: string; applied_at: number | string }>();
  return rows.map((r) => ({ version: Number(r.version), name: r.name, appliedAt: Number(r.applied_at) }));
}

/**
 * Brings the database up to the newest schema. Idempotent: applied versions are skipped, so a
 * second run is a no-op, and two processes starting together at worst both run the same
 * `IF NOT EXISTS` statements. A failing statement stops the run with `OL_ERR_MIGRATION` naming
 * the migration; it is recorded only once all its statements succeeded.
 */
export async function runMigrations(opts: {
  client: ClickHouseClient;
  database: string;
  logger: Logger;
  migrations?: readonly Migration[];
}): Promise<{ applied: number[] }> {
  const { client, database, logger } = opts;
  const migrations = opts.migrations ?? MIGRATIONS;
  checkOrder(migrations);
  const ledger = qualifiedTable(database, TABLES.migrations);
  try {
    await ensureDatabase(client, database);
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS ${ledger} (version UInt32, name String, applied_at ${UTC_MS})
              ENGINE = ReplacingMergeTree ORDER BY version`,
    });
  } catch (err) {
    throw new OrderlakeError('OL_ERR_MIGRATION', `cannot prepare ${ledger}: ${(err as Error).message}`, { cause: err });
  }
  const done = new Map((await listAppliedMigrations({ client, database })).map((m) => [m.version, m.name]));
  const applied: number[] = [];
  for (const migration of migrations) {
    const recordedName = done.get(migration.version);
    if (recordedName !== undefined) {
      if (recordedName !== migration.name) {
        logger.warn({ version: migration.version, recorded: recordedName, code: migration.name }, 'applied migration has a different name in code');
      }
      continue;
    }
    const statements = migration.statements(database);
    for (let i = 0; i < statements.length; i++) {
      try {
        await client.command({ query: statements[i]! });
      } catch (err) {
        throw new OrderlakeError(
          'OL_ERR_MIGRATION',
          `migration ${migration.version} (${migration.name}) failed at statement ${i + 1}: ${(err as Error).message}`,
          { cause: err, context: { migration: migration.name, version: migration.version, statement: i + 1 } },
        );
      }
    }
    await client.command({
      query: `INSERT INTO ${ledger} (version, name, applied_at) SELECT {version:UInt32}, {name:String}, now64(3, 'UTC')`,
      query_params: { version: migration.version, name: migration.name },
    });
    applied.push(migration.version);
    logger.info({ database, version: migration.version, name: migration.name }, 'migration applied');
  }
  return { applied };
}
