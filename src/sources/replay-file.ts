import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { OrderlakeError } from '../errors.js';
import type { RawMessage } from '../pipeline/raw-message.js';

/** What replay needs from the codec: the writer-schema encoder the producers would have used. */
export interface ReplayEncoder {
  encode(topic: string, writerSchemaName: string, value: unknown): Promise<Buffer>;
  /** Sync fast path once the writer schema is registered; `undefined` otherwise. */
  encodeKnown(topic: string, writerSchemaName: string, value: unknown): Buffer | undefined;
  encodeKey(topic: string, key: string | Record<string, unknown>): Promise<Buffer>;
}

export type ReplayItem =
  | { type: 'message'; message: RawMessage }
  /** A line that cannot become a message (bad JSON, or a value its writer schema cannot encode). */
  | { type: 'rejected'; line: number; file: string; error: OrderlakeError; text: string; partial: Partial<RawMessage> };

interface ReplayLine {
  topic: string;
  key: string | Record<string, unknown> | null;
  schema: string;
  value: unknown;
  partition?: number;
  offset?: number | string;
  timestamp?: number;
}

function parseLine(text: string): ReplayLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new OrderlakeError('OL_ERR_REPLAY_LINE', `not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OrderlakeError('OL_ERR_REPLAY_LINE', 'a replay line must be a JSON object');
  }
  const line = parsed as Record<string, unknown>;
  if (typeof line.topic !== 'string' || line.topic === '') throw new OrderlakeError('OL_ERR_REPLAY_LINE', '"topic" must be a non-empty string');
  if (typeof line.schema !== 'string' || line.schema === '') throw new OrderlakeError('OL_ERR_REPLAY_LINE', '"schema" must name a writer schema');
  if (!('value' in line)) throw new OrderlakeError('OL_ERR_REPLAY_LINE', '"value" is missing (use null for a tombstone)');
  const key = line.key ?? null;
  if (key !== null && typeof key !== 'string' && (typeof key !== 'object' || Array.isArray(key))) {
    throw new OrderlakeError('OL_ERR_REPLAY_LINE', '"key" must be a string or a JSON object');
  }
  if (line.partition !== undefined && (!Number.isInteger(line.partition) || (line.partition as number) < 0)) {
    throw new OrderlakeError('OL_ERR_REPLAY_LINE', '"partition" must be a non-negative integer');
  }
  if (line.offset !== undefined && !/^\d+$/.test(String(line.offset))) {
    throw new OrderlakeError('OL_ERR_REPLAY_LINE', '"offset" must be a non-negative integer');
  }
  if (line.timestamp !== undefined && !Number.isFinite(line.timestamp)) {
    throw new OrderlakeError('OL_ERR_REPLAY_LINE', '"timestamp" must be epoch milliseconds');
  }
  return line as unknown as ReplayLine;
}

/**
 * Reads a replay file (JSON Lines, the contract's format) and turns every line into the bytes a
 * producer would have written — the value encoded with its writer schema in the Confluent wire
 * format — so replay exercises the codec exactly as Kafka does. Offsets default to the line's
 * position within its topic.
 */
export async function* readReplayFile(file: string, encoder: ReplayEncoder): AsyncGenerator<ReplayItem> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const perTopic = new Map<string, number>();
  let lineNo = 0;
  for await (const text of lines) {
    lineNo++;
    if (text.trim() === '') continue;
    let line: ReplayLine;
    try {
      line = parseLine(text);
    } catch (err) {
      yield { type: 'rejected', line: lineNo, file, error: err as OrderlakeError, text, partial: { line: lineNo, file } };
      continue;
    }
    const index = perTopic.get(line.topic) ?? 0;
    perTopic.set(line.topic, index + 1);
    const partial: Partial<RawMessage> = {
      topic: line.topic,
      partition: line.partition ?? 0,
      offset: line.offset !== undefined ? String(line.offset) : String(index),
      timestamp: line.timestamp ?? 0,
      line: lineNo,
      file,
    };
    try {
      const key = line.key === null ? null : await encoder.encodeKey(line.topic, line.key);
      const value =
        line.value === null
          ? null
          : (encoder.encodeKnown(line.topic, line.schema, line.value) ?? (await encoder.encode(line.topic, line.schema, line.value)));
      yield { type: 'message', message: { ...(partial as RawMessage), key, value } };
    } catch (err) {
      const error =
        err instanceof OrderlakeError ? err : new OrderlakeError('OL_ERR_CODEC_ENCODE', (err as Error).message, { cause: err });
      yield { type: 'rejected', line: lineNo, file, error, text, partial };
    }
  }
}
