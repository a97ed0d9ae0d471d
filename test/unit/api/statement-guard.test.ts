import { describe, expect, it } from 'vitest';
import { readKind, refusalReason } from '../../../src/api/sql/statement-guard.js';

/** Inputs are what ClickHouse's formatQuerySingleLine returns (seen from chDB 26.7). */
describe('refusalReason', () => {
  it('allows single read statements', () => {
    for (const ok of [
      'SELECT 1',
      'WITH 1 AS a SELECT a',
      'SELECT 1 UNION ALL SELECT 2',
      '(SELECT 1)',
      'DESCRIBE TABLE orderlake.golden_orders',
      "SELECT 'INTO OUTFILE' AS `INTO OUTFILE`",
      "SELECT 'it\\'s INTO OUTFILE \\'x\\''",
    ]) {
      expect(refusalReason(ok), ok).toBeNull();
    }
  });

  it('refuses writes, DDL, settings, KILL and SYSTEM', () => {
    for (const bad of [
      'INSERT INTO t VALUES (1)',
      'DROP TABLE t',
      'CREATE TABLE t (n UInt8) ENGINE = Memory',
      'ALTER TABLE t DELETE WHERE 1',
      'SET readonly = 0',
      'KILL QUERY WHERE 1 ASYNC',
      'SYSTEM FLUSH LOGS',
      'TRUNCATE TABLE t',
      'OPTIMIZE TABLE t FINAL',
      'USE system',
      // No analysis to judge what they read (EXPLAIN also prints scalar subqueries' values).
      'SHOW TABLES FROM orderlake',
      'SHOW PROCESSLIST',
      'EXPLAIN AST SELECT 1',
      'EXPLAIN QUERY TREE SELECT (SELECT 1)',
      'EXISTS TABLE orderlake.lake_events',
      '',
    ]) {
      expect(refusalReason(bad), bad).toMatch(/only read statements/);
    }
  });

  it('refuses INTO OUTFILE outside string literals', () => {
    expect(refusalReason("SELECT 1 INTO OUTFILE '/tmp/x'")).toMatch(/INTO OUTFILE/);
    expect(refusalReason("SELECT 1 UNION ALL SELECT 2 INTO OUTFILE 'f' TRUNCATE")).toMatch(/INTO OUTFILE/);
    expect(refusalReason("SELECT 'a\\'' INTO OUTFILE 'f'")).toMatch(/INTO OUTFILE/);
  });
});

describe('readKind', () => {
  it('tells a DESCRIBE from a query', () => {
    expect(readKind('DESCRIBE TABLE orderlake.golden_orders')).toBe('describe');
    expect(readKind('SELECT 1')).toBe('query');
    expect(readKind('WITH 1 AS a SELECT a')).toBe('query');
    expect(readKind("SELECT 'DESCRIBE'")).toBe('query');
  });
});
