import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import {
  HEALTH_VIEWS,
  HEALTH_VIEWS_MIGRATION,
  TABLES,
  listAppliedMigrations,
  readHealthInsights,
  recordConfigChanges,
  runMigrations,
} from '../../../src/sinks/index.js';
import { closeTestClient, createTestDatabase, type TestDatabase } from '../../helpers/clickhouse-test-db.js';
import {
  CONFIG_CHANGES,
  EXPECTED_CANCELLATIONS,
  EXPECTED_CASES_BY_RULE,
  EXPECTED_FRESHNESS,
  EXPECTED_MIN_LAG_MS,
  EXPECTED_OTD,
  EXPECTED_STRATEGY_CHANGES,
  EXPECTED_STUCK,
  READ_AT,
  healthTestMigrations,
  migrateForHealth,
  seedHealthFixture,
} from '../../helpers/health-fixture.js';

/** Rows of a query, 64-bit integers as numbers (chDB already answers so; a server would quote them). */
async function rows(db: TestDatabase, query: string): Promise<Array<Record<string, unknown>>> {
  const result = await db.client.query({ query, format: 'JSONEachRow' });
  return result.json<Record<string, unknown>>();
}

describe('health views (chDB)', () => {
  let db: TestDatabase;
  let seededAt: number;
  const view = (name: string) => `\`${db.database}\`.\`${name}\``;

  beforeAll(async () => {
    db = await createTestDatabase('orderlake_health');
    await migrateForHealth(db.client, db.database);
    seededAt = Date.now();
    await seedHealthFixture(db.client, db.database, seededAt);
  });
  afterAll(async () => {
    await db?.drop();
    await closeTestClient();
  });

  it('migration 6 creates config_changes and every view, and runs again as a no-op', async () => {
    const tables = await rows(db, `SELECT name, engine FROM system.tables WHERE database = '${db.database}' ORDER BY name`);
    const byName = new Map(tables.map((t) => [String(t.name), String(t.engine)]));
    expect(byName.get(TABLES.configChanges)).toBe('MergeTree');
    for (const name of HEALTH_VIEWS) expect(byName.get(name), name).toBe('View');
    expect((await listAppliedMigrations(db)).map((m) => m.version)).toContain(HEALTH_VIEWS_MIGRATION.version);

    const again = await runMigrations({ client: db.client, database: db.database, logger: pino({ level: 'silent' }), migrations: healthTestMigrations() });
    expect(again.applied).toEqual([]);
    // Every statement is idempotent on its own (an interrupted migration re-runs them all).
    for (const statement of HEALTH_VIEWS_MIGRATION.statements(db.database)) await db.client.command({ query: statement });
    expect(await rows(db, `SELECT count() AS n FROM ${view(TABLES.healthOtdDaily)}`)).toEqual([{ n: EXPECTED_OTD.length }]);
  });

  it('health_otd_daily: on-time delivery by UTC day and channel, newest view of live orders only', async () => {
    const got = await rows(db, `SELECT toString(day) AS day, channel, delivered, on_time, late, otd_rate FROM ${view(TABLES.healthOtdDaily)} ORDER BY day, channel`);
    expect(got).toEqual(EXPECTED_OTD);
  });

  it('health_cases_by_rule: opened, open, resolutions, self-heal rate and resolution times per rule', async () => {
    const got = await rows(db, `SELECT * FROM ${view(TABLES.healthCasesByRule)} ORDER BY rule`);
    expect(got).toEqual(EXPECTED_CASES_BY_RULE);
  });

  it('health_source_freshness: last hour of the lake per source, and the lag of its newest event', async () => {
    const readFrom = Date.now();
    const got = await rows(db, `SELECT source, events, p50_ms, p99_ms, lag_ms FROM ${view(TABLES.healthSourceFreshness)} ORDER BY indexOf(['crm', 'wms', 'tms'], source)`);
    const readTo = Date.now();
    expect(got.map(({ lag_ms: _lag, ...r }) => r)).toEqual(EXPECTED_FRESHNESS);
    for (const r of got) {
      const least = EXPECTED_MIN_LAG_MS[String(r.source)]!;
      if (least === null) {
        expect(r.lag_ms, String(r.source)).toBeNull();
        continue;
      }
      // The view reads ClickHouse's clock: between the seeding and the end of the read.
      expect(Number(r.lag_ms), String(r.source)).toBeGreaterThanOrEqual(least + (readFrom - seededAt) - 5);
      expect(Number(r.lag_ms), String(r.source)).toBeLessThanOrEqual(least + (readTo - seededAt) + 5);
    }
  });

  it('health_stuck_now: open waiting cases by the order\'s current status and rule, orders counted once', async () => {
    const got = await rows(db, `SELECT stage, rule, orders, breached FROM ${view(TABLES.healthStuckNow)} ORDER BY orders DESC, stage, rule`);
    expect(got).toEqual(EXPECTED_STUCK);
  });

  it('health_cancellations: cancelled and returned orders per channel', async () => {
    const got = await rows(db, `SELECT * FROM ${view(TABLES.healthCancellations)} ORDER BY channel`);
    expect(got).toEqual(EXPECTED_CANCELLATIONS);
  });

  it('health_strategy_changes: file change to live, a version recorded once, the first load kept', async () => {
    // The same versions again at a later start: nothing new is written.
    const later = CONFIG_CHANGES.map((c) => ({ ...c, liveAt: c.liveAt + 3_600_000 }));
    expect(await recordConfigChanges(db.client, db.database, later)).toEqual({ written: 0, changes: [] });
    // Another worker recorded the first version too, a little later: the view keeps the earliest.
    await db.client.command({
      query: `INSERT INTO ${view(TABLES.configChanges)} (kind, file, changed_at, live_at)
              SELECT 'rules', '${CONFIG_CHANGES[0]!.file}', fromUnixTimestamp64Milli(toInt64(${CONFIG_CHANGES[0]!.changedAt}), 'UTC'),
                     fromUnixTimestamp64Milli(toInt64(${CONFIG_CHANGES[0]!.liveAt + 900}), 'UTC')`,
    });
    const got = await rows(
      db,
      `SELECT kind, file, toUnixTimestamp64Milli(changed_at) AS changed_ms, toUnixTimestamp64Milli(live_at) AS live_ms, response_s
       FROM ${view(TABLES.healthStrategyChanges)} ORDER BY live_at DESC`,
    );
    expect(
      got.map((r) => ({
        kind: r.kind,
        file: r.file,
        changed_at: new Date(Number(r.changed_ms)).toISOString(),
        live_at: new Date(Number(r.live_ms)).toISOString(),
        response_s: r.response_s,
      })),
    ).toEqual(EXPECTED_STRATEGY_CHANGES);

  });

  it('readHealthInsights: every view in the /insights/health shape', async () => {
    const insights = await readHealthInsights({ client: db.client, database: db.database, now: READ_AT });
    expect(insights.generated_at).toBe('2026-11-22T08:00:00.000Z');
    expect(insights.otd_days).toBe(30);
    expect(insights.otd).toEqual(EXPECTED_OTD);
    expect(insights.cases_by_rule).toEqual(EXPECTED_CASES_BY_RULE);
    expect(insights.freshness.map(({ lag_ms: _lag, ...r }) => r)).toEqual(EXPECTED_FRESHNESS);
    expect(insights.freshness.map((f) => f.lag_ms === null)).toEqual([false, false, true]);
    expect(insights.stuck).toEqual(EXPECTED_STUCK);
    expect(insights.cancellations).toEqual(EXPECTED_CANCELLATIONS);
    expect(insights.strategy_changes).toEqual(EXPECTED_STRATEGY_CHANGES);

    // `otdDays` counts UTC days back from the clock's day, today included.
    const twoDays = await readHealthInsights({ client: db.client, database: db.database, now: READ_AT, otdDays: 2 });
    expect(twoDays.otd).toEqual(EXPECTED_OTD.filter((r) => r.day === '2026-11-21'));
    const limited = await readHealthInsights({ client: db.client, database: db.database, now: READ_AT, strategyChangeLimit: 1 });
    expect(limited.strategy_changes).toEqual(EXPECTED_STRATEGY_CHANGES.slice(0, 1));
  });

  it('reads an empty database as empty figures, every source listed', async () => {
    const empty = await createTestDatabase('orderlake_health_empty');
    try {
      await migrateForHealth(empty.client, empty.database);
      const insights = await readHealthInsights({ client: empty.client, database: empty.database, now: READ_AT });
      expect(insights).toEqual({
        generated_at: '2026-11-22T08:00:00.000Z',
        otd_days: 30,
        otd: [],
        cases_by_rule: [],
        freshness: ['crm', 'wms', 'tms'].map((source) => ({ source, events: 0, p50_ms: null, p99_ms: null, lag_ms: null })),
        stuck: [],
        cancellations: [],
        strategy_changes: [],
      });

      // A file's first version (the baseline), then a new version of it: only the new one is a change.
      const file = 'pipelines/rules/short-pick.yaml';
      const first = { kind: 'rules' as const, file, changedAt: Date.parse('2026-11-23T00:00:00.000Z'), liveAt: Date.parse('2026-11-23T00:00:01.000Z') };
      const edited = { ...first, changedAt: Date.parse('2026-11-23T06:00:00.000Z'), liveAt: Date.parse('2026-11-23T06:00:00.040Z') };
      expect(await recordConfigChanges(empty.client, empty.database, [first, first])).toEqual({ written: 1, changes: [] });
      expect(await recordConfigChanges(empty.client, empty.database, [first, edited])).toEqual({ written: 1, changes: [edited] });
      expect(await recordConfigChanges(empty.client, empty.database, [])).toEqual({ written: 0, changes: [] });
      const after = await readHealthInsights({ client: empty.client, database: empty.database, now: READ_AT });
      expect(after.strategy_changes).toEqual([
        { kind: 'rules', file, changed_at: '2026-11-23T06:00:00.000Z', live_at: '2026-11-23T06:00:00.040Z', response_s: 0.04 },
      ]);
    } finally {
      await empty.drop();
    }
  });
});
