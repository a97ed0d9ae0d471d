import fc from 'fast-check';
import { createAvroDecoder, createAvroEncoder, frameConfluent, type AvroEncoder, type SchemaRegistry, type SchemaSet } from '../../src/codecs/index.js';
import { createNormalizer, type CanonicalEvent, type Pipeline, type SourcePosition } from '../../src/normalize/index.js';
import { createIngestor, type IngestOutcome, type Ingestor } from '../../src/pipeline/ingest.js';
import { AVRO_FORMAT_BYTE, JSON_FORMAT_BYTE, encodeEventMessage, encodeLinkMessage } from '../../src/pipeline/internal-messages.js';
import { routeEvent } from '../../src/golden/index.js';
import type { ReplayLine } from '../../src/simulator/index.js';

/**
 * Fuzz inputs for the decode path (fast-check): bytes made from real encoded records (simulator
 * output) by mutation, truncation, another schema or another header, and plain garbage. Used by the
 * unit properties and by the Kafka fuzz test, which runs the same generators with a printed seed.
 */

/** The seed of a fuzz run: `ORDERLAKE_FUZZ_SEED` when set (to reproduce a run), else `fallback`. */
export function fuzzSeed(fallback: number): number {
  const env = process.env.ORDERLAKE_FUZZ_SEED;
  if (env === undefined || env === '') return fallback;
  const seed = Number(env);
  if (!Number.isSafeInteger(seed)) throw new Error(`ORDERLAKE_FUZZ_SEED=${env} is not an integer`);
  return seed;
}

/** The codec and ingest stage as a worker builds them, over `registry` (local or HTTP). */
export interface FuzzCodec {
  encoder: AvroEncoder;
  ingestor: Ingestor;
  /** Decodes and normalizes one message as the ingest stage does. */
  ingest(topic: string, value: Buffer | null, key?: Buffer | null): Promise<IngestOutcome>;
}

export function fuzzCodec(registry: SchemaRegistry, schemas: SchemaSet, pipelines: readonly Pipeline[]): FuzzCodec {
  const readers: Record<string, string> = {};
  for (const p of pipelines) readers[p.topic] = p.readerSchema;
  const decoder = createAvroDecoder({ registry, readers, schemas });
  const ingestor = createIngestor({ decoder, normalizer: createNormalizer(pipelines), now: () => 0 });
  let offset = 0;
  return {
    encoder: createAvroEncoder({ registry, schemas }),
    ingestor,
    async ingest(topic, value, key = null) {
      const [outcome] = await ingestor.ingestBatch([{ topic, partition: 0, offset: String(offset++), timestamp: 0, key, value }]);
      return outcome!;
    },
  };
}

/** A valid encoded value of a source topic, with what it was made from. */
export interface EncodedRecord {
  topic: string;
  /** The pipeline's topic name in the scenario (before any test prefix). */
  sourceTopic: string;
  schema: string;
  value: Buffer;
  line: ReplayLine;
}

/** Encodes the non-tombstone lines (topics renamed by `topics`, e.g. a test prefix). */
export async function encodeLines(encoder: AvroEncoder, lines: readonly ReplayLine[], topics: Readonly<Record<string, string>> = {}): Promise<EncodedRecord[]> {
  const out: EncodedRecord[] = [];
  // Each topic's writer schemas registered oldest first (wms v1 before v2), as a registry with
  // compatibility rules takes them: v2 reads v1, not the other way round.
  const firsts = new Map<string, ReplayLine>();
  for (const line of lines) if (line.value !== null && !firsts.has(`${line.topic}\u0000${line.schema}`)) firsts.set(`${line.topic}\u0000${line.schema}`, line);
  for (const line of [...firsts.values()].sort((a, b) => (a.schema < b.schema ? -1 : a.schema > b.schema ? 1 : 0))) {
    await encoder.encode(topics[line.topic] ?? line.topic, line.schema, line.value!);
  }
  for (const line of lines) {
    if (line.value === null) continue;
    const topic = topics[line.topic] ?? line.topic;
    out.push({ topic, sourceTopic: line.topic, schema: line.schema, value: await encoder.encode(topic, line.schema, line.value), line });
  }
  return out;
}

/** One edit of a byte string. */
type Edit =
  | { op: 'set'; at: number; byte: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number }
  | { op: 'truncate'; at: number }
  | { op: 'varint'; at: number; bytes: Uint8Array };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  // A long varint in place of a byte: huge lengths and block counts.
  fc.record({
    op: fc.constant('varint' as const),
    at: fc.nat(),
    bytes: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }).map((n) => zigzagVarint(n)),
  }),
);

export function zigzagVarint(n: bigint): Uint8Array {
  let z = n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number((z & 0x7fn) | 0x80n));
    z >>= 7n;
  }
  out.push(Number(z));
  return Uint8Array.from(out);
}

