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
  /** CPU time of the worker process (all threads: chDB and the Kafka clients run inside it) over the drain, s. */
  cpuSeconds: number;
  /** Source messages drained per CPU-second of the worker. */
  eventsPerCpuSecond: number;
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
  /** Resident memory now, and its peak since the previous `rss` (sampled every 100 ms), MiB. */
  | { cmd: 'rss' }
  /** A read-only query on the worker's own ClickHouse (chDB allows one process per data directory): JSONEachRow rows. */
  | { cmd: 'ch-query'; query: string; params?: Record<string, unknown> }
  | { cmd: 'stop' };

export type WorkerToParent =
  | { type: 'ready'; url?: string }
  | { type: 'drained'; result: DrainResult }
  | { type: 'reply'; id: number; data: unknown }
  | { type: 'failed'; message: string };

export type ParentToWorker = { type: 'request'; id: number; request: WorkerRequest };
