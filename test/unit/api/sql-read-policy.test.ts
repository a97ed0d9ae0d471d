import { describe, expect, it } from 'vitest';
import { QueryTreeUnreadable, readQueryTree } from '../../../src/api/sql/query-tree.js';
import { describeRefusal, readRefusal } from '../../../src/api/sql/read-policy.js';

/** `EXPLAIN QUERY TREE` output as chDB 26.7 prints it (one string per line). */
const tree = (text: string) => text.replace(/^\n/, '').split('\n');

const SUBQUERY_PHONE = tree(`
QUERY id: 0
  PROJECTION COLUMNS
    p Nullable(String)
  PROJECTION
    LIST id: 1, nodes: 1
      COLUMN id: 2, column_name: p, result_type: Nullable(String), source_id: 3
  JOIN TREE
    QUERY id: 3, alias: __table1, is_subquery: 1, is_cte: 1, cte_name: x
      PROJECTION COLUMNS
        p Nullable(String)
      PROJECTION
        LIST id: 4, nodes: 1
          COLUMN id: 5, column_name: customer_phone, result_type: Nullable(String), source_id: 6
      JOIN TREE
        TABLE id: 6, alias: __table2, table_name: ol.golden_orders, final: 1
  ORDER BY
    LIST id: 7, nodes: 1
      SORT id: 8, sort_direction: ASCENDING, with_fill: 0
        EXPRESSION p
          COLUMN id: 2, column_name: p, result_type: Nullable(String), source_id: 3`);

describe('readQueryTree', () => {
  it('lists tables with the columns read from each, through subqueries, CTEs and sort keys', () => {
    const reads = readQueryTree(SUBQUERY_PHONE);
    expect(reads.tables).toEqual(new Map([['ol.golden_orders', new Set(['customer_phone'])]]));
  });

  it('reads folded scalar subqueries, table functions and functions', () => {
    const reads = readQueryTree(tree(`
QUERY id: 0
  PROJECTION COLUMNS
    _subquery_1 Nullable(String)
  PROJECTION
    LIST id: 1, nodes: 1
      CONSTANT id: 2, constant_value: '138', constant_value_type: Nullable(String)
        EXPRESSION
          QUERY id: 3, is_subquery: 1
            PROJECTION COLUMNS
              any(view) String
            PROJECTION
              LIST id: 4, nodes: 1
                FUNCTION id: 5, function_name: any, function_type: aggregate, result_type: String
                  ARGUMENTS
                    LIST id: 6, nodes: 1
                      COLUMN id: 7, column_name: view, result_type: String, source_id: 8
            JOIN TREE
              TABLE id: 8, table_name: ol.golden_orders
  JOIN TREE
    TABLE_FUNCTION id: 9, alias: __table1, table_function_name: numbers
      ARGUMENTS`));
    expect(reads.tables.get('ol.golden_orders')).toEqual(new Set(['view']));
    expect([...reads.tableFunctions]).toEqual(['numbers']);
    expect([...reads.functions]).toEqual(['any']);
  });

  it("takes the engine's fields from the end of a line, whatever an alias imitates", () => {
    const reads = readQueryTree(tree(`
QUERY id: 0
  PROJECTION COLUMNS
    a String
  PROJECTION
    LIST id: 1, nodes: 1
      COLUMN id: 2, alias: x, column_name: order_id, result_type: String, source_id: 9, column_name: ship_phone, result_type: Nullable(String), source_id: 3
  JOIN TREE
    TABLE id: 3, alias: y, table_name: ol.golden_orders_masked, table_name: ol.golden_orders`));
    expect(reads.tables).toEqual(new Map([['ol.golden_orders', new Set(['ship_phone'])]]));
  });

  it('refuses lines it does not understand, and projection lists that could hide nodes', () => {
    const broken = [...SUBQUERY_PHONE];
    broken.splice(13, 0, ', column_name: customer_phone, result_type: String');
    expect(() => readQueryTree(broken)).toThrow(QueryTreeUnreadable);
    // A projection list made up by a name with line breaks, swallowing the real subquery.
    const injected = [...SUBQUERY_PHONE];
    injected.splice(10, 0, 'QUERY id: 99', '  PROJECTION COLUMNS');
    expect(() => readQueryTree(injected)).toThrow(QueryTreeUnreadable);
    const extraEntry = [...SUBQUERY_PHONE];
    extraEntry.splice(10, 0, '        q String');
    expect(() => readQueryTree(extraEntry)).toThrow(/projection/);
    expect(() => readQueryTree(['QUERY id: 0', '      COLUMN id: 1, column_name: a, result_type: String'])).toThrow(/indentation/);
    expect(() => readQueryTree(['QUERY id: 0', '  JOIN TREE', '    TABLE id: 3, table_name: ol.a', '    TABLE id: 3, table_name: ol.b'])).toThrow(/two tables/);
  });
});