/** Applies edits to a copy of `bytes`, leaving the first `keep` bytes (a header) alone. */
export function applyEdits(bytes: Buffer, edits: readonly Edit[], keep = 0): Buffer {
  let b = Buffer.from(bytes);
  for (const e of edits) {
    const room = b.length - keep;
    const at = keep + (room > 0 ? e.at % (room + (e.op === 'insert' ? 1 : 0)) : 0);
    switch (e.op) {
      case 'set':
        if (room > 0) b[at] = e.byte;
        break;
      case 'flip':
        if (room > 0) b[at] = b[at]! ^ (1 << e.bit);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
        break;
      case 'delete':
        if (room > 0) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + e.count))]);
        break;
      case 'truncate':
        if (room > 0) b = Buffer.from(b.subarray(0, at));
        break;
      case 'varint':
        if (room > 0) b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at + 1)]);
        break;
    }
  }
  return b;
}

/** A real record changed by one to four edits after its header (`keep` bytes). */
export function mutatedArb(records: readonly Buffer[], keep: number): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.integer({ min: 0, max: records.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 4 }))
    .map(([i, edits]) => applyEdits(records[i]!, edits, keep));
}

/** A real record cut short: `[0, length)`, shorter than the whole. */
export function truncatedArb(records: readonly Buffer[], minLength = 0): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.integer({ min: 0, max: records.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }))
    .map(([i, f]) => {
      const r = records[i]!;
      return Buffer.from(r.subarray(0, Math.min(r.length - 1, minLength + Math.floor(f * (r.length - minLength)))));
    });
}

export const garbageArb: fc.Arbitrary<Buffer> = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

/** Garbage whose first byte is neither 0 (Confluent) nor an internal format byte. */
export const badMagicArb: fc.Arbitrary<Buffer> = fc
  .tuple(fc.integer({ min: 1, max: 255 }).filter((b) => b !== AVRO_FORMAT_BYTE && b !== JSON_FORMAT_BYTE), fc.uint8Array({ minLength: 4, maxLength: 200 }))
  .map(([first, rest]) => Buffer.concat([Buffer.from([first]), rest]));

/** A Confluent frame naming a schema id no registry here has (ids of the tests stay small). */
export const unknownIdArb: fc.Arbitrary<Buffer> = fc
  .tuple(fc.integer({ min: 1_000_000, max: 0x7fffffff }), fc.uint8Array({ maxLength: 64 }))
  .map(([id, body]) => frameConfluent(id, Buffer.from(body)));

/** `size` bytes of seeded noise (fast, for messages near the broker's limit). */
export function noise(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Samples `n` values of `arb` reproducibly from `seed`. */
export function sample<T>(arb: fc.Arbitrary<T>, n: number, seed: number): T[] {
  return n === 0 ? [] : fc.sample(arb, { numRuns: n, seed });
}

/** The internal messages the ingest stage writes for a canonical event (events topic, links topic). */
export function internalMessagesOf(event: CanonicalEvent, position: SourcePosition): { events: Buffer[]; links: Buffer[] } {
  const { direct, link } = routeEvent(event, position.timestamp);
  return {
    events: direct.map((r) => encodeEventMessage({ orderId: r.orderId, event: r.event, position })),
    links: link.map((input) => encodeLinkMessage({ input, position })),
  };
}

/**
 * JSON text that looks like an internal message (`{`, a `v`) but is not a valid one: a random JSON
 * value in place of the event or input, or a valid message with one field made impossible.
 */
export function badJsonArb(validEvent: CanonicalEvent, position: SourcePosition): fc.Arbitrary<Buffer> {
  const impossible: Array<Record<string, unknown>> = [
    { v: 1, orderId: 'SO-FUZZ', event: null, position },
    { v: 1, orderId: 'SO-FUZZ', event: {}, position },
    { v: 1, orderId: 7, event: validEvent, position },
    { v: 1, orderId: 'SO-FUZZ', event: { ...validEvent, kind: 'nope' }, position },
    { v: 1, orderId: 'SO-FUZZ', event: validEvent, position: { ...position, offset: 'abc' } },
    { v: 1, orderId: 'SO-FUZZ', event: validEvent, position: { ...position, partition: -3 } },
    { v: 1, orderId: 'SO-FUZZ', event: withTime(validEvent, 9e15), position },
    { v: 1, orderId: 'SO-FUZZ', event: withTime(validEvent, 1.5), position },
    { v: 2, orderId: 'SO-FUZZ', event: validEvent, position },
    { v: 1, input: { type: 'fact', key: 5, orderId: null } },
  ];
  return fc.oneof(
    fc.constantFrom(...impossible),
    fc.record({ v: fc.constant(1), orderId: fc.string(), event: fc.jsonValue(), position: fc.jsonValue() }),
    fc.record({ v: fc.constant(1), input: fc.jsonValue(), position: fc.option(fc.jsonValue(), { nil: undefined }) }),
  ).map((o) => Buffer.from(JSON.stringify(o)));
}

/** The event with its event time (`ts_ms` or `occurred_at`) replaced. */
export function withTime(event: CanonicalEvent, ms: number): CanonicalEvent {
  return event.source === 'crm' ? { ...event, ts_ms: ms } : { ...event, occurred_at: ms };
}
