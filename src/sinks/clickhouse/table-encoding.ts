/**
 * How rows of one table travel to ClickHouse: `JSONCompactEachRow` with an explicit column list.
 * Measured here (chDB, 200k lake rows of ~250-byte payloads, batches of 5000) it inserts ~25%
 * faster than `JSONEachRow` — no key names to write and parse — and as fast as chDB's own raw
 * insert; binary formats do not survive chDB's connection, which turns the body into text.
 */
export interface TableEncoding<Row> {
  table: string;
  /** Column names, back-quoted where they are SQL keywords (`partition`, `offset`). */
  columns: readonly string[];
  /** The row as values in `columns` order; times stay epoch ms (DateTime64(3) reads them so). */
  values(row: Row): unknown[];
  /** Why the row would not fit the table, or undefined when it fits. */
  check(row: Row): string | undefined;
}
