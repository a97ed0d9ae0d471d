import type { ErrorCode } from '../../errors.js';
import { HEALTH_VIEWS, MASKED_VIEWS, PERSONAL_DATA_COLUMNS, TABLES } from '../../sinks/index.js';
import type { QueryReads } from './query-tree.js';

/**
 * Table functions that make rows up and read nothing: the only ones analysts may call. Every other
 * one (`file`, `url`, `s3`, `remote`, `remoteSecure`, `mysql`, `postgresql`, `executable`, `input`,
 * `merge`, `view`, `dictionary`, `cluster`, …) reads files, networks, processes or other tables.
 */
export const GENERATOR_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'values', 'generate_series', 'generateSeries',
]);

/** System tables that hold no data, only generated rows (`SELECT 1` reads `system.one`). */
export const GENERATOR_SYSTEM_TABLES: ReadonlySet<string> = new Set([
  'system.one', 'system.numbers', 'system.numbers_mt', 'system.zeros', 'system.zeros_mt',
]);

/**
 * Functions that read outside the query's tables: dictionaries (`dictGet…`, `dictHas`,
 * `dictIsIn`), Join tables (`joinGet…`), files (`file`) and model files (`catboostEvaluate`).
 */
function isForbiddenFunction(name: string): boolean {
  return name.startsWith('dict') || name.startsWith('joinGet') || name === 'file' || name === 'catboostEvaluate';
}

/**
 * Tables and views of the orderlake database that hold no personal data: analysts without `pii`
 * read them freely. A table that is neither here nor in `PERSONAL_DATA_COLUMNS` (one added later
 * and not yet classified) is refused to them.
 */
const NO_PERSONAL_DATA: ReadonlySet<string> = new Set<string>([
  ...Object.values(MASKED_VIEWS),
  ...HEALTH_VIEWS,
  TABLES.configChanges,
  TABLES.configVersions,
  TABLES.migrations,
]);

export interface ReadRefusal {
  code: Extract<ErrorCode, 'OL_ERR_SQL_REFUSED' | 'OL_ERR_SQL_PERSONAL_DATA'>;
  message: string;
}

/**
 * Whether a query may run, judged on what ClickHouse's analysis says it reads
 * ({@link QueryReads}); null when it may. For everyone: only generator table functions, no
 * dictionary, Join or file functions, and only tables of `database` (plus the data-free generator
 * tables of `system`). Without `pii`: no personal-data column of a base table (the masked views
 * are the way to that data), and no table not yet classified.
 */
export function readRefusal(reads: QueryReads, access: { database: string; pii: boolean }): ReadRefusal | null {
  const { database, pii } = access;
  for (const fn of [...reads.tableFunctions].sort()) {
    if (!GENERATOR_TABLE_FUNCTIONS.has(fn)) {
      return {
        code: 'OL_ERR_SQL_REFUSED',
        message: `table function ${fn}() is not allowed: analyst SQL reads only the tables of the ${database} database ` +
          `(no files, URLs, other servers, processes or databases); allowed table functions: ${[...GENERATOR_TABLE_FUNCTIONS].join(', ')}`,
      };
    }
  }
  for (const fn of [...reads.functions].sort()) {
    if (isForbiddenFunction(fn)) {
      return { code: 'OL_ERR_SQL_REFUSED', message: `function ${fn}() is not allowed: it reads outside the tables of the ${database} database` };
    }
  }
  const prefix = `${database}.`;
  for (const [name, columns] of [...reads.tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!name.startsWith(prefix)) {
      if (GENERATOR_SYSTEM_TABLES.has(name)) continue;
      const hint = name.startsWith('default.') ? ` (name tables with their database, e.g. ${database}.${TABLES.goldenMasked})` : '';
      return {
        code: 'OL_ERR_SQL_REFUSED',
        message: `reading ${name} is not allowed: analysts read only the tables and views of the ${database} database; ` +
          `system tables, information_schema and other databases are refused${hint}`,
      };
    }
    if (pii) continue;
    const table = name.slice(prefix.length);
    if (Object.hasOwn(PERSONAL_DATA_COLUMNS, table)) {
      const base = table as keyof typeof PERSONAL_DATA_COLUMNS;
      const personal = PERSONAL_DATA_COLUMNS[base].filter((c) => columns.has(c));
      if (personal.length > 0) {
        return {
          code: 'OL_ERR_SQL_PERSONAL_DATA',
          message: `${name}.${personal.join(`, ${name}.`)} ${personal.length > 1 ? 'hold' : 'holds'} personal data, which needs the pii permission; ` +
            `read ${database}.${MASKED_VIEWS[base]} instead (the same columns, names, phone numbers, addresses and payloads masked)`,
        };
      }
      continue;
    }
    if (!NO_PERSONAL_DATA.has(table)) {
      return {
        code: 'OL_ERR_SQL_PERSONAL_DATA',
        message: `${name} is not classified for personal data: only callers with the pii permission may read it`,
      };
    }
  }
  return null;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Whether a `DESCRIBE` may run, judged on ClickHouse's parse of it (`EXPLAIN AST`, one row per
 * line); null when it may. It must name one table or view of `database`, with its database:
 * `DESCRIBE` of a table function reads the file or URL to infer its columns, and of a subquery
 * evaluates it. Only column names and types are returned, so `pii` does not matter.
 */
export function describeRefusal(astLines: readonly string[], database: string): ReadRefusal | null {
  const [statement, expression, identifier, ...rest] = astLines;
  const name = identifier?.startsWith('  TableIdentifier ') ? identifier.slice('  TableIdentifier '.length) : '';
  const dot = name.indexOf('.');
  const ok =
    statement?.startsWith('DescribeQuery ') === true &&
    expression === ' TableExpression (children 1)' &&
    name.slice(0, dot) === database &&
    PLAIN_IDENTIFIER.test(name.slice(dot + 1)) &&
    rest.every((line) => /^ Identifier [A-Za-z]+$/.test(line));
  if (ok) return null;
  return {
    code: 'OL_ERR_SQL_REFUSED',
    message: `DESCRIBE takes one table or view of the ${database} database, named with its database (DESCRIBE TABLE ${database}.${TABLES.goldenMasked})`,
  };
}
