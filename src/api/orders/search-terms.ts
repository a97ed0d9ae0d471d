/**
 * Search terms as agents type them, brought to the form the search compares: the same rule applies
 * to the typed value here and to the stored value in SQL, so `+86 155 2439 1640` finds a stored
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
 * {@link normalizePhone} in ClickHouse SQL, for a column or expression of the statement (never a
 * user value: those travel as query parameters). `[[:space:]]` is the ASCII whitespace that `\s`
 * also matches in JavaScript; stored phones come from the CRM and carry no other kind.
 */
export function phoneSql(expression: string): string {
  return `replaceRegexpOne(replaceRegexpAll(${expression}, '[[:space:]().-]', ''), '^(?:[+]86|0086)+', '')`;
}

/**
 * {@link normalizeIdentifier} in ClickHouse SQL. Stored identifiers are keys and carry no
 * surrounding whitespace, so folding the case is all the stored side needs.
 */
export function identifierSql(expression: string): string {
  return `upper(${expression})`;
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
