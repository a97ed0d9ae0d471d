import path from 'node:path';
import type { Type } from 'avsc';
import { createAvroEncoder, createLocalSchemaRegistry, loadSchemas, type AvroEncoder, type SchemaSet } from '../../../src/codecs/index.js';
import type { RawMessage } from '../../../src/pipeline/raw-message.js';
import { generateScenario, type ReplayLine } from '../../../src/simulator/index.js';
import { REPO_ROOT } from './bench-result.js';

/** Events per order the default scenario mix produces, measured: used to size scenarios. */
export const EVENTS_PER_ORDER = 18.4;

/** Creation time of the first benchmark order: fixed, so every run sees the same traffic. */
export const SCENARIO_START = Date.UTC(2026, 9, 1);

/**
 * The reference deployment's traffic, about `events` lines of it: the simulator's default mix of
 * order stories, 10% re-deliveries, window-shuffled delivery, WMS v1 and v2 side by side.
 */
export function referenceLines(events: number, options: { seed?: number; orderIdPrefix?: string; firstOrderNo?: number } = {}): ReplayLine[] {
  return generateScenario({
    seed: options.seed ?? 7,
    orders: Math.max(1, Math.round(events / EVENTS_PER_ORDER)),
    startTime: SCENARIO_START,
    shuffle: 'window',
    ...(options.orderIdPrefix !== undefined ? { orderIdPrefix: options.orderIdPrefix } : {}),
    ...(options.firstOrderNo !== undefined ? { firstOrderNo: options.firstOrderNo } : {}),
  });
}

export interface EncodedTraffic {
  messages: RawMessage[];
  /** The writer type of each non-tombstone message, by index (null for a tombstone). */
  writers: Array<Type | null>;
  schemas: SchemaSet;
  encoder: AvroEncoder;
}

/**
 * Encodes replay lines as the source systems' producers would (Confluent frame, writer schema
 * from a local registry), so the measured stages receive exactly the bytes Kafka would deliver.
 */
export async function encodeTraffic(lines: readonly ReplayLine[], options: { schemas?: SchemaSet; encoder?: AvroEncoder } = {}): Promise<EncodedTraffic> {
  const schemas = options.schemas ?? (await loadSchemas(path.join(REPO_ROOT, 'schemas')));
  const encoder = options.encoder ?? createAvroEncoder({ registry: createLocalSchemaRegistry(schemas), schemas });
  const messages: RawMessage[] = new Array(lines.length);
  const writers: Array<Type | null> = new Array(lines.length);
  const offsets = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const offset = offsets.get(line.topic) ?? 0;
    offsets.set(line.topic, offset + 1);
    const value =
      line.value === null ? null : (encoder.encodeKnown(line.topic, line.schema, line.value) ?? (await encoder.encode(line.topic, line.schema, line.value)));
    messages[i] = {
      topic: line.topic,
      partition: 0,
      offset: String(offset),
      timestamp: line.timestamp ?? 0,
      key: await encoder.encodeKey(line.topic, line.key),
      value,
    };
    writers[i] = line.value === null ? null : schemas.get(line.schema).type;
  }
  return { messages, writers, schemas, encoder };
}

/** Splits into consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
