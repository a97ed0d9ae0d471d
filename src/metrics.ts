import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric orderlake exports, declared in one place: the dashboards in `dashboards/` use only
 * these names. Labels are bounded (source system, table, code), never order ids.
 */
export const METRIC_NAMES = {
  eventsIn: 'orderlake_events_in_total',
  eventsApplied: 'orderlake_events_applied_total',
  duplicates: 'orderlake_events_duplicate_total',
  tombstones: 'orderlake_tombstones_total',
  deadLetters: 'orderlake_dead_letters_total',
  viewChanges: 'orderlake_view_changes_total',
  decodeSeconds: 'orderlake_decode_seconds',
  batchSeconds: 'orderlake_batch_seconds',
  flushRows: 'orderlake_sink_flush_rows',
  flushSeconds: 'orderlake_sink_flush_seconds',
  ordersInMemory: 'orderlake_orders_in_memory',
  ordersDormant: 'orderlake_orders_dormant',
  pendingShipmentEvents: 'orderlake_pending_shipment_events',
  consumerLag: 'orderlake_consumer_lag',
  unacknowledgedBatches: 'orderlake_unacknowledged_batches',
  wsClients: 'orderlake_ws_clients',
  pushLatencySource: 'orderlake_push_latency_from_source_seconds',
  pushLatencyKafka: 'orderlake_push_latency_from_kafka_seconds',
  httpRequests: 'orderlake_http_requests_total',
  httpRequestSeconds: 'orderlake_http_request_seconds',
  eventLoopDelay: 'orderlake_event_loop_delay_seconds',
  casesOpened: 'orderlake_cases_opened_total',
  casesResolved: 'orderlake_cases_resolved_total',
  casesOpen: 'orderlake_cases_open',
  caseResolveSeconds: 'orderlake_case_resolve_seconds',
  sourceFreshness: 'orderlake_source_freshness_seconds',
  sourceLag: 'orderlake_source_lag_seconds',
  healthWatermarkLag: 'orderlake_health_watermark_lag_seconds',
  strategyChangeSeconds: 'orderlake_strategy_change_seconds',
} as const;

export interface Metrics {
  registry: Registry;
  eventsIn: Counter<'source'>;
  eventsApplied: Counter;
  duplicates: Counter;
  tombstones: Counter<'topic'>;
  deadLetters: Counter<'code'>;
  viewChanges: Counter;
  decodeSeconds: Histogram;
  /** Time to handle one batch, by {@link BatchStage}; see the help text. */
  batchSeconds: Histogram<'stage'>;
  flushRows: Histogram<'table'>;
  flushSeconds: Histogram<'table'>;
  ordersInMemory: Gauge;
  ordersDormant: Gauge;
  pendingShipmentEvents: Gauge;
  /** Records a Kafka stage has yet to handle, per stage and partition this worker holds; see the help text. */
  consumerLag: Gauge<'stage' | 'topic' | 'partition'>;
  /**
   * Batches handed off and not yet acknowledged (lake rows stored, produce acknowledged), by stage
   * (`ingest`, `link`, `merge`, `embedded`): the backpressure window's fill; see the help text.
   */
  unacknowledgedBatches: Gauge<'stage'>;
  wsClients: Gauge;
  pushLatencySource: Histogram;
  pushLatencyKafka: Histogram;
  /** HTTP requests answered, by route pattern (never the raw URL), method and status code. */
  httpRequests: Counter<'route' | 'method' | 'status'>;
  /** HTTP response time by route pattern. */
  httpRequestSeconds: Histogram<'route'>;
  /** How late the event loop ran a timer due every 10 ms; fed by `startEventLoopDelaySampler` (src/event-loop-delay.ts). */
  eventLoopDelay: Histogram;
  /** Exception cases opened, by rule and severity (a reopened case counts again). */
  casesOpened: Counter<'rule' | 'severity'>;
  /** Cases resolved, by rule and resolution (self_healed, by_agent): the self-heal rate is their ratio. */
  casesResolved: Counter<'rule' | 'resolution'>;
  /** Unresolved cases this worker holds now, by rule, severity and whether at risk (not yet breached): stuck orders per stage. */
  casesOpen: Gauge<'rule' | 'severity' | 'at_risk'>;
  /** Event time from opening to resolving a case, by rule and resolution. */
  caseResolveSeconds: Histogram<'rule' | 'resolution'>;
  /** Source event time to arrival (Kafka time), by source system. */
  sourceFreshness: Histogram<'source'>;
  /** Wall clock minus the newest event time seen from each source system. */
  sourceLag: Gauge<'source'>;
  /** Wall clock minus the health rules' event-time watermark. */
  healthWatermarkLag: Gauge;
  /** From a rule or pipeline file's last change (mtime) to it being live in this worker, by kind. */
  strategyChangeSeconds: Gauge<'kind'>;
}

