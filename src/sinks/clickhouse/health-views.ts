import { qualifiedTable } from './identifier.js';
import type { Migration } from './migrations.js';
import { TABLES } from './table-names.js';

/**
 * The health figures as ClickHouse views, so that `GET /insights/health`, Grafana and an analyst's
 * SQL read the same definitions. Each view is `CREATE OR REPLACE`: re-running the migration (or
 * a later one that redefines a view) is harmless. Views hold no data; they cost a scan when read.
 */

const UTC_MS = "DateTime64(3, 'UTC')";

/** The source systems the freshness view always lists, with or without recent events. */
const SOURCES = "['crm', 'wms', 'tms']";

/** How far back (by `ingested_at`, processing time) the freshness percentiles look. */
const FRESHNESS_WINDOW = 'INTERVAL 1 HOUR';

/** A golden-view timestamp (ISO-8601 text in the `view` JSON) as a DateTime64, NULL when null. */
const viewTime = (field: string) => `parseDateTime64BestEffortOrNull(JSONExtractString(view, '${field}'), 3, 'UTC')`;

/** A share, NULL when there is nothing to divide by (never NaN, which JSON cannot carry). */
const share = (part: string, whole: string) => `if(${whole} = 0, NULL, ${part} / ${whole})`;

/**
 * On-time delivery by UTC day of delivery and channel, over the current golden views (FINAL,
 * deleted orders out). An order is delivered once the view has `delivered_at`; it is on time when
 * delivered at or before `promised_delivery_at`, late after it. Delivered orders without a known
 * promise count in `delivered` only, so `otd_rate` = on_time / (on_time + late).
 */
function otdDaily(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, TABLES.healthOtdDaily)} AS
    SELECT
      toDate(assumeNotNull(delivered_at)) AS day,
      channel,
      count() AS delivered,
      countIf(promised_at IS NOT NULL AND delivered_at <= promised_at) AS on_time,
      countIf(promised_at IS NOT NULL AND delivered_at > promised_at) AS late,
      ${share('on_time', '(on_time + late)')} AS otd_rate
    FROM (
      SELECT
        ifNull(channel, 'UNKNOWN') AS channel,
        ${viewTime('delivered_at')} AS delivered_at,
        ${viewTime('promised_delivery_at')} AS promised_at
      FROM ${qualifiedTable(db, TABLES.golden)} FINAL
      WHERE is_deleted = 0
    )
    WHERE delivered_at IS NOT NULL
    GROUP BY day, channel`;
}

/**
 * Per rule, over every case stored (newest version of each, FINAL): how many opened, how many are
 * open now (not resolved), how they were resolved, the self-heal rate among resolved cases, and
 * the time from opening to resolution (`resolved_at − opened_at`) at p50 and p90 in seconds —
 * `quantileExact`: a value of the set (the one at position ⌊level × n⌋ of the sorted values).
 */
function casesByRule(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, TABLES.healthCasesByRule)} AS
    SELECT
      rule,
      count() AS opened,
      countIf(status != 'resolved') AS open,
      countIf(resolution = 'self_healed') AS self_healed,
      countIf(resolution = 'by_agent') AS by_agent,
      ${share('self_healed', '(self_healed + by_agent)')} AS self_heal_rate,
      quantileExact(0.5)(resolve_ms) / 1000 AS resolve_p50_s,
      quantileExact(0.9)(resolve_ms) / 1000 AS resolve_p90_s
    FROM (
      SELECT
        rule, status, resolution,
        if(status = 'resolved' AND resolved_at IS NOT NULL, dateDiff('millisecond', opened_at, resolved_at), NULL) AS resolve_ms
      FROM ${qualifiedTable(db, TABLES.cases)} FINAL
    )
    GROUP BY rule`;
}

/**
 * Per source system: events stored in the last hour (by `ingested_at`), the p50 and p99 of their
 * delay from source event time to stored (`ingested_at − event_time`, ms), and the current lag
 * (now − the newest event time of the source over the whole lake, ms) — so a source silent for
 * longer than the window still shows how far behind it is. Every source is listed; one with no
 * recent events has 0 events and NULL percentiles, one never seen a NULL lag. Counted without FINAL
 * (a scan of the lake): a re-delivered event not yet merged away counts once in `events` (distinct
 * ids) but each stored copy enters the percentiles.
 */
