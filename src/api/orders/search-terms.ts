/**
 * Search terms as agents type them, brought to the form the search compares: the same rule applies
 * to the typed value here and to the stored value in SQL (`phoneSql` and `identifierSql` in
 * src/sinks/clickhouse/search-term-sql.ts), so `+86 155 2439 1640` finds a stored
 * `15524391640` and `so-000725` finds `SO-000725`. The console carries a copy of these rules
 * (`dashboards/console/search-terms.js`, no build step); a unit test keeps the two in step.
 */

/** What people put between digit groups: whitespace, dashes, dots and parentheses. */
const PHONE_SEPARATORS = /[\s().-]/g;
/** China's country code, with `+` or `00`; repeated so that normalizing twice changes nothing. */
const COUNTRY_CODE = /^(?:\+86|0086)+/;

/**
 * A phone number without separators or a leading +86/0086 country code. Anything else is kept as
 * typed, so a value that is not a phone number at all still only finds itself.
 */
export function normalizePhone(typed: string): string {
  return typed.replace(PHONE_SEPARATORS, '').replace(COUNTRY_CODE, '');
}

/**
 * An identifier (order id, tracking number, fulfillment id) without surrounding whitespace and
 * with ASCII letters in upper case, the form the sources use. Only ASCII is folded: identifiers are
 * ASCII, and ClickHouse's `upper()` folds exactly those letters, so both sides agree on any input.
 */
export function normalizeIdentifier(typed: string): string {
  return typed.trim().replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/**
 * The ids to try, in order, for an order id as typed: exactly as given first (ids that differ only
 * in case stay distinct orders), then trimmed, then in the sources' upper case. Every candidate is
 * a point lookup on the table's sort key; the first that is a live order wins, so one typed id
 * always resolves to the same order.
 */
export function orderIdCandidates(typed: string): string[] {
  return [...new Set([typed, typed.trim(), normalizeIdentifier(typed)])].filter((id) => id !== '');
}
