import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * Rows serialized per slice before the event loop is given back: serializing a whole batch of
 * several thousand rows in one go held up WebSocket pushes and lookups for 20–40 ms.
 */
export const ROWS_PER_SLICE = 500;

/**
 * Serializes rows as a `JSONCompactEachRow` body, one JSON array per line, yielding to the event
 * loop between slices. A value that is a plain object (an event payload, a golden view) is written
 * as JSON inside the row, not as an escaped string: ClickHouse reads an object into a `String`
 * column as its JSON text (`input_format_json_read_objects_as_strings`), so it is serialized once.
 */
export async function encodeJsonCompactRows<Row>(rows: readonly Row[], values: (row: Row) => unknown[], rowsPerSlice = ROWS_PER_SLICE): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let start = 0; start < rows.length; start += rowsPerSlice) {
    if (start > 0) await yieldToLoop();
    const end = Math.min(rows.length, start + rowsPerSlice);
    let text = '';
    for (let i = start; i < end; i++) text += `${JSON.stringify(values(rows[i]!))}\n`;
    parts.push(Buffer.from(text));
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