const reads = (tables: Record<string, string[]>, tableFunctions: string[] = [], functions: string[] = []) => ({
  tables: new Map(Object.entries(tables).map(([t, c]) => [t, new Set(c)])),
  tableFunctions: new Set(tableFunctions),
  functions: new Set(functions),
});

describe('readRefusal', () => {
  const noPii = { database: 'ol', pii: false };
  const pii = { database: 'ol', pii: true };

  it('refuses personal-data columns without pii, naming the masked view', () => {
    const refusal = readRefusal(reads({ 'ol.golden_orders': ['order_id', 'customer_phone', 'view'] }), noPii);
    expect(refusal).toEqual({
      code: 'OL_ERR_SQL_PERSONAL_DATA',
      message: expect.stringContaining('ol.golden_orders.customer_phone, ol.golden_orders.view hold personal data'),
    });
    expect(refusal!.message).toContain('read ol.golden_orders_masked instead');
    for (const [table, column, view] of [
      ['lake_events', 'payload', 'lake_events_masked'],
      ['pending_shipment_events', 'payload', 'pending_shipment_events_masked'],
      ['dead_letters', 'value_json', 'dead_letters_masked'],
      ['dead_letters', 'value', 'dead_letters_masked'],
      ['dead_letters', 'reason', 'dead_letters_masked'],
      ['exception_cases', 'body', 'exception_cases_masked'],
    ]) {
      expect(readRefusal(reads({ [`ol.${table}`]: [column!] }), noPii)?.message, `${table}.${column}`).toContain(`ol.${view}`);
    }
  });

  it('allows the other columns, the masked and health views, and everything with pii', () => {
    expect(readRefusal(reads({ 'ol.golden_orders': ['order_id', 'status', 'customer_id'], 'ol.lake_events': [] }), noPii)).toBeNull();
    expect(readRefusal(reads({ 'ol.golden_orders_masked': ['customer_phone', 'view'], 'ol.health_otd_daily': ['day'] }), noPii)).toBeNull();
    expect(readRefusal(reads({ 'ol.golden_orders': ['customer_phone'], 'ol.lake_events': ['payload'] }), pii)).toBeNull();
  });

  it('refuses a table of the database not classified for personal data, unless pii', () => {
    expect(readRefusal(reads({ 'ol.some_new_table': [] }), noPii)?.message).toMatch(/not classified/);
    expect(readRefusal(reads({ 'ol.some_new_table': [] }), pii)).toBeNull();
  });

  it('refuses system tables, information_schema and other databases, with or without pii', () => {
    for (const table of ['system.tables', 'system.columns', 'INFORMATION_SCHEMA.TABLES', 'information_schema.columns', 'other.golden_orders', 'default.golden_orders']) {
      for (const access of [noPii, pii]) {
        const refusal = readRefusal(reads({ [table]: [] }), access);
        expect(refusal?.code, table).toBe('OL_ERR_SQL_REFUSED');
        expect(refusal?.message).toContain(`reading ${table} is not allowed`);
      }
    }
    expect(readRefusal(reads({ 'default.golden_orders': [] }), pii)?.message).toContain('name tables with their database');
    expect(readRefusal(reads({ 'system.one': ['dummy'], 'system.numbers': ['number'] }), noPii)).toBeNull();
  });

  it('allows generator table functions only, and no dictionary, Join or file functions', () => {
    expect(readRefusal(reads({}, ['numbers', 'values', 'zeros']), noPii)).toBeNull();
    for (const fn of ['file', 'url', 's3', 'remote', 'remoteSecure', 'mysql', 'postgresql', 'executable', 'input', 'merge', 'view', 'dictionary', 'cluster']) {
      expect(readRefusal(reads({}, [fn]), pii)?.message, fn).toContain(`table function ${fn}() is not allowed`);
    }
    for (const fn of ['dictGet', 'dictGetOrDefault', 'dictHas', 'joinGet', 'file']) {
      expect(readRefusal(reads({}, [], [fn]), pii)?.message, fn).toContain(`function ${fn}() is not allowed`);
    }
    expect(readRefusal(reads({}, [], ['plus', 'JSONExtractString']), noPii)).toBeNull();
  });
});

describe('describeRefusal', () => {
  it('allows DESCRIBE of one table of the database only', () => {
    const ast = (identifier: string) => ['DescribeQuery (children 2)', ' TableExpression (children 1)', identifier, ' Identifier JSONEachRow'];
    expect(describeRefusal(ast('  TableIdentifier ol.golden_orders'), 'ol')).toBeNull();
    expect(describeRefusal(ast('  TableIdentifier system.users'), 'ol')?.code).toBe('OL_ERR_SQL_REFUSED');
    expect(describeRefusal(ast('  TableIdentifier golden_orders'), 'ol')).not.toBeNull();
    expect(describeRefusal(ast('  Function file (children 1)'), 'ol')).not.toBeNull();
    expect(describeRefusal(['DescribeQuery (children 2)', ' TableExpression (children 1)', '  Subquery (children 1)'], 'ol')).not.toBeNull();
  });
});
