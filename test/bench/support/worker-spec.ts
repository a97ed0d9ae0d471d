/** What the benchmark asks a worker process to do (passed as JSON in BENCH_WORKER_SPEC). */
export interface WorkerSpec {
  /**
   * `drain`: start the Kafka runtime on pre-produced topics, measure until every source message is
   * merged and committed, report, exit. `serve`: start the runtime plus the HTTP/WebSocket API and
   * answer requests until told to stop.
   */
  mode: 'drain' | 'serve';
  /** Environment for `loadConfig` (KAFKA_BROKERS, KAFKA_CLIENT, prefixes, pipelines dir, ...). */
  env: Record<string, string>;
  dataDir: string;
  database: string;
  logFile: string;
  /** drain: source messages produced (tombstones and everything). */
  sourceMessages?: number;
  /** drain: events the pure merge routes to orders for these messages (applied + duplicates + after delete). */
  expectedItems?: number;
  /** drain: orders with a view in the pure merge's result (a correctness check, not a timing). */
  expectedOrders?: number;
  sourceTopics?: string[];
  timeoutMs?: number;
  /** serve: bearer tokens the API accepts. */
  tokens?: { agent: string; analyst: string };
}

/** drain mode's answer. */
export interface DrainResult {
  client: string;
  /** node-rdkafka was loaded by the runtime (so KAFKA_CLIENT=rdkafka really ran on it). */
  rdkafkaLoaded: boolean;
  startupMs: number;
  /** Source messages the ingest stage had already taken when start-up returned. */
  ingestedAtStart: number;
  /** From start-up returned to the merge group's lag reaching 0 with everything merged. */
  drainMs: number;
  /** From before start-up to the end. */
  totalMs: number;
  eventsPerSec: number;
  eventsPerSecWithStartup: number;
  mergedItems: number;
  orders: number;
  timedOut: boolean;
  peakRssMiB: number;
}

export type WorkerRequest =
  | { cmd: 'counters' }
  /** The worker's event-loop delay since the previous ask (ms): a busy loop delays every request and push. */
  | { cmd: 'loop-delay' }
  | { cmd: 'ch-watch'; since: number; pattern: string; intervalMs: number }
  | { cmd: 'ch-count' }
  | { cmd: 'ch-collect' }
  | { cmd: 'stop' };

export type WorkerToParent =
  | { type: 'ready'; url?: string }
  | { type: 'drained'; result: DrainResult }
  | { type: 'reply'; id: number; data: unknown }
  | { type: 'failed'; message: string };

export type ParentToWorker = { type: 'request'; id: number; request: WorkerRequest };
