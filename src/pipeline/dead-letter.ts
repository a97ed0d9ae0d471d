import { randomUUID } from 'node:crypto';
import { toOrderlakeError, type ErrorCode } from '../errors.js';
import type { DeadLetterRow } from '../sinks/index.js';
import type { Metrics } from '../metrics.js';
import type { RawMessage } from './raw-message.js';

/** The stage that rejected an input. */
export type DeadLetterStage = 'source' | 'codec' | 'normalize' | 'link' | 'merge';

/**
 * Builds the dead-letter record for a rejected input: reason, error code and the original bytes,
 * with where they came from, so the input can be inspected and replayed.
 */
export function toDeadLetter(
  input: Partial<RawMessage> & { valueJson?: string },
  err: unknown,
  stage: DeadLetterStage,
  now: number,
  fallbackCode: ErrorCode = 'OL_ERR_CODEC_DECODE',
): DeadLetterRow {
  const error = toOrderlakeError(err, fallbackCode);
  return {
    id: randomUUID(),
    at: now,
    stage,
    code: error.code,
    reason: error.message,
    topic: input.topic ?? '',
    partition: input.partition ?? -1,
    offset: input.offset ?? '-1',
    line: input.line ?? 0,
    file: input.file ?? '',
    key: input.key ? input.key.toString('base64') : '',
    value: input.value ? input.value.toString('base64') : '',
    value_json: input.valueJson ?? '',
  };
}

/** Stores dead letters and counts them, by code, in `orderlake_dead_letters_total`. */
export type DeadLetterRecorder = (rows: DeadLetterRow[]) => void;

/**
 * The one way a stage that builds its own dead letters records them: buffered in the sink's
 * dead-letter table (stored with the next flush) and counted, so nothing is dropped unseen.
 */
export function createDeadLetterRecorder(deps: { sink: { writeDeadLetters(rows: DeadLetterRow[]): void }; metrics?: Metrics }): DeadLetterRecorder {
  return (rows) => {
    if (rows.length === 0) return;
    deps.sink.writeDeadLetters(rows);
    for (const row of rows) deps.metrics?.deadLetters.inc({ code: row.code });
  };
}
