/**
 * Codec benchmark: decoding Confluent-framed WMS/TMS/CRM messages through createAvroDecoder
 * (hot path `decodeKnown`, and the async `decode`) against the baseline of raw avsc
 * `type.fromBuffer` of the same Avro bodies with their writer types (no frame, no resolution).
 * Also the internal topics' messages (`src/pipeline/internal-messages.ts`): encode + decode of the
 * `<prefix>events` message of each canonical event of the same traffic, Avro against the JSON v1
 * format it replaced (the baseline), and bytes per message of each.
 * Run: `npx tsx test/bench/codec.bench.ts [--events N]`; writes test/bench/results/codec.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Type } from 'avsc';
import {
  CONFLUENT_HEADER_SIZE,
  createAvroDecoder,
  createAvroEncoder,
  createLocalSchemaRegistry,
  loadSchemas,
  readSchemaId,
} from '../../src/codecs/index.js';
import { routeEvent } from '../../src/golden/index.js';
import { createNormalizer, loadPipelines, type SourcePosition } from '../../src/normalize/index.js';
import { decodeEventMessage, encodeEventMessage, type EventMessage } from '../../src/pipeline/internal-messages.js';
import { row } from './support/bench-result.js';
import { isMain, numberArg, runBenchMain } from './support/bench-main.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/contract/hundred-twenty-orders-shuffled.jsonl');

const READERS: Record<string, string> = {
  'crm.public.orders': 'crm.public.orders',
  'crm.public.order_lines': 'crm.public.order_lines',
  'crm.public.after_sales': 'crm.public.after_sales',
  'wms.fulfillment.events': 'wms.fulfillment.v2',
  'tms.tracking.events': 'tms.tracking',
};

interface Timing {
  ms: number;
  eventsPerSec: number;
}

export interface CodecBenchResult {
  bench: 'codec';
  n: number;
  node: string;
  when: string;
  mix: Record<string, number>;
  baseline: Timing;
  decodeKnown: Timing;
  decodeAsync: Timing;
  /** decodeKnown throughput / baseline throughput. */
  ratioKnown: number;
  /** decode (async) throughput / baseline throughput. */
  ratioAsync: number;
  internal: InternalMessagesResult;
}

/** Internal `<prefix>events` messages: Avro against JSON v1, on the same messages in the same rounds. */
export interface InternalMessagesResult {
  n: number;
  /** Distinct messages (one per canonical event routed to an order), cycled to `n`. */
  distinct: number;
  /** JSON v1: `JSON.stringify` + `Buffer.from`, then `decodeEventMessage` (its JSON path). */
  json: Timing;
  /** Avro: `encodeEventMessage`, then `decodeEventMessage`. */
  avro: Timing;
  /** avro throughput / json throughput. */
  ratio: number;
  bytesPerMessage: { json: number; avro: number };
  /** Mean bytes per message by canonical kind. */
  bytesByKind: Record<string, { json: number; avro: number; count: number }>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timing(n: number, samples: number[]): Timing {
  const ms = median(samples);
  return { ms: Math.round(ms * 10) / 10, eventsPerSec: Math.round((n / ms) * 1000) };
}

/**
 * Runs the contenders in interleaved rounds (A B C, A B C, ...) and keeps each one's median, so
 * that drift on a shared machine (other processes, GC of earlier rounds) hits all of them alike.
 */
async function interleaved(rounds: number, runs: Array<() => unknown>): Promise<number[][]> {
  const samples = runs.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, run] of runs.entries()) {
      const start = performance.now();
      await run();
      samples[index]!.push(performance.now() - start);
    }
  }
  return samples;
}

export async function runCodecBench(n = 200_000, rounds = 7): Promise<CodecBenchResult> {
  const schemas = await loadSchemas(path.join(ROOT, 'schemas'));
  const registry = createLocalSchemaRegistry(schemas);
  const encoder = createAvroEncoder({ registry, schemas });
  const decoder = createAvroDecoder({ registry, schemas, readers: READERS });

  const distinct: Array<{ topic: string; writer: Type; framed: Buffer; body: Buffer }> = [];
  for (const text of readFileSync(FIXTURE, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    const line = JSON.parse(text) as { topic: string; schema: string; value: unknown };
    if (line.value === null) continue;
    const framed = await encoder.encode(line.topic, line.schema, line.value);
    distinct.push({ topic: line.topic, writer: schemas.get(line.schema).type, framed, body: framed.subarray(CONFLUENT_HEADER_SIZE) });
  }

  const topics: string[] = new Array(n);
  const framed: Buffer[] = new Array(n);
  const bodies: Buffer[] = new Array(n);
  const writers: Type[] = new Array(n);
  const mix: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const message = distinct[i % distinct.length]!;
    topics[i] = message.topic;
    framed[i] = Buffer.from(message.framed);
    bodies[i] = framed[i]!.subarray(CONFLUENT_HEADER_SIZE);
    writers[i] = message.writer;
    mix[message.topic] = (mix[message.topic] ?? 0) + 1;
  }
  for (const message of distinct) await decoder.prepare(message.topic, readSchemaId(message.framed));

  let sink = 0;
  const baselineRun = () => {
    for (let i = 0; i < n; i++) if (writers[i]!.fromBuffer(bodies[i]!) !== undefined) sink++;
  };
  const knownRun = () => {
    for (let i = 0; i < n; i++) if (decoder.decodeKnown(topics[i]!, framed[i]!) !== undefined) sink++;
  };
  const asyncRun = async () => {
    for (let i = 0; i < n; i++) if ((await decoder.decode(topics[i]!, framed[i]!)) !== undefined) sink++;
  };

  // Warm-up so the JIT has compiled every path before anything is measured.
  baselineRun();
  knownRun();
  await asyncRun();

  const [baselineMs, knownMs, asyncMs] = await interleaved(rounds, [baselineRun, knownRun, asyncRun]);
  const baseline = timing(n, baselineMs!);
  const decodeKnown = timing(n, knownMs!);
  const decodeAsync = timing(n, asyncMs!);
  if (sink === 0) throw new Error('nothing decoded');

  // The internal messages of the same traffic: what the ingest worker writes to `<prefix>events`.
  const normalizer = createNormalizer(await loadPipelines(path.join(ROOT, 'pipelines')));
  const internalDistinct: Array<Omit<EventMessage, 'v'>> = [];
  for (const [i, message] of distinct.entries()) {
    const position: SourcePosition = { topic: message.topic, partition: i % 12, offset: String(1_000_000 + i), timestamp: 1_790_000_000_000 + i };
    const event = normalizer.normalize(message.topic, await decoder.decode(message.topic, message.framed), position);
    if (event === null) continue;
    for (const r of routeEvent(event, position.timestamp).direct) internalDistinct.push({ orderId: r.orderId, event: r.event, position });
  }
  const internal = await runInternalMessages(internalDistinct, n, rounds);

  return {
    bench: 'codec',
    n,
    node: process.version,
    when: new Date().toISOString(),
    mix,
    baseline,
    decodeKnown,
    decodeAsync,
    ratioKnown: Math.round((decodeKnown.eventsPerSec / baseline.eventsPerSec) * 1000) / 1000,
    ratioAsync: Math.round((decodeAsync.eventsPerSec / baseline.eventsPerSec) * 1000) / 1000,
    internal,
  };
}

