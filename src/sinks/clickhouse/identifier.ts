import { OrderlakeError } from '../../errors.js';

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A database or table name ready to splice into SQL. DDL cannot take names as query parameters,
 * so names are restricted to plain identifiers (what the config schema allows) and back-quoted;
 * anything else is a configuration error rather than an injection risk.
 */
export function quoteIdentifier(name: string): string {
  if (!PLAIN_IDENTIFIER.test(name)) {
    throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `not a plain ClickHouse identifier: ${JSON.stringify(name)}`);
  }
  return `\`${name}\``;
}

/** `db`.`table`, both checked by {@link quoteIdentifier}. */
export function qualifiedTable(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}
