/**
 * What a query reads, as ClickHouse's analyzer resolved it: the output of `EXPLAIN QUERY TREE`
 * (one row per line), after name resolution, `*` expansion, CTE and subquery inlining and
 * scalar-subquery folding (a folded subquery keeps its tree under `EXPRESSION`). Every table,
 * view, table function and function anywhere in the tree is listed, with the columns each table
 * is read for. The SQL text itself is never inspected: only the engine's own analysis.
 */
export interface QueryReads {
  /** Tables and views (`database.table`), with the columns read from each (possibly none: `count()`). */
  tables: Map<string, Set<string>>;
  /** Table functions (`numbers`, `file`, `url`, …). */
  tableFunctions: Set<string>;
  /** Functions called (`plus`, `dictGet`, …). */
  functions: Set<string>;
}

/** The tree could not be read with certainty; the query is refused rather than guessed at. */
export class QueryTreeUnreadable extends Error {}

const NODE = /^( *)([A-Z][A-Z_]*) id: (\d+)(.*)$/;
/** Section headers: `PROJECTION COLUMNS`, `JOIN TREE`, `ARGUMENTS`, `EXPRESSION`, `WHERE`, … */
const HEADER = /^( *)[A-Z][A-Z ]*[A-Z]$/;
/** A sort key's header names its expression raw: `EXPRESSION order_id`. Nothing on it is read. */
const NAMED_EXPRESSION = /^ *EXPRESSION .*$/;

/**
 * The value after the last `, <field>: ` of a node line, up to the next `, ` (or `until`). Names
 * the engine prints raw (aliases) come before the engine's own fields on a line, so the last
 * occurrence is the engine's even if an alias imitates the field.
 */
function field(rest: string, name: string, until = ', '): string | null {
  const marker = `, ${name}: `;
  const at = rest.lastIndexOf(marker);
  if (at < 0) return null;
  const value = rest.slice(at + marker.length);
  const end = value.indexOf(until);
  return end < 0 ? value : value.slice(0, end);
}

interface ColumnRef {
  column: string;
  sourceId: string;
}

/**
 * Reads `EXPLAIN QUERY TREE` lines. The engine prints aliases and projection names raw, so a name
 * with a line break could add lines of its own; the reading is therefore strict, and fails with
 * {@link QueryTreeUnreadable} rather than guess:
 * - every line is a node (`KIND id: N, …`), a section header (`JOIN TREE`, `WHERE`, …) or an
 *   entry of a `PROJECTION COLUMNS` list, and no line is more than one level (2 spaces) deeper
 *   than the line before it;
 * - a `PROJECTION COLUMNS` list follows its `QUERY` node directly, its entries are exactly one
 *   level deeper, and it is closed by the `PROJECTION` header of the same query, whose `LIST`
 *   names as many nodes as the list has entries — so added lines can never hide a real node
 *   inside a list;
 * - a node id names one table at most, and table, table function, function and column nodes carry
 *   their fields (read from the end of the line, where the engine's own fields are).
 * Lines added through a name can thus only add tables, columns or functions, never remove one:
 * they make the check stricter, not looser.
 */
export function readQueryTree(lines: readonly string[]): QueryReads {
  const tablesById = new Map<string, string>();
  const tableFunctions = new Set<string>();
  const functions = new Set<string>();
  const columns: ColumnRef[] = [];
  const rows = lines.filter((l) => l.trim() !== '');
  let previousIndent = 0;
  let previous: RegExpExecArray | null = null;

  for (let i = 0; i < rows.length; i++) {
    const line = rows[i]!;
    const indent = line.length - line.trimStart().length;
    if (indent % 2 !== 0 || indent > previousIndent + 2 || (i === 0 && indent !== 0)) {
      throw new QueryTreeUnreadable(`unexpected indentation in the query tree at line ${i + 1}`);
    }
    previousIndent = indent;
    const node = NODE.exec(line);
    if (node === null) {
      if (!HEADER.test(line) && !NAMED_EXPRESSION.test(line)) throw new QueryTreeUnreadable(`unexpected line in the query tree: ${JSON.stringify(line.slice(0, 120))}`);
      if (line.trim() === 'PROJECTION COLUMNS') {
        if (previous === null || previous[2] !== 'QUERY' || previous[1]!.length !== indent - 2 || rows[i - 1] !== previous[0]) {
          throw new QueryTreeUnreadable(`a projection list not under its query at line ${i + 1}`);
        }
        let entries = 0;
        while (i + 1 < rows.length && lineIndent(rows[i + 1]!) > indent) {
          if (lineIndent(rows[i + 1]!) !== indent + 2) throw new QueryTreeUnreadable(`unexpected indentation in a projection list at line ${i + 2}`);
          entries++;
          i++;
        }
        const header = rows[i + 1];
        const list = rows[i + 2] === undefined ? null : NODE.exec(rows[i + 2]!);
        const count = list === null ? null : / nodes: (\d+)$/.exec(list[4]!);
        if (header !== `${' '.repeat(indent)}PROJECTION` || list === null || list[2] !== 'LIST' || list[1]!.length !== indent + 2 || count === null || Number(count[1]) !== entries) {
          throw new QueryTreeUnreadable(`a projection list that does not match its projection at line ${i + 1}`);
        }
        previousIndent = indent + 2;
      }
      previous = null;
      continue;
    }
    previous = node;
    const [, , kind, id, rest] = node as unknown as [string, string, string, string, string];
    if (kind === 'TABLE') {
      const name = field(rest, 'table_name');
      if (name === null || name === '') throw new QueryTreeUnreadable(`table node ${id} without a name`);
      const known = tablesById.get(id);
      if (known !== undefined && known !== name) throw new QueryTreeUnreadable(`node id ${id} names two tables`);
      tablesById.set(id, name);
    } else if (kind === 'TABLE_FUNCTION') {
      const name = field(rest, 'table_function_name');
      if (name === null || name === '') throw new QueryTreeUnreadable(`table function node ${id} without a name`);
      tableFunctions.add(name);
    } else if (kind === 'FUNCTION') {
      const name = field(rest, 'function_name', ', function_type: ');
      if (name === null || name === '') throw new QueryTreeUnreadable(`function node ${id} without a name`);
      functions.add(name);
    } else if (kind === 'COLUMN') {
      const source = / source_id: (\d+)$/.exec(rest);
      const typed = rest.lastIndexOf(', result_type: ');
      const column = typed < 0 ? null : field(rest.slice(0, typed), 'column_name', '\u0000');
      if (column === null) throw new QueryTreeUnreadable(`column node ${id} without a name`);
      if (source !== null) columns.push({ column, sourceId: source[1]! });
    }
  }

  const tables = new Map<string, Set<string>>();
  for (const name of tablesById.values()) if (!tables.has(name)) tables.set(name, new Set());
  for (const { column, sourceId } of columns) {
    const table = tablesById.get(sourceId);
    if (table !== undefined) tables.get(table)!.add(column);
  }
  return { tables, tableFunctions, functions };
}

function lineIndent(line: string): number {
  return line.length - line.trimStart().length;
}
