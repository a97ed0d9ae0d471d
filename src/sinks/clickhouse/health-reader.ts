import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/** On-time delivery of one channel on one UTC day (`health_otd_daily`). */
export interface OtdFigure {
  /** YYYY-MM-DD, the UTC day of delivery. */
  day: string;
  /** `UNKNOWN` for orders whose CRM row is unknown. */
  channel: string;
  delivered: number;
  on_time: number;
  late: number;
  /** on_time / (on_time + late); null when no delivered order had a known promise. */
  otd_rate: number | null;
}

/** Cases of one rule (`health_cases_by_rule`). */
export interface CaseRuleFigure {
  rule: string;
  opened: number;
  /** Not resolved now (open or acknowledged). */
  open: number;
  self_healed: number;
  by_agent: number;
  /** self_healed / resolved; null while none is resolved. */
  self_heal_rate: number | null;
  /** Opening to resolution, seconds; null while none is resolved. */
  resolve_p50_s: number | null;
  resolve_p90_s: number | null;
}

/** Freshness of one source system (`health_source_freshness`). */
export interface FreshnessFigure {
  source: string;
  /** Events stored in the last hour. */
  events: number;
  /** Source event time to stored, ms, over the last hour; null without events then. */
  p50_ms: number | null;
  p99_ms: number | null;
  /** Now − the newest event time of the source, ms; null when the lake has none of it. */
  lag_ms: number | null;
}

/** Orders stuck now at one stage for one waiting rule (`health_stuck_now`). */
export interface StuckFigure {
  /** The order's canonical status now; `UNKNOWN` without a golden view. */
  stage: string;
  rule: string;
  orders: number;
  /** Of those, past the rule's threshold (the rest are at risk). */
  breached: number;
}

/** Cancellations and returns of one channel (`health_cancellations`). */
export interface CancellationFigure {
  channel: string;
  orders: number;
  cancelled: number;
  returned: number;
  cancel_rate: number;
  return_rate: number;
}

/** One rule or pipeline file version going live (`health_strategy_changes`). */
export interface StrategyChangeFigure {
  kind: string;
  file: string;
  /** ISO-8601 UTC: the file's modification time. */
  changed_at: string;
  /** ISO-8601 UTC: when it was first loaded. */
  live_at: string;
  response_s: number;
}

/** The `GET /insights/health` body. */
export interface HealthInsights {
  /** ISO-8601 UTC, the reader's clock. */
  generated_at: string;
  /** How many UTC days (today included) `otd` covers. */
  otd_days: number;
  otd: OtdFigure[];
  cases_by_rule: CaseRuleFigure[];
  freshness: FreshnessFigure[];
  stuck: StuckFigure[];
  cancellations: CancellationFigure[];
  strategy_changes: StrategyChangeFigure[];
}

export interface HealthReadOptions {
  client: ClickHouseClient;
  database: string;
  /** Epoch ms: `generated_at`, and the last day of `otd`. */
  now: number;
  /** Days of on-time delivery, today included. Default 30. */
  otdDays?: number;
  /** Newest strategy changes returned. Default 100. */
  strategyChangeLimit?: number;
}

type Count = number | string;
const count = (v: Count): number => Number(v);
const maybe = (v: Count | null): number | null => (v === null ? null : Number(v));
const iso = (ms: Count): string => new Date(Number(ms)).toISOString();

