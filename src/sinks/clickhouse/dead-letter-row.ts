import { TABLES } from './table-names.js';
import { checkRow, type FieldCheck, int, millis, signedDecimal, text, uint, uuid } from './row-checks.js';
import type { TableEncoding } from './table-encoding.js';

/**
 * An input some stage rejected, kept with its reason and original bytes so it can be inspected
 * and replayed. Absent positions use `''`, `-1` or `0`, never null.
 */
export interface DeadLetterRow {
  /** UUID; also what makes a retried insert of the same dead letter collapse. */
  id: string;
  /** Epoch ms. */
  at: number;
  stage: string;
  /** An `ErrorCode` from src/errors.ts. */
  code: string;
  reason: string;
  topic: string;
  /** -1 when unknown. */
  partition: number;
  /** Decimal int64 string; '-1' when unknown. */
  offset: string;
  /** Replay file line, 0 otherwise. */
  line: number;
  file: string;
  /** Base64 of the original key bytes. */
  key: string;
  /** Base64 of the original value bytes. */
  value: string;
  /** The replay line's value as JSON, when the input was a replay line. */
  value_json: string;
}

const DEAD_LETTER_FIELDS: Record<keyof DeadLetterRow, FieldCheck> = {
  id: uuid, at: millis, stage: text, code: text, reason: text, topic: text, partition: int(32),
  offset: signedDecimal, line: uint(32), file: text, key: text, value: text, value_json: text,
};

export const DEAD_LETTER_ENCODING: TableEncoding<DeadLetterRow> = {
  table: TABLES.deadLetters,
  columns: ['id', 'at', 'stage', 'code', 'reason', 'topic', 'partition', 'offset', 'line', 'file', 'key', 'value', 'value_json'],
  values: (r) => [r.id, r.at, r.stage, r.code, r.reason, r.topic, r.partition, r.offset, r.line, r.file, r.key, r.value, r.value_json],
  check: (r) => checkRow(r, DEAD_LETTER_FIELDS),
};
