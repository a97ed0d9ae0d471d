import type { ClickHouseClient } from '@clickhouse/client';
import type { DeadLetterRow } from './dead-letter-row.js';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/** How many dead letters are stored (a retried insert of the same one counts once). */
export async function countDeadLetters(opts: { client: ClickHouseClient; database: string }): Promise<number> {
  const rows = await queryJson<{ n: number | string }>(
    opts.client,
    `SELECT count() AS n FROM ${qualifiedTable(opts.database, TABLES.deadLetters)} FINAL`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** The newest dead letters first, as they were written. */
export async function listDeadLetters(opts: { client: ClickHouseClient; database: string; limit: number }): Promise<DeadLetterRow[]> {
  const rows = await queryJson<Omit<DeadLetterRow, 'id' | 'at' | 'partition' | 'offset' | 'line'> & {
    id_text: string;
    at_ms: number | string;
    partition: number | string;
    offset_text: string;
    line: number | string;
  }>(
    opts.client,
    `SELECT toString(id) AS id_text, toUnixTimestamp64Milli(at) AS at_ms, stage, code, reason, topic, \`partition\`,
            toString(\`offset\`) AS offset_text, line, file, key, value, value_json
     FROM ${qualifiedTable(opts.database, TABLES.deadLetters)} FINAL
     ORDER BY at DESC, id DESC LIMIT {limit:UInt32}`,
    { limit: opts.limit },
  );
  return rows.map(({ id_text, at_ms, offset_text, ...r }) => ({
    ...r,
    id: id_text,
    at: Number(at_ms),
    partition: Number(r.partition),
    offset: offset_text,
    line: Number(r.line),
  }));
}
