import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { parseDuration } from '../health/index.js';
import {
  DEFAULT_MIX,
  generateScenario,
  SCENARIO_KINDS,
  scenarioManifest,
  type ReplayLine,
  type ScenarioKind,
  type ScenarioOptions,
  type SourceSystemName,
} from '../simulator/index.js';
import { createCodec } from '../main.js';
import { createKafka } from '../sources/kafka-client.js';
import { pace } from '../sources/pace.js';

/** A window of simulated time, counted from the first order (`startTime`). */
export interface SimulatedWindow {
  source: SourceSystemName;
  /** Start of the window after `startTime`, ms. */
  afterStartMs: number;
  /** Length of the window, ms. */
  forMs: number;
}

export interface SimulateOptions {
  orders: number;
  rate: number;
  seed: number;
  duplicateRate: number;
  shuffle: 'none' | 'window' | 'full';
  /**
   * When the first simulated order arrives, epoch ms. Default: a fixed instant for a replay file,
   * so that the same seed always writes the same file; three days ago for Kafka, so that a live
   * pipeline shows recent orders.
   */
  startTime?: number;
  out?: string;
  /** Weights of the scenario kinds (kinds left out: 0). Default: the simulator's DEFAULT_MIX. */
  mix?: Partial<Record<ScenarioKind, number>>;
  /** Sources whose events arrive `lagMs` late over a window (see the simulator's SourceLag). */
  lagSources?: Array<SimulatedWindow & { lagMs: number }>;
  /** Sources that are down over a window, silent in event time (see the simulator's SourceOutage). */
  silentSources?: SimulatedWindow[];
  /** Write which order tells which story (one JSON object per line: order_id, kind, stays_stuck) here. */
  manifest?: string;
}

/** Usage of `orderlake simulate`. */
export const SIMULATE_HELP = `Usage: orderlake simulate [--orders N] [--rate R] [--seed S] [--start TIME] [--out FILE]

Generates realistic traffic of the reference CRM/WMS/TMS systems: out-of-order delivery, duplicates,
split shipments, address changes, cancellations, returns, exchanges, late deliveries, tracking
events before the WMS shipment, WMS schema v1 and v2 side by side, stuck orders, and (on request)
a lagging or a silent source.
  With KAFKA_BROKERS set: produces Avro (Confluent wire format) to the source topics (missing ones
  are created with the broker's defaults). Kafka timestamps are the time of sending; the
  simulated event times are in the records.
  Otherwise: writes a replay file (JSON Lines) to --out, or to stdout; the same options give the
  same file.
  --orders N   orders to simulate (default 1000)
  --rate R     events per second, 0 = as fast as possible (default 0)
  --seed S     random seed (default 42)
  --start TIME when the first order arrives, ISO-8601 (2026-11-20T00:00:00Z) or epoch ms
               (default: 2026-11-20T00:00:00Z for a replay file, 3 days ago for Kafka)
  --shuffle    none | window | full (default window)
  --duplicates RATE  share of re-delivered events (default 0.1)
  --mix KIND=W,...   weights of the story kinds; kinds left out get 0. Start the list with
               'default,' to change only the kinds listed (--mix default,releaseDelayed=10)
  --lag-source SOURCE:LAG[@FROM+FOR]  crm, wms or tms events reach Kafka LAG late (the delay builds
               up over LAG, holds, and drains at twice real time after the window); FROM and FOR
               count from --start (default @1h+2h). Durations as in the rules: 20m, 1h30m.
               Example: --lag-source crm:20m@40m+80m. Repeatable
  --silent-source SOURCE[@FROM+FOR]  the source is down over the window: nothing happens in it,
               and its work is done when it comes back, ten times faster (default @1h+1h). Repeatable
  --manifest FILE    write which order tells which story, one JSON object per line
               (order_id, kind; stays_stuck for the stuck-order kinds)`;