function sourceFreshness(db: string): string {
  const lake = qualifiedTable(db, TABLES.lake);
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, TABLES.healthSourceFreshness)} AS
    SELECT
      known.source AS source,
      recent.events AS events,
      recent.p50_ms AS p50_ms,
      recent.p99_ms AS p99_ms,
      if(newest.newest_event_time IS NULL, NULL, dateDiff('millisecond', newest.newest_event_time, now64(3, 'UTC'))) AS lag_ms,
      newest.newest_event_time AS newest_event_time
    FROM (SELECT arrayJoin(${SOURCES}) AS source) AS known
    LEFT JOIN (
      SELECT
        source,
        uniqExact(event_uid) AS events,
        toNullable(quantileExact(0.5)(dateDiff('millisecond', event_time, ingested_at))) AS p50_ms,
        toNullable(quantileExact(0.99)(dateDiff('millisecond', event_time, ingested_at))) AS p99_ms
      FROM ${lake}
      WHERE ingested_at >= now64(3, 'UTC') - ${FRESHNESS_WINDOW}
      GROUP BY source
    ) AS recent ON recent.source = known.source
    LEFT JOIN (
      SELECT source, toNullable(max(event_time)) AS newest_event_time
      FROM ${lake}
      GROUP BY source
    ) AS newest ON newest.source = known.source`;
}

/**
 * Orders stuck now: open (not resolved) cases of the waiting rules, by the order's current
 * canonical status (`stage`, from its golden view; `UNKNOWN` when the order has no view) and rule.
 * A waiting case is an order case whose evidence has no `codes`: exception-rule cases always carry
 * the codes they matched, source and shipment cases have another subject. `breached`: of those
 * orders, how many have passed the rule's threshold (the others are at risk).
 */
function stuckNow(db: string): string {
  const cases = qualifiedTable(db, TABLES.cases);
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, TABLES.healthStuckNow)} AS
    SELECT
      ifNull(golden.status, 'UNKNOWN') AS stage,
      waiting.rule AS rule,
      uniqExact(waiting.order_id) AS orders,
      uniqExactIf(waiting.order_id, waiting.breached) AS breached
    FROM (
      SELECT rule, assumeNotNull(order_id) AS order_id, breached_at IS NOT NULL AS breached
      FROM ${cases} FINAL
      WHERE status != 'resolved' AND subject = 'order' AND order_id IS NOT NULL AND NOT JSONHas(body, 'evidence', 'codes')
    ) AS waiting
    LEFT JOIN (
      SELECT order_id, status
      FROM ${qualifiedTable(db, TABLES.golden)} FINAL
      WHERE is_deleted = 0
        AND order_id IN (SELECT assumeNotNull(order_id) FROM ${cases} WHERE status != 'resolved' AND order_id IS NOT NULL)
    ) AS golden ON golden.order_id = waiting.order_id
    GROUP BY stage, rule`;
}

/**
 * Per channel, over the current golden views (FINAL, deleted orders out): orders, cancelled ones
 * (the newest CRM row is CANCELLED: the view has `cancelled_at`, whether or not the parcel had
 * left), returned ones (an after-sales case of type RETURN that was not rejected: requested,
 * received, refunded or closed), and both as shares of the orders.
 */
function cancellations(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, TABLES.healthCancellations)} AS
    SELECT
      channel,
      count() AS orders,
      countIf(is_cancelled) AS cancelled,
      countIf(is_returned) AS returned,
      cancelled / orders AS cancel_rate,
      returned / orders AS return_rate
    FROM (
      SELECT
        ifNull(channel, 'UNKNOWN') AS channel,
        ${viewTime('cancelled_at')} IS NOT NULL AS is_cancelled,
        arrayExists(
          c -> JSONExtractString(c, 'case_type') = 'RETURN' AND JSONExtractString(c, 'status') != 'REJECTED',
          JSONExtractArrayRaw(view, 'after_sales')
        ) AS is_returned
      FROM ${qualifiedTable(db, TABLES.golden)} FINAL
      WHERE is_deleted = 0
    )
    GROUP BY channel`;
}

/**
 * Rule and pipeline files as each version went live: `changed_at` is the file's modification time,
 * `live_at` when a worker loaded it. Plain MergeTree: {@link recordConfigChanges} writes a version
 * once, and the view keeps the first time it went live when several workers recorded it.
 */
function configChangesTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.configChanges)} (
      kind LowCardinality(String),
      file String,
      changed_at ${UTC_MS},
      live_at ${UTC_MS}
    ) ENGINE = MergeTree
    ORDER BY live_at`;
}

/** Strategy-change response time: from a rule or pipeline file changing to it being live, seconds. */
function strategyChanges(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, TABLES.healthStrategyChanges)} AS
    SELECT kind, file, changed_at, first_live_at AS live_at, dateDiff('millisecond', changed_at, first_live_at) / 1000 AS response_s
    FROM (
      SELECT kind, file, changed_at, min(live_at) AS first_live_at
      FROM ${qualifiedTable(db, TABLES.configChanges)}
      GROUP BY kind, file, changed_at
    )
    -- A file's first version is the baseline (its mtime is the checkout), not a change.
    WHERE (kind, file, changed_at) NOT IN (
      SELECT kind, file, min(changed_at) FROM ${qualifiedTable(db, TABLES.configChanges)} GROUP BY kind, file
    )`;
}

/** The health views, and the `config_changes` table one of them reads. */
export const HEALTH_VIEWS_MIGRATION: Migration = {
  version: 6,
  name: 'create_health_views',
  statements: (db) => [
    configChangesTable(db),
    otdDaily(db),
    casesByRule(db),
    sourceFreshness(db),
    stuckNow(db),
    cancellations(db),
    strategyChanges(db),
  ],
};

/** The names of the views {@link HEALTH_VIEWS_MIGRATION} creates (Grafana's panels read only these). */
export const HEALTH_VIEWS = [
  TABLES.healthOtdDaily,
  TABLES.healthCasesByRule,
  TABLES.healthSourceFreshness,
  TABLES.healthStuckNow,
  TABLES.healthCancellations,
  TABLES.healthStrategyChanges,
] as const;