/** Every health figure, read from the health views (see health-views.ts) in one go. */
export async function readHealthInsights(opts: HealthReadOptions): Promise<HealthInsights> {
  const { client, database } = opts;
  const view = (name: string) => qualifiedTable(database, name);
  const otdDays = opts.otdDays ?? 30;
  const today = new Date(opts.now).toISOString().slice(0, 10);

  const [otd, cases, freshness, stuck, cancellations, changes] = await Promise.all([
    queryJson<{ day_text: string; channel: string; delivered: Count; on_time: Count; late: Count; otd_rate: number | null }>(
      client,
      `SELECT toString(day) AS day_text, channel, delivered, on_time, late, otd_rate FROM ${view(TABLES.healthOtdDaily)}
       WHERE day > toDate({today:String}) - {days:UInt32} AND day <= toDate({today:String})
       ORDER BY day, channel`,
      { today, days: otdDays },
    ),
    queryJson<Omit<CaseRuleFigure, 'opened' | 'open' | 'self_healed' | 'by_agent'> & Record<'opened' | 'open' | 'self_healed' | 'by_agent', Count>>(
      client,
      `SELECT rule, opened, open, self_healed, by_agent, self_heal_rate, resolve_p50_s, resolve_p90_s
       FROM ${view(TABLES.healthCasesByRule)} ORDER BY rule`,
    ),
    queryJson<{ source: string; events: Count; p50_ms: Count | null; p99_ms: Count | null; lag_ms: Count | null }>(
      client,
      `SELECT source, events, p50_ms, p99_ms, lag_ms FROM ${view(TABLES.healthSourceFreshness)}
       ORDER BY indexOf(['crm', 'wms', 'tms'], source), source`,
    ),
    queryJson<{ stage: string; rule: string; orders: Count; breached: Count }>(
      client,
      `SELECT stage, rule, orders, breached FROM ${view(TABLES.healthStuckNow)} ORDER BY orders DESC, stage, rule`,
    ),
    queryJson<{ channel: string; orders: Count; cancelled: Count; returned: Count; cancel_rate: number; return_rate: number }>(
      client,
      `SELECT channel, orders, cancelled, returned, cancel_rate, return_rate FROM ${view(TABLES.healthCancellations)} ORDER BY channel`,
    ),
    queryJson<{ kind: string; file: string; changed_ms: Count; live_ms: Count; response_s: number }>(
      client,
      `SELECT kind, file, toUnixTimestamp64Milli(changed_at) AS changed_ms, toUnixTimestamp64Milli(live_at) AS live_ms, response_s
       FROM ${view(TABLES.healthStrategyChanges)} ORDER BY live_at DESC, kind, file LIMIT {limit:UInt32}`,
      { limit: opts.strategyChangeLimit ?? 100 },
    ),
  ]);

  return {
    generated_at: new Date(opts.now).toISOString(),
    otd_days: otdDays,
    otd: otd.map((r) => ({
      day: r.day_text,
      channel: r.channel,
      delivered: count(r.delivered),
      on_time: count(r.on_time),
      late: count(r.late),
      otd_rate: r.otd_rate,
    })),
    cases_by_rule: cases.map((r) => ({
      rule: r.rule,
      opened: count(r.opened),
      open: count(r.open),
      self_healed: count(r.self_healed),
      by_agent: count(r.by_agent),
      self_heal_rate: r.self_heal_rate,
      resolve_p50_s: r.resolve_p50_s,
      resolve_p90_s: r.resolve_p90_s,
    })),
    freshness: freshness.map((r) => ({
      source: r.source,
      events: count(r.events),
      p50_ms: maybe(r.p50_ms),
      p99_ms: maybe(r.p99_ms),
      lag_ms: maybe(r.lag_ms),
    })),
    stuck: stuck.map((r) => ({ stage: r.stage, rule: r.rule, orders: count(r.orders), breached: count(r.breached) })),
    cancellations: cancellations.map((r) => ({
      channel: r.channel,
      orders: count(r.orders),
      cancelled: count(r.cancelled),
      returned: count(r.returned),
      cancel_rate: r.cancel_rate,
      return_rate: r.return_rate,
    })),
    strategy_changes: changes.map((r) => ({
      kind: r.kind,
      file: r.file,
      changed_at: iso(r.changed_ms),
      live_at: iso(r.live_ms),
      response_s: r.response_s,
    })),
  };
}