const WINDOW_PATTERN = /^(?:@([0-9dhms]+)\+([0-9dhms]+))?$/;
const DEFAULT_LAG_WINDOW = { afterStartMs: 3_600_000, forMs: 2 * 3_600_000 };
const DEFAULT_SILENT_WINDOW = { afterStartMs: 3_600_000, forMs: 3_600_000 };

function parseWindow(text: string, fallback: { afterStartMs: number; forMs: number }): { afterStartMs: number; forMs: number } | undefined {
  const match = WINDOW_PATTERN.exec(text);
  if (match === null) return undefined;
  if (match[1] === undefined) return fallback;
  const afterStartMs = parseDuration(match[1]);
  const forMs = parseDuration(match[2] as string);
  return afterStartMs === undefined || forMs === undefined || forMs <= 0 ? undefined : { afterStartMs, forMs };
}

/** `crm:20m@40m+80m` → a lag window; undefined when the text is not one. */
export function parseLagSource(text: string): (SimulatedWindow & { lagMs: number }) | undefined {
  const match = /^(crm|wms|tms):([0-9dhms]+)(.*)$/.exec(text);
  if (match === null) return undefined;
  const lagMs = parseDuration(match[2] as string);
  const window = parseWindow(match[3] as string, DEFAULT_LAG_WINDOW);
  if (lagMs === undefined || lagMs <= 0 || window === undefined) return undefined;
  return { source: match[1] as SourceSystemName, lagMs, ...window };
}

/** `tms@2h30m+75m` → an outage window; undefined when the text is not one. */
export function parseSilentSource(text: string): SimulatedWindow | undefined {
  const match = /^(crm|wms|tms)(.*)$/.exec(text);
  if (match === null) return undefined;
  const window = parseWindow(match[2] as string, DEFAULT_SILENT_WINDOW);
  return window === undefined ? undefined : { source: match[1] as SourceSystemName, ...window };
}

/** `happy=30,releaseDelayed=2` (or `default,releaseDelayed=10`) → weights; a string says what is wrong. */
export function parseMix(text: string): Partial<Record<ScenarioKind, number>> | string {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  const mix: Partial<Record<ScenarioKind, number>> = parts[0] === 'default' ? { ...DEFAULT_MIX } : {};
  for (const part of parts[0] === 'default' ? parts.slice(1) : parts) {
    const [kind, weight] = part.split('=');
    if (!(SCENARIO_KINDS as readonly string[]).includes(kind ?? '')) return `unknown story kind ${JSON.stringify(kind)} (kinds: ${SCENARIO_KINDS.join(', ')})`;
    const value = Number(weight);
    if (weight === undefined || weight.trim() === '' || !Number.isFinite(value) || value < 0) return `weight of ${kind} must be a non-negative number`;
    mix[kind as ScenarioKind] = value;
  }
  if (!Object.values(mix).some((value) => (value ?? 0) > 0)) return 'at least one kind needs a positive weight';
  return mix;
}

/**
 * The `simulate` command line: options, or the message to print (exit code 2). Parse errors of
 * unknown flags are thrown by `parseArgs` (ERR_PARSE_ARGS_*), as for the other commands.
 */
