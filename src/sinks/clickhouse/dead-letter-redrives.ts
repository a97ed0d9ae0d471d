import type { ClickHouseClient } from '@clickhouse/client';
import { OrderlakeError } from '../../errors.js';
import { toClickHouseError } from './clickhouse-errors.js';
import { insertEncoded } from './client.js';
import type { DeadLetterRow } from './dead-letter-row.js';
import { qualifiedTable } from './identifier.js';
import type { Migration } from './migrations.js';
import { queryJson } from './query-json.js';
import { encodeJsonCompactRows } from './row-body.js';
import { checkRow, millis, text, uuid, type FieldCheck } from './row-checks.js';
import type { TableEncoding } from './table-encoding.js';
import { TABLES } from './table-names.js';

/**
 * `dead_letter_redrives`: one row per re-drive attempt of a dead letter. A separate table rather
 * than a new version of the `dead_letters` row: that table has no version column (its rows collapse
 * on `(at, id)` only to absorb a retried insert), and the original row stays as it was written, with
 * the bytes and reason of the first rejection. Keyed by the dead letter and the run, so a retried
 * insert of the same attempt collapses; the newest attempt (by `at`) is the dead letter's current
 * state, and one `cured` attempt is enough to leave it out of every later re-drive.
 */
export const DEAD_LETTER_REDRIVES_MIGRATION: Migration = {
  version: 10,
  name: 'create_dead_letter_redrives',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.deadLetterRedrives)} (
        dead_letter_id UUID,
        dead_letter_at DateTime64(3, 'UTC'),
        run_id UUID,
        at DateTime64(3, 'UTC'),
        outcome LowCardinality(String),
        code LowCardinality(String),
        reason String,
        config_version String
      ) ENGINE = ReplacingMergeTree
      ORDER BY (dead_letter_at, dead_letter_id, run_id)`,
  ],
};

/** What one re-drive attempt did to a dead letter. */
export type RedriveOutcome = 'cured' | 'failed';

export interface RedriveRow {
  /** The dead letter's `id` and `at` (epoch ms): together its key in `dead_letters`. */
  dead_letter_id: string;
  dead_letter_at: number;
  /** The re-drive run (one `orderlake redrive` or one API call). */
  run_id: string;
  /** Epoch ms of the attempt. */
  at: number;
  outcome: RedriveOutcome;
  /** Still failing: the error code now (it may differ from the dead letter's); cured: ''. */
  code: string;
  reason: string;
  /** The pipelines the attempt ran with (see `pipelinesVersion`). */
  config_version: string;
}

const REDRIVE_FIELDS: Record<keyof RedriveRow, FieldCheck> = {
  dead_letter_id: uuid, dead_letter_at: millis, run_id: uuid, at: millis,
  outcome: (v) => v === 'cured' || v === 'failed', code: text, reason: text, config_version: text,
};

export const REDRIVE_ENCODING: TableEncoding<RedriveRow> = {
  table: TABLES.deadLetterRedrives,
  columns: ['dead_letter_id', 'dead_letter_at', 'run_id', 'at', 'outcome', 'code', 'reason', 'config_version'],
  values: (r) => [r.dead_letter_id, r.dead_letter_at, r.run_id, r.at, r.outcome, r.code, r.reason, r.config_version],
  check: (r) => checkRow(r, REDRIVE_FIELDS),
};

/** Stores re-drive attempts; resolves once ClickHouse has acknowledged them. */
export async function insertRedriveRows(client: ClickHouseClient, database: string, rows: readonly RedriveRow[]): Promise<void> {
  if (rows.length === 0) return;
  for (const row of rows) {
    const problem = REDRIVE_ENCODING.check(row);
    if (problem !== undefined) throw new OrderlakeError('OL_ERR_SINK_ROW_INVALID', `re-drive row does not fit ${TABLES.deadLetterRedrives}: ${problem}`);
  }
  try {
    await insertEncoded(client, {
      database,
      table: REDRIVE_ENCODING.table,
      columns: REDRIVE_ENCODING.columns,
      body: await encodeJsonCompactRows(rows, REDRIVE_ENCODING.values),
    });
  } catch (err) {
    throw toClickHouseError(err, 'recording re-drive attempts failed', { table: TABLES.deadLetterRedrives });
  }
}

/** A dead letter with what earlier re-drives made of it. */
export interface DeadLetterWithRedrives extends DeadLetterRow {
  /** Whether an earlier re-drive cured (applied) it. */
  cured: boolean;
  /** Earlier re-drive attempts. */
  attempts: number;
  /** The code it fails with now: the newest attempt's, or the dead letter's own when never re-driven. */
  currentCode: string;
}

export interface DeadLetterSelection {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
  /** Only dead letters failing with this code now (see `currentCode`). */
  code?: string;
}

/** Where the previous page ended: the `(at, id)` of its last dead letter. */
export interface SelectionCursor {
  at: number;
  id: string;
}

/**
 * One page of the dead letters of a time window (`at` in [since, until)), oldest first by
 * `(at, id)` — the table's own ordering key, so a page is a range read — each with its re-drive
 * history. Every stage is listed: the caller decides what can be re-driven.
 */
export async function selectDeadLetters(
  client: ClickHouseClient,
  database: string,
  selection: DeadLetterSelection & { after?: SelectionCursor; limit: number },
): Promise<DeadLetterWithRedrives[]> {
  const dead = qualifiedTable(database, TABLES.deadLetters);
  const redrives = qualifiedTable(database, TABLES.deadLetterRedrives);
  const rows = await queryJson<{
    id_text: string;
    at_ms: number | string;
    stage: string;
    code: string;
    reason: string;
    topic: string;
    partition: number | string;
    offset_text: string;
    line: number | string;
    file: string;
    key: string;
    value: string;
    value_json: string;
    cured: number | string;
    attempts: number | string;
    current_code: string;
  }>(
    client,
    `SELECT toString(d.id) AS id_text, toUnixTimestamp64Milli(d.at) AS at_ms, d.stage AS stage, d.code AS code,
            d.reason AS reason, d.topic AS topic, d.\`partition\` AS \`partition\`, toString(d.\`offset\`) AS offset_text,
            d.line AS line, d.file AS file, d.key AS key, d.value AS value, d.value_json AS value_json,
            r.cured AS cured, r.attempts AS attempts, if(r.attempts > 0, r.last_code, d.code) AS current_code
     FROM ${dead} AS d FINAL
     LEFT JOIN (
       SELECT dead_letter_id, dead_letter_at, max(outcome = 'cured') AS cured, count() AS attempts, argMax(code, at) AS last_code
       FROM ${redrives} FINAL
       WHERE dead_letter_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND dead_letter_at < fromUnixTimestamp64Milli({until:Int64}, 'UTC')
       GROUP BY dead_letter_id, dead_letter_at
     ) AS r ON r.dead_letter_id = d.id AND r.dead_letter_at = d.at
     WHERE d.at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND d.at < fromUnixTimestamp64Milli({until:Int64}, 'UTC')
       AND (d.at, d.id) > (fromUnixTimestamp64Milli({afterAt:Int64}, 'UTC'), toUUID({afterId:String}))
       AND ({code:String} = '' OR current_code = {code:String})
     ORDER BY d.at, d.id
     LIMIT {limit:UInt32}`,
    {
      since: selection.since,
      until: selection.until,
      afterAt: selection.after?.at ?? selection.since - 1,
      afterId: selection.after?.id ?? '00000000-0000-0000-0000-000000000000',
      code: selection.code ?? '',
      limit: selection.limit,
    },
  );
  return rows.map((r) => ({
    id: r.id_text,
    at: Number(r.at_ms),
    stage: r.stage,
    code: r.code,
    reason: r.reason,
    topic: r.topic,
    partition: Number(r.partition),
    offset: r.offset_text,
    line: Number(r.line),
    file: r.file,
    key: r.key,
    value: r.value,
    value_json: r.value_json,
    cured: Number(r.cured) === 1,
    attempts: Number(r.attempts),
    currentCode: r.current_code,
  }));
}
