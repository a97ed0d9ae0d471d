import type { ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from './clickhouse-errors.js';
import { insertEncoded } from './client.js';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { encodeJsonCompactRows } from './row-body.js';
import { TABLES } from './table-names.js';

/** One version of a rule or pipeline file going live. Times are epoch ms. */
export interface ConfigChange {
  kind: 'rules' | 'pipelines';
  /** The file's path as the worker loaded it. */
  file: string;
  /** The file's modification time: when this version was written. */
  changedAt: number;
  /** When the worker loaded it and it took effect. */
  liveAt: number;
}

const key = (kind: string, file: string, changedAt: number) => `${kind}\u0000${file}\u0000${changedAt}`;

/**
 * Records the file versions a worker has just made live, in `config_changes`, for the
 * strategy-change response time (`health_strategy_changes`). A version (kind, file, modification
 * time) already recorded is skipped, so a restart with unchanged files adds nothing and the
 * response time stays the one of the first load; two workers starting together may both record a
 * version, and the view keeps the earliest `live_at`. The first version of a file is the
 * deployment's baseline (its mtime is when it was checked out, not a change): the view leaves it out.
 */
export async function recordConfigChanges(client: ClickHouseClient, database: string, rows: readonly ConfigChange[]): Promise<RecordedConfigChanges> {
  if (rows.length === 0) return { written: 0, changes: [] };
  const table = qualifiedTable(database, TABLES.configChanges);
  const known = await queryJson<{ kind: string; file: string; changed_ms: number | string }>(
    client,
    `SELECT DISTINCT kind, file, toUnixTimestamp64Milli(changed_at) AS changed_ms FROM ${table}
     WHERE file IN {files:Array(String)}`,
    { files: [...new Set(rows.map((r) => r.file))] },
  );
  const seen = new Set(known.map((k) => key(k.kind, k.file, Number(k.changed_ms))));
  const filesSeen = new Set(known.map((k) => `${k.kind}\u0000${k.file}`));
  const fresh: ConfigChange[] = [];
  for (const row of rows) {
    const k = key(row.kind, row.file, row.changedAt);
    if (seen.has(k)) continue;
    seen.add(k);
    fresh.push(row);
  }
  if (fresh.length === 0) return { written: 0, changes: [] };
  try {
    await insertEncoded(client, {
      database,
      table: TABLES.configChanges,
      columns: ['kind', 'file', 'changed_at', 'live_at'],
      body: await encodeJsonCompactRows(fresh, (r) => [r.kind, r.file, r.changedAt, r.liveAt]),
    });
  } catch (err) {
    throw toClickHouseError(err, 'recording config changes failed', { table });
  }
  // A file's first version is the deployment's baseline; a later one is a change.
  return { written: fresh.length, changes: fresh.filter((r) => filesSeen.has(`${r.kind}\u0000${r.file}`)) };
}

/** What {@link recordConfigChanges} wrote: every new version, and those that changed a file already known. */
export interface RecordedConfigChanges {
  written: number;
  changes: ConfigChange[];
}
