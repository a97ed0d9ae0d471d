import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_ENCODING,
  GOLDEN_ENCODING,
  LAKE_ENCODING,
  LAKE_VERSION_MIGRATION,
  MIGRATIONS,
  PENDING_SHIPMENT_ENCODING,
  type TableEncoding,
} from '../../../src/sinks/index.js';
import { deadLetterRow, goldenRow, lakeRow, pendingRow } from '../../helpers/clickhouse-rows.js';

const statements = MIGRATIONS.flatMap((m) => m.statements('db'));

function statementOf(table: string): string {
  const statement = statements.find((st) => st.includes(`\`db\`.\`${table}\` (`));
  expect(statement).toBeDefined();
  return statement!;
}

/** The columns of the CREATE statement, then those later migrations add. */
function columnsOf(table: string): string {
  const statement = statementOf(table);
  const added = statements.filter((st) => st.startsWith(`ALTER TABLE \`db\`.\`${table}\` ADD COLUMN`));
  return [statement.slice(0, statement.indexOf('ENGINE')), ...added].join('\n');
}

const bare = (column: string): string => column.replaceAll('`', '');

describe('table encodings', () => {
  const cases: Array<[string, TableEncoding<never>, Record<string, unknown>]> = [
    ['lake', LAKE_ENCODING as TableEncoding<never>, { ...lakeRow('SO-1', 1) }],
    ['golden', GOLDEN_ENCODING as TableEncoding<never>, { ...goldenRow('SO-1', 1) }],
    ['dead letters', DEAD_LETTER_ENCODING as TableEncoding<never>, { ...deadLetterRow(1) }],
    ['pending shipments', PENDING_SHIPMENT_ENCODING as TableEncoding<never>, { ...pendingRow('SF1', 1) }],
  ];

  it.each(cases)('%s: values follow the column list and cover every field of the row', (_name, encoding, row) => {
    const values = encoding.values(row as never);
    expect(values).toHaveLength(encoding.columns.length);
    encoding.columns.forEach((column, i) => expect(values[i]).toBe(row[bare(column)]));
    expect(encoding.columns.map(bare).sort()).toEqual(Object.keys(row).sort());
  });

  it.each(cases)('%s: every column exists in the table the migrations create', (_name, encoding) => {
    const statement = columnsOf(encoding.table);
    for (const column of encoding.columns) expect(statement).toMatch(new RegExp(`\\b${bare(column)}\\b`));
  });
});

describe('MIGRATIONS', () => {
  it('have rising versions and distinct names', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);
    expect(new Set(MIGRATIONS.map((m) => m.name)).size).toBe(MIGRATIONS.length);
  });

  it('only use statements that can run again', () => {
    for (const statement of statements) {
      expect(statement).toMatch(/^(CREATE TABLE IF NOT EXISTS `db`\.|CREATE OR REPLACE VIEW `db`\.|ALTER TABLE `db`\.\S+ ADD COLUMN IF NOT EXISTS )/);
    }
  });

  it('record on every lake row the version of its order (migration 7)', () => {
    expect(MIGRATIONS).toContain(LAKE_VERSION_MIGRATION);
    expect(LAKE_VERSION_MIGRATION.statements('db')).toEqual(['ALTER TABLE `db`.`lake_events` ADD COLUMN IF NOT EXISTS order_version UInt64 DEFAULT 0']);
  });

  it('give golden_orders a version and delete flag, and collapse re-delivered lake events', () => {
    expect(statementOf('golden_orders')).toMatch(/ENGINE = ReplacingMergeTree\(version, is_deleted\)\s+ORDER BY order_id$/);
    expect(statementOf('lake_events')).toMatch(/ENGINE = ReplacingMergeTree\s+ORDER BY \(owner_partition, order_id, event_uid\)$/);
  });
});
