/**
 * The stored side of search terms: the normalizations of `src/api/orders/search-terms.ts`
 * (`normalizePhone`, `normalizeIdentifier`) as ClickHouse SQL, so a typed value normalized in
 * TypeScript and a stored value normalized here compare equal. Each takes a column or expression
 * of the statement, never a user value: those travel as query parameters. A test runs both sides
 * on the same inputs.
 */

/**
 * `normalizePhone` in SQL: separators and a leading +86/0086 removed. `[[:space:]]` is the ASCII
 * whitespace that `\s` also matches in JavaScript; stored phones come from the CRM and carry no
 * other kind.
 */
export function phoneSql(expression: string): string {
  return `replaceRegexpOne(replaceRegexpAll(${expression}, '[[:space:]().-]', ''), '^(?:[+]86|0086)+', '')`;
}

/**
 * `normalizeIdentifier` in SQL. Stored identifiers are keys and carry no surrounding whitespace,
 * so folding the case is all the stored side needs; `upper()` folds exactly the ASCII letters.
 */
export function identifierSql(expression: string): string {
  return `upper(${expression})`;
}
