import type { ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from './clickhouse-errors.js';
import { insertEncoded } from './client.js';
import { qualifiedTable } from './identifier.js';
import type { Migration } from './migrations.js';
import { queryJson } from './query-json.js';
import { encodeJsonCompactRows } from './row-body.js';
import { TABLES } from './table-names.js';

const UTC_MS = "DateTime64(3, 'UTC')";

/**
 * Migration 11, live reload: `config_versions` is the shared log every worker polls to switch to
 * the same pipeline and rule version (one row per publication, newest `published_at` is the
 * cluster's target), and `lake_events` / `golden_orders` record the version that produced each
 * row (`''` for rows stored before, or written by tools). Plain MergeTree: a version published
 * again (a revert) is a new row, and the newest row is what counts.
 */
export const CONFIG_VERSIONS_MIGRATION: Migration = {
  version: 11,
  name: 'config_versions',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.configVersions)} (
      version String,
      published_at ${UTC_MS},
      changed_at ${UTC_MS},
      worker String,
      changed Array(String),
      files String
    ) ENGINE = MergeTree
    ORDER BY (published_at, version)`,
    `ALTER TABLE ${qualifiedTable(db, TABLES.lake)} ADD COLUMN IF NOT EXISTS config_version LowCardinality(String) DEFAULT ''`,
    `ALTER TABLE ${qualifiedTable(db, TABLES.golden)} ADD COLUMN IF NOT EXISTS config_version LowCardinality(String) DEFAULT ''`,
  ],
};

/** One file of a published configuration version: enough for another worker to run exactly it. */
export interface PublishedConfigFile {
  kind: 'pipelines' | 'rules';
  /** File name inside its folder (`crm-orders.yaml`, or a rule's file name). */
  name: string;
  /** Modification time, epoch ms. */
  changedAt: number;
  text: string;
}

/** A configuration version as published to `config_versions`. Times are epoch ms. */
export interface PublishedConfigVersion {
  version: string;
  publishedAt: number;
  /** When the change was saved: the newest modification time of the files it changed. */
  changedAt: number;
  /** The worker that saw the change first (`host-pid`). */
  worker: string;
  /** `kind/name` of the files changed against the version it replaced. */
  changed: string[];
  files: PublishedConfigFile[];
}

/** Appends a version to the shared log; every worker polling it switches to it. */
export async function publishConfigVersion(client: ClickHouseClient, database: string, record: PublishedConfigVersion): Promise<void> {
  try {
    await insertEncoded(client, {
      database,
      table: TABLES.configVersions,
      columns: ['version', 'published_at', 'changed_at', 'worker', 'changed', 'files'],
      body: await encodeJsonCompactRows([record], (r) => [r.version, r.publishedAt, r.changedAt, r.worker, r.changed, JSON.stringify(r.files)]),
    });
  } catch (err) {
    throw toClickHouseError(err, 'publishing a configuration version failed', { table: TABLES.configVersions });
  }
}

interface VersionRow {
  version: string;
  published_ms: number | string;
  changed_ms: number | string;
  worker: string;
  changed: string[];
  files?: string;
}

function toRecord(row: VersionRow): PublishedConfigVersion {
  return {
    version: row.version,
    publishedAt: Number(row.published_ms),
    changedAt: Number(row.changed_ms),
    worker: row.worker,
    changed: row.changed,
    files: row.files === undefined || row.files === '' ? [] : (JSON.parse(row.files) as PublishedConfigFile[]),
  };
}

/** The newest published version with its files, or null when nothing was published yet. */
export async function latestConfigVersion(client: ClickHouseClient, database: string): Promise<PublishedConfigVersion | null> {
  const rows = await queryJson<VersionRow>(
    client,
    `SELECT version, toUnixTimestamp64Milli(published_at) AS published_ms, toUnixTimestamp64Milli(changed_at) AS changed_ms, worker, changed, files
     FROM ${qualifiedTable(database, TABLES.configVersions)} ORDER BY published_at DESC, version DESC LIMIT 1`,
  );
  return rows[0] === undefined ? null : toRecord(rows[0]);
}

/** The publications, newest first, without the file texts (GET /config). */
export async function listConfigVersions(client: ClickHouseClient, database: string, limit: number): Promise<PublishedConfigVersion[]> {
  const rows = await queryJson<VersionRow>(
    client,
    `SELECT version, toUnixTimestamp64Milli(published_at) AS published_ms, toUnixTimestamp64Milli(changed_at) AS changed_ms, worker, changed
     FROM ${qualifiedTable(database, TABLES.configVersions)} ORDER BY published_at DESC, version DESC LIMIT {limit:UInt32}`,
    { limit },
  );
  return rows.map(toRecord);
}
