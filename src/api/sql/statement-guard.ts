/**
 * Statements an analyst may run, by their first keyword in ClickHouse's canonical formatting.
 * `readonly = 1` already makes ClickHouse refuse writes, DDL and settings changes; this allow-list
 * also keeps out what read-only mode lets through: `KILL QUERY` (chDB runs every session as the
 * same user, so an analyst could cancel the pipeline's inserts), `SYSTEM`, and `USE`. `SHOW`,
 * `EXPLAIN` and `EXISTS` are out too: what a query reads is judged on ClickHouse's analysis of a
 * SELECT (see read-policy.ts), which they do not have — and `EXPLAIN` evaluates scalar subqueries
 * and prints their values, `SHOW PROCESSLIST` shows other sessions' statements. `DESCRIBE` is
 * judged on its own (one table of the orderlake database).
 */
const READ_STATEMENTS = ['SELECT', 'WITH', 'DESCRIBE'];

/** How a statement allowed by {@link refusalReason} is checked further: a query, or a DESCRIBE. */
export type ReadKind = 'query' | 'describe';

/** The canonical text with string literals and quoted identifiers blanked out, so keywords inside them do not count. */
function outsideQuotes(canonical: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < canonical.length; i++) {
    const ch = canonical[i]!;
    if (quote !== null) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
      out += ' ';
    } else if (ch === "'" || ch === '`' || ch === '"') {
      quote = ch;
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Why a statement is refused, or null when it is a single read. Takes the statement as ClickHouse
 * itself formats it (`formatQuerySingleLine`): one statement, comments gone, keywords upper case,
 * strings single-quoted with backslash escapes. Judging ClickHouse's own parse, rather than
 * re-lexing the raw text, leaves no room for a comment or quoting trick to hide a clause.
 * `INTO OUTFILE` is refused because chDB, like clickhouse-local, writes that file on this machine.
 */
export function refusalReason(canonical: string): string | null {
  const text = outsideQuotes(canonical.trim());
  const first = /^\(*\s*([A-Z]+)/.exec(text)?.[1] ?? '';
  if (!READ_STATEMENTS.includes(first)) {
    return `only read statements (${READ_STATEMENTS.join(', ')}) are allowed; got ${first === '' ? 'an empty statement' : first}`;
  }
  if (/\bINTO\s+OUTFILE\b/.test(text)) return 'INTO OUTFILE is not allowed: results are returned in the response';
  return null;
}

/** The kind of a statement {@link refusalReason} allowed (same canonical text). */
export function readKind(canonical: string): ReadKind {
  return /^\(*\s*DESCRIBE\b/.test(outsideQuotes(canonical.trim())) ? 'describe' : 'query';
}