export function parseSimulateArgs(args: string[]): { options: SimulateOptions } | { error: string } {
  const { values } = parseArgs({
    args,
    options: {
      orders: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '0' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string' },
      shuffle: { type: 'string', default: 'window' },
      duplicates: { type: 'string', default: '0.1' },
      start: { type: 'string' },
      mix: { type: 'string' },
      'lag-source': { type: 'string', multiple: true },
      'silent-source': { type: 'string', multiple: true },
      manifest: { type: 'string' },
    },
  });
  const orders = Number(values.orders);
  const rate = Number(values.rate);
  const seed = Number(values.seed);
  const duplicates = Number(values.duplicates);
  if (![orders, rate, seed].every((n) => Number.isInteger(n) && n >= 0) || !(duplicates >= 0 && duplicates < 1)) {
    return { error: 'orderlake simulate: --orders, --rate, --seed must be non-negative integers; --duplicates in [0, 1)' };
  }
  if (!['none', 'window', 'full'].includes(values.shuffle)) return { error: 'orderlake simulate: --shuffle must be none, window or full' };
  const startTime = values.start === undefined ? undefined : /^\d+$/.test(values.start) ? Number(values.start) : Date.parse(values.start);
  if (startTime !== undefined && !Number.isSafeInteger(startTime)) {
    return { error: `orderlake simulate: --start must be an ISO-8601 time (2026-11-20T00:00:00Z) or epoch ms, got ${JSON.stringify(values.start)}` };
  }
  const mix = values.mix === undefined ? undefined : parseMix(values.mix);
  if (typeof mix === 'string') return { error: `orderlake simulate: --mix: ${mix}` };
  const lagSources: NonNullable<SimulateOptions['lagSources']> = [];
  for (const text of values['lag-source'] ?? []) {
    const lag = parseLagSource(text);
    if (lag === undefined) return { error: `orderlake simulate: --lag-source must be SOURCE:LAG[@FROM+FOR] (crm, wms or tms; durations like 20m, 1h30m), got ${JSON.stringify(text)}` };
    lagSources.push(lag);
  }
  const silentSources: SimulatedWindow[] = [];
  for (const text of values['silent-source'] ?? []) {
    const silent = parseSilentSource(text);
    if (silent === undefined) return { error: `orderlake simulate: --silent-source must be SOURCE[@FROM+FOR] (crm, wms or tms; durations like 2h, 45m), got ${JSON.stringify(text)}` };
    silentSources.push(silent);
  }
  return {
    options: {
      orders,
      rate,
      seed,
      duplicateRate: duplicates,
      shuffle: values.shuffle as SimulateOptions['shuffle'],
      ...(startTime !== undefined ? { startTime } : {}),
      ...(values.out ? { out: values.out } : {}),
      ...(mix !== undefined ? { mix } : {}),
      ...(lagSources.length > 0 ? { lagSources } : {}),
      ...(silentSources.length > 0 ? { silentSources } : {}),
      ...(values.manifest ? { manifest: values.manifest } : {}),
    },
  };
}

/** `orderlake simulate ARGS`: parses, then runs; 2 for bad arguments. */
export async function simulateCommand(config: Config, logger: Logger, args: string[]): Promise<number> {
  const parsed = parseSimulateArgs(args);
  if ('error' in parsed) {
    console.error(parsed.error);
    return 2;
  }
  return runSimulate(config, logger, parsed.options);
}

/** Where a replay file's simulated time starts unless `--start` says otherwise (fixed: same seed, same file). */
export const REPLAY_FILE_START = Date.UTC(2026, 10, 20);

/** How far back from now Kafka traffic's simulated time starts unless `--start` says otherwise. */
const KAFKA_START_BEFORE_NOW_MS = 3 * 24 * 3600_000;

/** A Kafka request carries at most this many messages, and waits at most this long to fill up (paced runs). */
const SEND_CHUNK = 500;
const SEND_EVERY_MS = 200;

/**
 * `orderlake simulate`: reference traffic into Kafka (Avro, Confluent wire format, keys as the
 * source systems write them) or into a replay file.
 */