async function runInternalMessages(distinct: ReadonlyArray<Omit<EventMessage, 'v'>>, n: number, rounds: number): Promise<InternalMessagesResult> {
  const messages = Array.from({ length: n }, (_, i) => distinct[i % distinct.length]!);
  const jsonEncode = (m: Omit<EventMessage, 'v'>) => Buffer.from(JSON.stringify({ v: 1, ...m }));

  const bytesByKind: InternalMessagesResult['bytesByKind'] = {};
  let jsonBytes = 0;
  let avroBytes = 0;
  for (const m of distinct) {
    const avro = encodeEventMessage(m);
    const json = jsonEncode(m);
    if (avro[0] === json[0]) throw new Error('the Avro encoder fell back to JSON: the benchmark would compare JSON with itself');
    jsonBytes += json.length;
    avroBytes += avro.length;
    const k = (bytesByKind[m.event.kind] ??= { json: 0, avro: 0, count: 0 });
    k.json += json.length;
    k.avro += avro.length;
    k.count++;
  }
  for (const k of Object.values(bytesByKind)) {
    k.json = Math.round((k.json / k.count) * 10) / 10;
    k.avro = Math.round((k.avro / k.count) * 10) / 10;
  }

  let sink = 0;
  const jsonRun = () => {
    for (let i = 0; i < n; i++) if (decodeEventMessage(jsonEncode(messages[i]!)).v === 1) sink++;
  };
  const avroRun = () => {
    for (let i = 0; i < n; i++) if (decodeEventMessage(encodeEventMessage(messages[i]!)).v === 1) sink++;
  };
  jsonRun();
  avroRun();
  const [jsonMs, avroMs] = await interleaved(rounds, [jsonRun, avroRun]);
  if (sink === 0) throw new Error('nothing decoded');
  const json = timing(n, jsonMs!);
  const avro = timing(n, avroMs!);
  return {
    n,
    distinct: distinct.length,
    json,
    avro,
    ratio: Math.round((avro.eventsPerSec / json.eventsPerSec) * 1000) / 1000,
    bytesPerMessage: { json: Math.round((jsonBytes / distinct.length) * 10) / 10, avro: Math.round((avroBytes / distinct.length) * 10) / 10 },
    bytesByKind,
  };
}

if (isMain(import.meta.url)) {
  await runBenchMain('codec', async () => {
    const result = await runCodecBench(numberArg('events', 200_000));
    const rows = [
      row({
        benchmark: 'codec',
        metric: 'createAvroDecoder.decodeKnown (frame + writer→reader)',
        value: result.decodeKnown.eventsPerSec,
        unit: 'events/s',
        baseline: result.baseline.eventsPerSec,
        baselineLabel: 'raw avsc fromBuffer',
        target: '',
        met: null,
      }),
      row({
        benchmark: 'codec',
        metric: 'createAvroDecoder.decode (async)',
        value: result.decodeAsync.eventsPerSec,
        unit: 'events/s',
        baseline: result.baseline.eventsPerSec,
        baselineLabel: 'raw avsc fromBuffer',
        target: '',
        met: null,
      }),
      row({
        benchmark: 'codec',
        metric: 'internal event message encode + decode, Avro',
        value: result.internal.avro.eventsPerSec,
        unit: 'events/s',
        baseline: result.internal.json.eventsPerSec,
        baselineLabel: 'JSON v1 encode + decode',
        target: '',
        met: null,
      }),
      row({
        benchmark: 'codec',
        metric: 'internal event message size, Avro',
        value: result.internal.bytesPerMessage.avro,
        unit: 'bytes/event',
        baseline: result.internal.bytesPerMessage.json,
        baselineLabel: 'JSON v1',
        target: '',
        met: null,
      }),
    ];
    return { rows, details: result };
  });
}
