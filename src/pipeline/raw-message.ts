/**
 * One input as every source hands it to the codec: Kafka, replay files and the simulator all
 * produce these, so there is one codepath from bytes to golden view.
 */
export interface RawMessage {
  topic: string;
  partition: number;
  /** Kafka offset (int64 as a decimal string), or the line's position within its topic in a replay. */
  offset: string;
  /** Kafka append time (CreateTime/LogAppendTime) or the replay line's timestamp, epoch ms. */
  timestamp: number;
  key: Buffer | null;
  /** null: a tombstone. */
  value: Buffer | null;
  /** Replay file and 1-based line number, when the input came from a replay file. */
  file?: string;
  line?: number;
}

/**
 * A stored message back as the codec takes it. Bytes are stored as base64 text: a key `''` is a
 * null key; a value `null` is a tombstone, and `''` empty bytes. Raw messages (`raw_events`, for the
 * sandbox) and dead letters (for a re-drive) come back through here.
 */
export function fromStoredBytes(stored: {
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  key: string;
  value: string | null;
  file?: string;
  line: number;
}): RawMessage {
  return {
    topic: stored.topic,
    partition: stored.partition,
    offset: stored.offset,
    timestamp: stored.timestamp,
    key: stored.key === '' ? null : Buffer.from(stored.key, 'base64'),
    value: stored.value === null ? null : Buffer.from(stored.value, 'base64'),
    ...(stored.file !== undefined && stored.file !== '' ? { file: stored.file } : {}),
    ...(stored.line > 0 ? { line: stored.line } : {}),
  };
}