export async function runSimulate(config: Config, logger: Logger, options: SimulateOptions): Promise<number> {
  const kafka = config.mode === 'kafka';
  const startTime = options.startTime ?? (kafka ? Date.now() - KAFKA_START_BEFORE_NOW_MS : REPLAY_FILE_START);
  const window = (w: SimulatedWindow) => ({ source: w.source, from: startTime + w.afterStartMs, until: startTime + w.afterStartMs + w.forMs });
  const scenario: ScenarioOptions = {
    seed: options.seed,
    orders: options.orders,
    startTime,
    duplicateRate: options.duplicateRate,
    shuffle: options.shuffle,
    ...(options.mix ? { mix: options.mix } : {}),
    ...(options.lagSources ? { laggingSources: options.lagSources.map((lag) => ({ ...window(lag), lagMs: lag.lagMs })) } : {}),
    ...(options.silentSources ? { silentSources: options.silentSources.map(window) } : {}),
  };
  const lines = generateScenario(scenario);
  const manifest = scenarioManifest(scenario);
  const kinds: Record<string, number> = {};
  const staysStuck: Record<string, number> = {};
  for (const order of manifest) {
    kinds[order.kind] = (kinds[order.kind] ?? 0) + 1;
    if (order.stays_stuck) staysStuck[order.kind] = (staysStuck[order.kind] ?? 0) + 1;
  }
  logger.info({ events: lines.length, orders: options.orders, kinds, staysStuck }, 'scenario generated');
  if (options.manifest) {
    await writeFile(options.manifest, manifest.map((order) => JSON.stringify(order) + '\n').join(''), 'utf8');
    logger.info({ file: options.manifest, orders: manifest.length }, 'scenario manifest written');
  }
  if (kafka) return produceToKafka(config, logger, lines, options.rate);

  // A replay file keeps each line's simulated `timestamp`: the contract's replay format allows it,
  // and it is derived from the seed and the start, so the file is the same on every run.
  const out = options.out ? createWriteStream(options.out, { encoding: 'utf8' }) : process.stdout;
  const tick = pace(options.rate);
  for (const line of lines) {
    await tick();
    if (!out.write(JSON.stringify(line) + '\n')) await once(out, 'drain');
  }
  if (options.out) {
    (out as ReturnType<typeof createWriteStream>).end();
    await once(out, 'finish');
    logger.info({ file: options.out, events: lines.length }, 'replay file written');
  }
  return 0;
}

/**
 * Produces the lines to their source topics. Kafka timestamps are the time of sending (the
 * producer's default), never the simulated event time: brokers refuse create times more than
 * `log.message.timestamp.after.max.ms` ahead (one hour by default since Kafka 4: INVALID_TIMESTAMP)
 * and delete messages whose time is older than the retention as soon as they arrive. The event
 * time stays in the record (`source.ts_ms`, `occurred_at`), which is all the pipeline orders by.
 */
async function produceToKafka(config: Config, logger: Logger, lines: ReplayLine[], rate: number): Promise<number> {
  const codec = await createCodec(config, logger);
  const kafka = createKafka(config, logger);
  await ensureSourceTopics(kafka, logger, [...new Set(lines.map((l) => l.topic))]);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tick = pace(rate);
  const started = performance.now();
  let produced = 0;
  try {
    let byTopic = new Map<string, Message[]>();
    let pending = 0;
    let chunkStarted = performance.now();
    const send = async () => {
      if (pending === 0) return;
      await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      produced += pending;
      byTopic = new Map();
      pending = 0;
      chunkStarted = performance.now();
    };
    for (const line of lines) {
      await tick();
      const key = await codec.encoder.encodeKey(line.topic, line.key);
      const value = line.value === null ? null : await codec.encoder.encode(line.topic, line.schema, line.value);
      const messages = byTopic.get(line.topic) ?? [];
      messages.push({ key, value });
      byTopic.set(line.topic, messages);
      pending++;
      if (pending >= SEND_CHUNK || performance.now() - chunkStarted >= SEND_EVERY_MS) await send();
    }
    await send();
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  logger.info({ events: produced, seconds, eventsPerSecond: Math.round(produced / seconds) }, 'simulated traffic produced to Kafka');
  return 0;
}

/**
 * Creates the source topics the broker lacks, with its default partitions, replication and
 * retention, as a broker with topic auto-creation would; existing topics are left as they are.
 */
async function ensureSourceTopics(kafka: Kafka, logger: Logger, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    logger.info({ topics: missing }, "created the missing source topics with the broker's defaults");
  } finally {
    await admin.disconnect();
  }
}