/** What `orderlake_batch_seconds` times: the three Kafka stages' batches, and embedded mode's. */
export type BatchStage = 'ingest' | 'link' | 'merge' | 'embedded';

const BATCH_SECONDS_HELP =
  'Time to handle one batch, by stage: ingest, link and merge time each consumer-group batch (one partition) ' +
  'from hand-over until the stage resolved it (its output acknowledged); embedded times one batch through all ' +
  'stages. Failed attempts are timed too: a retried batch is observed once per attempt';

const CONSUMER_LAG_HELP =
  "Kafka records a stage has yet to handle, per stage (ingest, link, merge) and per partition this worker's " +
  "member of that stage's group holds (summing over workers gives the group's lag). Ingest and merge: the " +
  "partition's high-water mark minus the group's committed offset; nothing committed yet counts from the " +
  'low-water mark (the group reads from the beginning). Link, whose group never commits and re-reads its ' +
  'partitions on every assignment: high-water mark minus the offset after the last record it handled since it ' +
  'got the partition, counted from the low-water mark until its first batch is handled. Refreshed every ' +
  'ORDERLAKE_LAG_INTERVAL_MS';

const LATENCY_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A fresh registry per pipeline instance, so tests and several workers in one process do not clash. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsIn: new Counter({ name: METRIC_NAMES.eventsIn, help: 'Raw inputs received, by source system', labelNames: ['source'], registers }),
    eventsApplied: new Counter({ name: METRIC_NAMES.eventsApplied, help: 'Distinct events applied to the golden state', registers }),
    duplicates: new Counter({ name: METRIC_NAMES.duplicates, help: 'Re-delivered events that changed nothing', registers }),
    tombstones: new Counter({ name: METRIC_NAMES.tombstones, help: 'Debezium tombstones skipped', labelNames: ['topic'], registers }),
    deadLetters: new Counter({ name: METRIC_NAMES.deadLetters, help: 'Inputs rejected to the dead-letter store, by error code', labelNames: ['code'], registers }),
    viewChanges: new Counter({ name: METRIC_NAMES.viewChanges, help: 'Golden view versions produced', registers }),
    decodeSeconds: new Histogram({ name: METRIC_NAMES.decodeSeconds, help: 'Decode + normalize time per batch', buckets: LATENCY_BUCKETS, registers }),
    batchSeconds: new Histogram({ name: METRIC_NAMES.batchSeconds, help: BATCH_SECONDS_HELP, labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers }),
    flushRows: new Histogram({ name: METRIC_NAMES.flushRows, help: 'Rows per ClickHouse insert', labelNames: ['table'], buckets: [1, 10, 100, 1000, 5000, 20000, 100000], registers }),
    flushSeconds: new Histogram({ name: METRIC_NAMES.flushSeconds, help: 'ClickHouse insert latency', labelNames: ['table'], buckets: LATENCY_BUCKETS, registers }),
    ordersInMemory: new Gauge({ name: METRIC_NAMES.ordersInMemory, help: 'Orders whose golden state this worker holds', registers }),
    ordersDormant: new Gauge({ name: METRIC_NAMES.ordersDormant, help: 'Closed, quiet orders this worker owns that sleep in ClickHouse (restored on their next event)', registers }),
    pendingShipmentEvents: new Gauge({ name: METRIC_NAMES.pendingShipmentEvents, help: 'Tracking events waiting for their order link', registers }),
    consumerLag: new Gauge({ name: METRIC_NAMES.consumerLag, help: CONSUMER_LAG_HELP, labelNames: ['stage', 'topic', 'partition'], registers }),
    unacknowledgedBatches: new Gauge({
      name: METRIC_NAMES.unacknowledgedBatches,
      help: 'Batches handed off and not yet acknowledged (lake rows stored in ClickHouse, produce acknowledged by Kafka), by stage; at ORDERLAKE_ACK_WINDOW per partition (embedded: in all) the source pauses',
      labelNames: ['stage'],
      registers,
    }),
    wsClients: new Gauge({ name: METRIC_NAMES.wsClients, help: 'Connected WebSocket clients', registers }),
    pushLatencySource: new Histogram({ name: METRIC_NAMES.pushLatencySource, help: 'Source event time to WebSocket push', buckets: LATENCY_BUCKETS, registers }),
    pushLatencyKafka: new Histogram({ name: METRIC_NAMES.pushLatencyKafka, help: 'Kafka append time to WebSocket push', buckets: LATENCY_BUCKETS, registers }),
    httpRequests: new Counter({ name: METRIC_NAMES.httpRequests, help: 'HTTP requests answered, by route, method and status', labelNames: ['route', 'method', 'status'], registers }),
    httpRequestSeconds: new Histogram({ name: METRIC_NAMES.httpRequestSeconds, help: 'HTTP response time, by route', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers }),
    casesOpened: new Counter({ name: METRIC_NAMES.casesOpened, help: 'Exception cases opened by the health rules, by rule and severity (a reopened case counts again)', labelNames: ['rule', 'severity'], registers }),
    casesResolved: new Counter({ name: METRIC_NAMES.casesResolved, help: 'Exception cases resolved, by rule and resolution (self_healed: the missing event arrived; by_agent)', labelNames: ['rule', 'resolution'], registers }),
    casesOpen: new Gauge({ name: METRIC_NAMES.casesOpen, help: 'Unresolved exception cases held by this worker, by rule, severity and at_risk (true: warned, not yet breached): orders stuck per stage right now', labelNames: ['rule', 'severity', 'at_risk'], registers }),
    caseResolveSeconds: new Histogram({ name: METRIC_NAMES.caseResolveSeconds, help: 'Event time from a case opening to its resolution, by rule and resolution', labelNames: ['rule', 'resolution'], buckets: [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200], registers }),
    sourceFreshness: new Histogram({ name: METRIC_NAMES.sourceFreshness, help: 'Source event time to its arrival in orderlake (Kafka append time), by source system (crm, wms, tms)', labelNames: ['source'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 900, 3600, 14400], registers }),
    sourceLag: new Gauge({ name: METRIC_NAMES.sourceLag, help: 'Wall clock minus the newest event time seen from each source system, seconds', labelNames: ['source'], registers }),
    healthWatermarkLag: new Gauge({ name: METRIC_NAMES.healthWatermarkLag, help: "Wall clock minus the health rules' event-time watermark (allowed lateness included), seconds", registers }),
    strategyChangeSeconds: new Gauge({ name: METRIC_NAMES.strategyChangeSeconds, help: 'Strategy-change response time: from the newest rule or pipeline file change (mtime) to it being live in this worker, by kind (rules, pipelines)', labelNames: ['kind'], registers }),
    eventLoopDelay: new Histogram({ name: METRIC_NAMES.eventLoopDelay, help: 'How late the event loop ran a timer due every 10 ms (one sample per run; a stall is one sample as long as the stall): everything on this worker waits that long', buckets: LATENCY_BUCKETS, registers }),
  };
}

/**
 * `handle` with every call's duration observed in `orderlake_batch_seconds{stage}`, failed calls
 * included. `now` is a monotonic clock in milliseconds.
 */
export function timeBatches<A extends unknown[], R>(
  metrics: Pick<Metrics, 'batchSeconds'>,
  stage: BatchStage,
  handle: (...args: A) => Promise<R>,
  now: () => number = () => performance.now(),
): (...args: A) => Promise<R> {
  const histogram = metrics.batchSeconds.labels({ stage });
  return async (...args) => {
    const started = now();
    try {
      return await handle(...args);
    } finally {
      histogram.observe((now() - started) / 1000);
    }
  };
}
